package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sessioncache/sessioncache/ststest"
)

const (
	userKey    = "AKIAIOSFODNN7EXAMPLE"
	userSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// local returns a local STS and federation endpoint, and an STS client
// signing with the user's keys.
func local(t *testing.T) (*ststest.Server, *ststest.FederationServer, *sts.Client) {
	t.Helper()
	s := ststest.NewServer(func(o *ststest.Options) {
		o.VerifySignatures = true
		o.Secrets = map[string]string{userKey: userSecret}
	})
	t.Cleanup(s.Close)
	f := ststest.NewFederationServer(s)
	t.Cleanup(f.Close)
	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(userKey, userSecret, ""),
	})
	return s, f, client
}

func endpoint(t *testing.T, f *ststest.FederationServer) *url.URL {
	t.Helper()
	u, err := CheckEndpoint(f.URL + "/federation")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func assumeRole(t *testing.T, client *sts.Client) aws.Credentials {
	t.Helper()
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/admin"), RoleSessionName: aws.String("alice"),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
}

func TestSigninTokenRole(t *testing.T) {
	_, f, client := local(t)
	tok, err := SigninToken(context.Background(), nil, endpoint(t, f), assumeRole(t, client))
	if err != nil {
		t.Fatal(err)
	}
	if arn, ok := f.SigninIdentity(tok); !ok || arn != "arn:aws:sts::123456789012:assumed-role/admin/alice" {
		t.Errorf("the token signs in as %q (known %v)", arn, ok)
	}
	reqs := f.Requests()
	if len(reqs) != 1 || reqs[0].SessionDuration != "" || reqs[0].Action != "getSigninToken" {
		t.Errorf("requests %+v, want one getSigninToken without SessionDuration", reqs)
	}
}

// TestFederationToken turns long-term keys into a session the endpoint
// takes, with a policy, since without one the federated user could do
// nothing.
func TestFederationToken(t *testing.T) {
	s, f, client := local(t)
	creds, err := FederationToken(context.Background(), client, "team/admin")
	if err != nil {
		t.Fatal(err)
	}
	var sent url.Values
	for _, r := range s.Requests() {
		if r.Action == "GetFederationToken" {
			sent = r.Params
		}
	}
	if sent.Get("Name") != "team-admin" {
		t.Errorf("Name %q", sent.Get("Name"))
	}
	var policy struct {
		Statement []struct{ Effect, Action, Resource string }
	}
	if err := json.Unmarshal([]byte(sent.Get("Policy")), &policy); err != nil || len(policy.Statement) != 1 || policy.Statement[0] != (struct{ Effect, Action, Resource string }{"Allow", "*", "*"}) {
		t.Errorf("Policy %q does not pass the user's permissions through", sent.Get("Policy"))
	}
	tok, err := SigninToken(context.Background(), nil, endpoint(t, f), creds)
	if err != nil {
		t.Fatal(err)
	}
	if arn, _ := f.SigninIdentity(tok); arn != "arn:aws:sts::123456789012:federated-user/team-admin" {
		t.Errorf("the token signs in as %q", arn)
	}
}

func TestSigninTokenRefusesLongTermKeys(t *testing.T) {
	_, f, _ := local(t)
	_, err := SigninToken(context.Background(), nil, endpoint(t, f), aws.Credentials{AccessKeyID: userKey, SecretAccessKey: userSecret})
	if err == nil || !strings.Contains(err.Error(), "GetFederationToken") {
		t.Errorf("err = %v", err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("the endpoint got %d requests", n)
	}
}

// TestSigninTokenErrors checks that every answer without a token is an
// error that gives the status and never the secret, the session token or
// the URL.
func TestSigninTokenErrors(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret-key-value", SessionToken: "session-token-value"}
	for name, tc := range map[string]struct {
		status      int
		contentType string
		body        string
		want        string
	}{
		"refused":      {400, "text/plain", "Invalid credentials parameter", "answered 400 Bad Request: Invalid credentials parameter"},
		"html error":   {503, "text/html", "<html>down</html>", "answered 503 Service Unavailable"},
		"html page":    {200, "text/html; charset=utf-8", "<html>sign in</html>", "answered 200 OK with text/html, not JSON"},
		"no token":     {200, "application/json", `{"SigninToken":""}`, "answered 200 OK without a sign-in token"},
		"echo request": {400, "text/plain", "secret-key-value", "answered 400 Bad Request"},
		"redirect":     {302, "text/html", "", "answered 302 Found"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					// Where a followed redirect would get a token.
					w.Write([]byte(`{"SigninToken":"t"}`))
					return
				}
				if tc.status == http.StatusFound {
					w.Header().Set("Location", "/elsewhere")
				}
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			u, _ := url.Parse(srv.URL + "/federation")
			_, err := SigninToken(context.Background(), nil, u, creds)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			noSecret(t, err)
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		u, _ := url.Parse(srv.URL + "/federation")
		_, err := SigninToken(context.Background(), nil, u, creds)
		if err == nil {
			t.Fatal("no error")
		}
		noSecret(t, err)
	})
}

// TestSigninTokenBounded checks that an endpoint that never stops sending,
// or never answers, costs a bounded read and the client's time limit.
func TestSigninTokenBounded(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret-key-value", SessionToken: "session-token-value"}
	t.Run("endless body", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"SigninToken":"`))
			chunk := []byte(strings.Repeat("a", 64<<10))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}))
		defer srv.Close()
		u, _ := url.Parse(srv.URL + "/federation")
		_, err := SigninToken(context.Background(), nil, u, creds)
		if err == nil || !strings.Contains(err.Error(), "not JSON") {
			t.Fatalf("err = %v, want an answer that is not JSON", err)
		}
		noSecret(t, err)
	})
	t.Run("no answer", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		u, _ := url.Parse(srv.URL + "/federation")
		_, err := SigninToken(context.Background(), &http.Client{Timeout: 50 * time.Millisecond}, u, creds)
		if err == nil || !strings.Contains(err.Error(), "Timeout") {
			t.Fatalf("err = %v, want a timeout", err)
		}
		noSecret(t, err)
	})
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{"secret-key-value", "session-token-value", "sessionKey", "Session=", "ASIAEXAMPLE"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the error shows %s", s)
		}
	}
}
