package ekstoken

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/sessioncache/sessioncache/ststest"
)

const (
	testKey    = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var signedAt = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

func at(t time.Time) func(*Options) {
	return func(o *Options) { o.Now = func() time.Time { return t } }
}

func newToken(t *testing.T, region, token, cluster string) Token {
	t.Helper()
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, token)}
	tok, err := New(context.Background(), cfg, cluster, at(signedAt))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func decode(t *testing.T, tok Token) *url.URL {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok.Value, Prefix))
	if err != nil {
		t.Fatalf("token body: %v", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestTokenShape checks what the cluster's authenticator checks, and the
// exact parameter set of `aws eks get-token`.
func TestTokenShape(t *testing.T) {
	for name, tc := range map[string]struct {
		region, sessionToken, host string
		params                     []string
	}{
		"temporary":   {"us-west-2", "session-token", "sts.us-west-2.amazonaws.com", nil},
		"long-term":   {"eu-west-1", "", "sts.eu-west-1.amazonaws.com", nil},
		"us-east-1":   {"us-east-1", "t", "sts.us-east-1.amazonaws.com", nil},
		"no region":   {"", "t", "sts.us-east-1.amazonaws.com", nil},
		"china":       {"cn-north-1", "t", "sts.cn-north-1.amazonaws.com.cn", nil},
		"gov":         {"us-gov-west-1", "t", "sts.us-gov-west-1.amazonaws.com", nil},
		"china west":  {"cn-northwest-1", "", "sts.cn-northwest-1.amazonaws.com.cn", nil},
		"long region": {"ap-southeast-5", "t", "sts.ap-southeast-5.amazonaws.com", nil},
	} {
		t.Run(name, func(t *testing.T) {
			tok := newToken(t, tc.region, tc.sessionToken, "prod")
			if !strings.HasPrefix(tok.Value, Prefix) || strings.HasSuffix(tok.Value, "=") {
				t.Errorf("token does not start with %s or is padded", Prefix)
			}
			if len(tok.Value) > MaxTokenSize {
				t.Errorf("token is %d bytes", len(tok.Value))
			}
			if want := signedAt.Truncate(time.Second).Add(14 * time.Minute); !tok.Expiration.Equal(want) || tok.Expiration.Location() != time.UTC {
				t.Errorf("expiration %v, want %v in UTC", tok.Expiration, want)
			}
			u := decode(t, tok)
			if u.Scheme != "https" || u.Host != tc.host || u.Path != "/" {
				t.Errorf("URL is %s://%s%s, want https://%s/", u.Scheme, u.Host, u.Path, tc.host)
			}
			q := u.Query()
			want := []string{"Action", "Version", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature", "X-Amz-SignedHeaders"}
			if tc.sessionToken != "" {
				want = append(want, "X-Amz-Security-Token")
			}
			var got []string
			for k := range q {
				got = append(got, k)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("parameters %q, want %q", got, want)
			}
			region := tc.region
			if region == "" {
				region = "us-east-1"
			}
			for k, v := range map[string]string{
				"Action":               "GetCallerIdentity",
				"Version":              "2011-06-15",
				"X-Amz-Algorithm":      "AWS4-HMAC-SHA256",
				"X-Amz-Credential":     testKey + "/20260314/" + region + "/sts/aws4_request",
				"X-Amz-Date":           "20260314T150926Z",
				"X-Amz-Expires":        "60",
				"X-Amz-SignedHeaders":  "host;x-k8s-aws-id",
				"X-Amz-Security-Token": tc.sessionToken,
			} {
				if q.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, q.Get(k), v)
				}
			}
			if _, err := Verify(tok.Value, "prod", signedAt, nil); err != nil {
				t.Errorf("the authenticator's checks fail: %v", err)
			}
		})
	}
}

func TestTokenNeedsClusterAndCredentials(t *testing.T) {
	ctx := context.Background()
	cfg := aws.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, "")}
	if _, err := New(ctx, cfg, ""); err == nil {
		t.Error("no error without a cluster name")
	}
	if _, err := New(ctx, aws.Config{Region: "us-west-2"}, "prod"); err == nil {
		t.Error("no error without credentials")
	}
}

