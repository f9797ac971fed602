package ststest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sessioncache/sessioncache/ststest"
)

const (
	userKey    = "AKIAIOSFODNN7EXAMPLE"
	userSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func signedClient(s *ststest.Server, key, secret, token string) *sts.Client {
	return sts.New(sts.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, token),
		RetryMaxAttempts: 1,
	})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestVerifySignatures checks that a server that verifies signatures
// takes the SDK's, for user keys and for the credentials it issued, and
// refuses a wrong secret and an unknown key.
func TestVerifySignatures(t *testing.T) {
	s := ststest.NewServer(func(o *ststest.Options) {
		o.VerifySignatures = true
		o.Secrets = map[string]string{userKey: userSecret}
	})
	defer s.Close()
	ctx := context.Background()
	out, err := signedClient(s, userKey, userSecret, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if _, err := signedClient(s, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken).GetCallerIdentity(ctx, nil); err != nil {
		t.Errorf("issued credentials: %v", err)
	}
	if _, err := signedClient(s, *c.AccessKeyId, "wrong", *c.SessionToken).GetCallerIdentity(ctx, nil); apiCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("a wrong issued secret: %v", err)
	}
	if _, err := signedClient(s, userKey, "wrong", "").GetCallerIdentity(ctx, nil); apiCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("a wrong user secret: %v", err)
	}
	if _, err := signedClient(s, "AKIAUNKNOWNKEY000000", userSecret, "").GetCallerIdentity(ctx, nil); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("an unknown key: %v", err)
	}
}

func TestGetFederationToken(t *testing.T) {
	s := ststest.NewServer()
	defer s.Close()
	ctx := context.Background()
	user := signedClient(s, userKey, userSecret, "")
	out, err := user.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("alice"), Policy: aws.String(`{"Version":"2012-10-17"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.FederatedUser.Arn); got != "arn:aws:sts::123456789012:federated-user/alice" {
		t.Errorf("ARN %s", got)
	}
	c := out.Credentials
	id, err := signedClient(s, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken).GetCallerIdentity(ctx, nil)
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::123456789012:federated-user/alice" {
		t.Errorf("GetCallerIdentity: %v %v", id, err)
	}
	if _, err := signedClient(s, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob")}); apiCode(err) != "AccessDenied" {
		t.Errorf("from a session: %v", err)
	}
	for _, name := range []string{"a", "has space", "x234567890123456789012345678901234"} {
		if _, err := user.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String(name)}); apiCode(err) != "ValidationError" {
			t.Errorf("Name %q: %v", name, err)
		}
	}
}

func getSigninToken(t *testing.T, f *ststest.FederationServer, c aws.Credentials, duration string) (int, string) {
	t.Helper()
	session, _ := json.Marshal(map[string]string{"sessionId": c.AccessKeyID, "sessionKey": c.SecretAccessKey, "sessionToken": c.SessionToken})
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}
	if duration != "" {
		q.Set("SessionDuration", duration)
	}
	resp, err := http.Get(f.URL + "/federation?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct{ SigninToken string }
	json.NewDecoder(resp.Body).Decode(&answer)
	return resp.StatusCode, answer.SigninToken
}

// TestFederationServer checks which sessions get a sign-in token, and
// that SessionDuration is taken only for a role assumed with long-term
// keys.
func TestFederationServer(t *testing.T) {
	clk := newClock(start)
	s := ststest.NewServer(func(o *ststest.Options) { o.Now = clk.Now })
	defer s.Close()
	f := ststest.NewFederationServer(s)
	defer f.Close()
	ctx := context.Background()
	user := signedClient(s, userKey, userSecret, "")
	role, err := user.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	rc := aws.Credentials{AccessKeyID: *role.Credentials.AccessKeyId, SecretAccessKey: *role.Credentials.SecretAccessKey, SessionToken: *role.Credentials.SessionToken}
	chained, err := signedClient(s, rc.AccessKeyID, rc.SecretAccessKey, rc.SessionToken).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	cc := aws.Credentials{AccessKeyID: *chained.Credentials.AccessKeyId, SecretAccessKey: *chained.Credentials.SecretAccessKey, SessionToken: *chained.Credentials.SessionToken}
	st, err := user.GetSessionToken(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := aws.Credentials{AccessKeyID: *st.Credentials.AccessKeyId, SecretAccessKey: *st.Credentials.SecretAccessKey, SessionToken: *st.Credentials.SessionToken}

	for name, tc := range map[string]struct {
		creds    aws.Credentials
		duration string
		status   int
	}{
		"role":                 {rc, "", 200},
		"role from keys, 3600": {rc, "3600", 200},
		"role, 899":            {rc, "899", 400},
		"role, 43201":          {rc, "43201", 400},
		"chained":              {cc, "", 200},
		"chained, 3600":        {cc, "3600", 400},
		"GetSessionToken":      {sc, "", 400},
		"long-term keys":       {aws.Credentials{AccessKeyID: userKey, SecretAccessKey: userSecret}, "", 400},
		"wrong secret":         {aws.Credentials{AccessKeyID: rc.AccessKeyID, SecretAccessKey: "x", SessionToken: rc.SessionToken}, "", 400},
		"wrong session token":  {aws.Credentials{AccessKeyID: rc.AccessKeyID, SecretAccessKey: rc.SecretAccessKey, SessionToken: "x"}, "", 400},
	} {
		t.Run(name, func(t *testing.T) {
			status, token := getSigninToken(t, f, tc.creds, tc.duration)
			if status != tc.status || (status == 200) != (token != "") {
				t.Errorf("status %d, token %v; want %d", status, token != "", tc.status)
			}
		})
	}

	// The token logs in, for 15 minutes.
	_, token := getSigninToken(t, f, rc, "")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login := func() *http.Response {
		q := url.Values{"Action": {"login"}, "Issuer": {"test"}, "Destination": {"https://console.aws.amazon.com/"}, "SigninToken": {token}}
		resp, err := noRedirect.Get(f.URL + "/federation?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := login(); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://console.aws.amazon.com/" {
		t.Errorf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	clk.Set(start.Add(ststest.SigninTokenLifetime))
	if resp := login(); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("login after 15 minutes: %d", resp.StatusCode)
	}
	// Expired credentials get no token.
	clk.Set(start.Add(2 * time.Hour))
	if status, _ := getSigninToken(t, f, rc, ""); status != 400 {
		t.Errorf("expired session: %d", status)
	}
}
