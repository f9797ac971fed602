package ssologin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sessioncache/sessioncache/ststest"
)

const (
	testStartURL = "https://d-123.awsapps.com/start"
	testRegion   = "eu-west-1"
)

// rig is a local SSO OIDC service and a cache directory.
type rig struct {
	oidc *ststest.OIDCServer
	cfg  aws.Config
	dir  string
	out  *syncBuffer
}

func newRig(t *testing.T, optFns ...func(*ststest.OIDCOptions)) *rig {
	t.Helper()
	s := ststest.NewOIDCServer(optFns...)
	t.Cleanup(s.Close)
	return &rig{
		oidc: s,
		cfg:  aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), Credentials: aws.AnonymousCredentials{}},
		dir:  t.TempDir(),
		out:  &syncBuffer{},
	}
}

func (r *rig) source(t *testing.T, s Session, optFns ...func(*Options)) *TokenSource {
	t.Helper()
	ts, err := NewTokenSource(r.cfg, s, append([]func(*Options){func(o *Options) {
		o.CacheDir = r.dir
		o.Output = r.out
		o.NoBrowser = true
		o.OpenBrowser = func(string) error {
			t.Error("the browser was opened")
			return nil
		}
	}}, optFns...)...)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// browse is a browser that follows the authorize page's redirect back to
// the local listener.
func browse(t *testing.T) func(o *Options) {
	return func(o *Options) {
		o.NoBrowser = false
		o.OpenBrowser = func(u string) error {
			resp, err := http.Get(u)
			if err != nil {
				return err
			}
			resp.Body.Close()
			return nil
		}
	}
}

func sessionCorp() Session {
	return Session{Name: "corp", StartURL: testStartURL, Region: testRegion, Profile: "dev"}
}

func legacy() Session {
	return Session{StartURL: testStartURL, Region: testRegion, Profile: "old"}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestMain(m *testing.M) {
	// A display, so that tests reach the browser opener they set.
	os.Setenv("DISPLAY", ":0")
	os.Exit(m.Run())
}

// approveWhenShown approves the first device code the service issues
// once it is shown, as a person who reads it off the screen; before, it
// calls meanwhile.
func (r *rig) approveWhenShown(t *testing.T, meanwhile func()) {
	t.Helper()
	go func() {
		code, err := r.oidc.WaitForUserCode(20 * time.Second)
		for i := 0; err == nil && !strings.Contains(r.out.String(), code); i++ {
			if i == 2000 {
				err = errors.New("the user code was never shown")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err == nil && meanwhile != nil {
			meanwhile()
		}
		if err == nil {
			err = r.oidc.Approve(code)
		}
		if err != nil {
			t.Error(err)
		}
	}()
}

func TestDeviceFlowWritesTheTokenTheSDKsRead(t *testing.T) {
	r := newRig(t)
	r.approveWhenShown(t, nil)
	ts := r.source(t, legacy())
	tok, err := ts.Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(r.dir, CacheKey("", testStartURL)+".json")
	if ts.Path() != path {
		t.Errorf("Path() = %s, want %s", ts.Path(), path)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", info.Mode().Perm())
	}
	got, err := ReadToken(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != tok.AccessToken || got.StartURL != testStartURL || got.Region != testRegion || got.ClientID == "" || got.ClientSecret == "" {
		t.Errorf("token file holds %v", got)
	}
	if got.RefreshToken != "" {
		t.Error("a legacy profile's client has no scopes, so its token has no refresh token")
	}
	if d := time.Until(got.ExpiresAt); d < 59*time.Minute || d > time.Hour {
		t.Errorf("token expires in %v, want an hour", d)
	}
	// The user was told where to go and what to type.
	for _, req := range r.oidc.Requests() {
		if req.Action == "StartDeviceAuthorization" && req.Params.Get("startUrl") != testStartURL {
			t.Errorf("StartDeviceAuthorization for %q", req.Params.Get("startUrl"))
		}
	}
	out := r.out.String()
	if !strings.Contains(out, r.oidc.URL+"/device") || !strings.Contains(out, "Then enter the code:") {
		t.Errorf("output lacks the URL or the code:\n%s", out)
	}
	noSecrets(t, out, got)
}

func TestAuthCodeFlowSignsInThroughTheBrowser(t *testing.T) {
	r := newRig(t, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	ts := r.source(t, sessionCorp(), browse(t))
	tok, err := ts.Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" {
		t.Error("the authorization code flow registers sso:account:access, so the token must be refreshable")
	}
	// The SHA-1 of the sso-session name, as the AWS CLI names the file.
	if ts.Path() != filepath.Join(r.dir, "ee0bfd2552fbd840c02cc48b6e823320543c450f.json") {
		t.Errorf("token path %s", ts.Path())
	}
	if r.oidc.Calls("StartDeviceAuthorization") != 0 || r.oidc.Calls("Authorize") != 1 {
		t.Errorf("calls: %d StartDeviceAuthorization, %d Authorize", r.oidc.Calls("StartDeviceAuthorization"), r.oidc.Calls("Authorize"))
	}
	for _, req := range r.oidc.Requests() {
		if req.Action == "RegisterClient" && req.Params.Get("clientName") != "botocore-client-corp" {
			t.Errorf("registered as %q", req.Params.Get("clientName"))
		}
	}
	out := r.out.String()
	if !strings.Contains(out, "Attempting to open your default browser") || !strings.Contains(out, r.oidc.URL+"/authorize?") {
		t.Errorf("output:\n%s", out)
	}
	noSecrets(t, out, tok)

	// A second sign-in reuses the registration, as the AWS CLI does.
	if _, err := ts.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := r.oidc.Calls("RegisterClient"); n != 1 {
		t.Errorf("RegisterClient called %d times, want 1", n)
	}
	// `aws sso logout` loads every file of the directory as JSON and
	// fails on anything but an object.
	dirents, err := os.ReadDir(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirents {
		if d.IsDir() {
			continue
		}
		var m map[string]any
		data, _ := os.ReadFile(filepath.Join(r.dir, d.Name()))
		if json.Unmarshal(data, &m) != nil {
			t.Errorf("%s in the SSO cache is not a JSON object", d.Name())
		}
	}
}

// strayBrowser is an OpenBrowser that follows the authorize page to the
// loopback listener's redirect, first sends each of strays (made from the
// real redirect, as a forged page or another process could) and records
// the statuses, then sends the real redirect unless forgedOnly is set.
func strayBrowser(strays []func(u *url.URL), forgedOnly bool, statuses *[]int) func(string) error {
	return func(u string) error {
		real, err := authorizeRedirect(u)
		if err != nil {
			return err
		}
		for _, stray := range strays {
			forged := *real
			stray(&forged)
			resp, err := http.Get(forged.String())
			if err != nil {
				return err
			}
			*statuses = append(*statuses, resp.StatusCode)
			resp.Body.Close()
		}
		if forgedOnly {
			return nil
		}
		resp, err := http.Get(real.String())
		if err != nil {
			return err
		}
		*statuses = append(*statuses, resp.StatusCode)
		resp.Body.Close()
		return nil
	}
}

// authorizeRedirect follows the authorize page at u, as a browser would,
// and returns the redirect it sends back to the loopback listener.
func authorizeRedirect(u string) (*url.URL, error) {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(u)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return url.Parse(resp.Header.Get("Location"))
}

// query returns a change to a URL's query.
func query(fn func(q url.Values)) func(u *url.URL) {
	return func(u *url.URL) {
		q := u.Query()
		fn(q)
		u.RawQuery = q.Encode()
	}
}

// Requests to the loopback listener that are not the sign-in's redirect
// get an error page, and the sign-in goes on to take the real one.
func TestStrayRedirectsAreRefused(t *testing.T) {
	strays := []func(u *url.URL){
		query(func(q url.Values) { q.Set("state", "forged") }),
		query(func(q url.Values) { q.Del("state") }),
		query(func(q url.Values) { q.Del("code") }),
		query(func(q url.Values) { q.Del("code"); q.Set("state", "forged"); q.Set("error", "access_denied") }),
		query(func(q url.Values) { q.Del("state"); q.Set("error", "server_error") }),
		func(u *url.URL) { u.Path = "/other" },
	}
	r := newRig(t, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	var statuses []int
	ts := r.source(t, sessionCorp(), func(o *Options) {
		o.NoBrowser = false
		o.OpenBrowser = strayBrowser(strays, false, &statuses)
	})
	if _, err := ts.Login(context.Background()); err != nil {
		t.Fatalf("Login = %v, want the real redirect taken after the stray ones", err)
	}
	want := []int{400, 400, 400, 400, 400, 404, 200}
	if !slices.Equal(statuses, want) {
		t.Errorf("the listener answered %v, want %v", statuses, want)
	}
	if n := r.oidc.Calls("CreateToken"); n != 1 {
		t.Errorf("CreateToken called %d times, want 1: only the real code", n)
	}
}

// With only forged redirects, the sign-in waits until its deadline and
// then fails, writing no token.
func TestForgedRedirectsWaitForTheDeadline(t *testing.T) {
	defer func(d time.Duration) { authCodeTimeout = d }(authCodeTimeout)
	authCodeTimeout = 500 * time.Millisecond
	r := newRig(t, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	var statuses []int
	ts := r.source(t, sessionCorp(), func(o *Options) {
		o.NoBrowser = false
		o.OpenBrowser = strayBrowser([]func(*url.URL){query(func(q url.Values) { q.Set("state", "forged") })}, true, &statuses)
	})
	start := time.Now()
	_, err := ts.Login(context.Background())
	if !errors.Is(err, ErrAuthorizationExpired) {
		t.Fatalf("Login = %v, want ErrAuthorizationExpired", err)
	}
	if took := time.Since(start); took < authCodeTimeout {
		t.Errorf("Login gave up after %v, before its deadline", took)
	}
	if !slices.Equal(statuses, []int{400}) {
		t.Errorf("the listener answered %v, want [400]", statuses)
	}
	if r.oidc.Calls("CreateToken") != 0 {
		t.Error("the code of a refused redirect was exchanged")
	}
	if _, err := os.Stat(ts.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a token file was written: %v", err)
	}
}

func TestDeniedSignIn(t *testing.T) {
	for name, fn := range map[string]func(*Options){
		"device":    func(o *Options) { o.UseDeviceCode = true },
		"auth code": browse(t),
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, func(o *ststest.OIDCOptions) { o.Deny = true })
			ts := r.source(t, sessionCorp(), fn)
			_, err := ts.Login(context.Background())
			if !errors.Is(err, ErrAccessDenied) {
				t.Fatalf("Login = %v, want ErrAccessDenied", err)
			}
			if _, err := os.Stat(ts.Path()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a token file was written: %v", err)
			}
		})
	}
}

func TestExpiredDeviceCode(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	r := newRig(t, func(o *ststest.OIDCOptions) {
		o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	go func() {
		// The user walks away: ten minutes pass without an approval.
		if _, err := r.oidc.WaitForUserCode(20 * time.Second); err != nil {
			t.Error(err)
		}
		mu.Lock()
		now = now.Add(11 * time.Minute)
		mu.Unlock()
	}()
	ts := r.source(t, legacy())
	_, err := ts.Login(context.Background())
	if !errors.Is(err, ErrAuthorizationExpired) || !strings.Contains(err.Error(), "sessioncache login --profile old") {
		t.Fatalf("Login = %v, want ErrAuthorizationExpired and the command to run", err)
	}
}

func TestSlowDownLengthensTheInterval(t *testing.T) {
	defer func(d time.Duration) { slowDownDelay = d }(slowDownDelay)
	slowDownDelay = 300 * time.Millisecond
	r := newRig(t)
	r.approveWhenShown(t, func() {
		r.oidc.FailNext(2, "SlowDownException", "Client is polling too quickly", 400)
	})
	if _, err := r.source(t, legacy()).Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	slow := 0
	for _, req := range r.oidc.Requests() {
		if req.ErrorCode == "SlowDownException" {
			slow++
		}
	}
	// Two were queued; a client that kept its interval would have drawn
	// more from the service's own check.
	if slow != 2 {
		t.Errorf("%d slow_down answers, want the 2 queued", slow)
	}
}

func TestTokenWithoutSignIn(t *testing.T) {
	r := newRig(t)
	ts := r.source(t, sessionCorp())
	_, err := ts.Token(context.Background())
	var lre *LoginRequiredError
	if !errors.As(err, &lre) || !strings.Contains(err.Error(), "run `sessioncache login --profile dev`") {
		t.Fatalf("Token = %v, want a LoginRequiredError naming the command", err)
	}
	if n := len(r.oidc.Requests()); n != 0 {
		t.Errorf("%d calls to SSO OIDC without sign-in allowed", n)
	}
}

func TestDamagedTokenIsAMissAndReplaced(t *testing.T) {
	r := newRig(t, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	ts := r.source(t, legacy(), func(o *Options) { o.SignIn = true })
	if err := os.WriteFile(ts.Path(), []byte(`{"accessToken": "tok`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.source(t, legacy()).Token(context.Background()); !errors.Is(err, ErrDamaged) {
		t.Errorf("Token without sign-in = %v, want ErrDamaged inside", err)
	}
	tok, err := ts.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadToken(ts.Path())
	if err != nil || got.AccessToken != tok.AccessToken {
		t.Fatalf("the damaged file was not replaced: %v", err)
	}
}

func TestExpiredRegistrationIsRegisteredAgain(t *testing.T) {
	r := newRig(t, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	ts := r.source(t, legacy())
	// A registration with ten minutes left is too short for a sign-in.
	stale := `{"clientId": "old", "clientSecret": "old-secret", "expiresAt": "` + time.Now().Add(10*time.Minute).UTC().Format(timeLayout) + `"}`
	if err := os.WriteFile(ts.registrationPath(), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.oidc.Calls("RegisterClient") != 1 || tok.ClientID == "old" {
		t.Errorf("RegisterClient called %d times, client %q", r.oidc.Calls("RegisterClient"), tok.ClientID)
	}
}

func TestRegistrationKeyIsTheAWSCLIs(t *testing.T) {
	// Computed with the AWS CLI v2's _registration_cache_key.
	for name, c := range map[string]struct {
		s    Session
		want string
	}{
		"session":        {Session{Name: "corp", StartURL: testStartURL, Region: testRegion}, "7660906516874ae0344dfe3d481f0de553c13cef"},
		"session scopes": {Session{Name: "corp", StartURL: testStartURL, Region: testRegion, Scopes: []string{"sso:account:access"}}, "8a0de4bae25aa24f4f4b56290be7bda79afc60e2"},
		"legacy":         {Session{StartURL: testStartURL, Region: testRegion}, "1aca0563987e138b5bf255b1536407453c170a6f"},
	} {
		if got := registrationKey(c.s); got != c.want {
			t.Errorf("%s: key %s, want %s", name, got, c.want)
		}
	}
}

// noSecrets fails if out holds a secret of tok.
func noSecrets(t *testing.T, out string, tok *Token) {
	t.Helper()
	for name, s := range map[string]string{"access token": tok.AccessToken, "refresh token": tok.RefreshToken, "client secret": tok.ClientSecret} {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("the output holds the %s", name)
		}
	}
}