// TestTokenSignature sends the token's request to a local STS that checks
// SigV4 signatures, as the authenticator sends it to STS: it passes with
// the cluster it was made for, and fails for another cluster, so the
// cluster header is signed, as is the empty payload's hash.
func TestTokenSignature(t *testing.T) {
	now := time.Now()
	srv := ststest.NewServer(func(o *ststest.Options) {
		o.VerifySignatures = true
		o.Secrets = map[string]string{testKey: testSecret}
	})
	defer srv.Close()
	cfg := aws.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, "")}
	tok, err := New(context.Background(), cfg, "prod", at(now))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cluster string
		status  int
	}{{"prod", http.StatusOK}, {"staging", http.StatusForbidden}} {
		req, err := Verify(tok.Value, tc.cluster, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		body := send(t, srv, req)
		if body.status != tc.status {
			t.Errorf("cluster %s: STS answered %d, want %d: %s", tc.cluster, body.status, tc.status, body.text)
		}
		if tc.status == http.StatusOK && !strings.Contains(body.text, "<Arn>arn:aws:iam::123456789012:user/test</Arn>") {
			t.Errorf("GetCallerIdentity answered %s", body.text)
		}
	}
	if srv.Calls("GetCallerIdentity") != 2 {
		t.Errorf("STS answered %d calls, want 2", srv.Calls("GetCallerIdentity"))
	}
	// A secret STS does not know makes a signature it refuses.
	cfg.Credentials = credentials.NewStaticCredentialsProvider(testKey, "not-the-secret", "")
	bad, err := New(context.Background(), cfg, "prod", at(now))
	if err != nil {
		t.Fatal(err)
	}
	req, err := Verify(bad.Value, "prod", now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := send(t, srv, req); got.status != http.StatusForbidden || !strings.Contains(got.text, "SignatureDoesNotMatch") {
		t.Errorf("a wrong secret: STS answered %d %s", got.status, got.text)
	}
}

type answer struct {
	status int
	text   string
}

// send sends req to srv as if srv were the STS host the token names: the
// Host header stays the signed one.
func send(t *testing.T, srv *ststest.Server, req *http.Request) answer {
	t.Helper()
	local, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = req.URL.Host
	req.URL.Scheme, req.URL.Host = local.Scheme, local.Host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b)}
}

// TestVerifyRefuses checks the checks the tests rely on: each token the
// authenticator refuses is refused.
func TestVerifyRefuses(t *testing.T) {
	good := decode(t, newToken(t, "us-west-2", "t", "prod"))
	enc := func(u string) string { return Prefix + base64.RawURLEncoding.EncodeToString([]byte(u)) }
	with := func(f func(u *url.URL, q url.Values)) string {
		u := *good
		q := u.Query()
		f(&u, q)
		u.RawQuery = q.Encode()
		return enc(u.String())
	}
	for name, tc := range map[string]struct {
		token string
		now   time.Time
	}{
		"too long":        {Prefix + strings.Repeat("A", MaxTokenSize), signedAt},
		"no prefix":       {strings.TrimPrefix(enc(good.String()), Prefix), signedAt},
		"padded":          {enc(good.String()) + "=", signedAt},
		"http":            {with(func(u *url.URL, _ url.Values) { u.Scheme = "http" }), signedAt},
		"other host":      {with(func(u *url.URL, _ url.Values) { u.Host = "sts.example.com" }), signedAt},
		"other path":      {with(func(u *url.URL, _ url.Values) { u.Path = "/x" }), signedAt},
		"extra param":     {with(func(_ *url.URL, q url.Values) { q.Set("X-Amz-User-Agent", "x") }), signedAt},
		"other action":    {with(func(_ *url.URL, q url.Values) { q.Set("Action", "GetSessionToken") }), signedAt},
		"header unsigned": {with(func(_ *url.URL, q url.Values) { q.Set("X-Amz-SignedHeaders", "host") }), signedAt},
		"expires 901":     {with(func(_ *url.URL, q url.Values) { q.Set("X-Amz-Expires", "901") }), signedAt},
		"too old":         {enc(good.String()), signedAt.Truncate(time.Second).Add(15*time.Minute + time.Second)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Verify(tc.token, "prod", tc.now, nil); err == nil {
				t.Error("accepted")
			}
		})
	}
	// The boundary: 15 minutes old is still good.
	if _, err := Verify(enc(good.String()), "prod", signedAt.Truncate(time.Second).Add(15*time.Minute), nil); err != nil {
		t.Errorf("at 15 minutes: %v", err)
	}
}
