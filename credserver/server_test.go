package credserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/ststest"
)

const testToken = "test-token-0123456789abcdefghijklmnopqrstuvw"

// fakeProvider hands out the credentials of its next function, and counts
// the calls.
type fakeProvider struct {
	calls atomic.Int32
	next  func(n int32) (aws.Credentials, error)
}

func (p *fakeProvider) Retrieve(context.Context) (aws.Credentials, error) {
	return p.next(p.calls.Add(1))
}

// creds are credentials numbered n, expiring at exp.
func creds(n int32, exp time.Time) aws.Credentials {
	s := string(rune('0' + n))
	return aws.Credentials{
		AccessKeyID:     "ASIAEXAMPLEKEY0000" + s,
		SecretAccessKey: "secret-" + s,
		SessionToken:    "token-" + s,
		CanExpire:       true,
		Expires:         exp,
		AccountID:       "123456789012",
	}
}

// expiringIn returns a provider whose credentials expire d from now.
func expiringIn(d time.Duration) *fakeProvider {
	return &fakeProvider{next: func(n int32) (aws.Credentials, error) {
		return creds(n, time.Now().Add(d).Truncate(time.Second)), nil
	}}
}

func newServer(t *testing.T, p aws.CredentialsProvider, optFns ...func(*Options)) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(p, testToken, optFns...)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

// endpointProvider is the Go SDK's container credentials client, as the
// SDK builds it from the two variables.
func endpointProvider(url, token string) *endpointcreds.Provider {
	return endpointcreds.New(url, func(o *endpointcreds.Options) {
		o.AuthorizationToken = token
		o.Retryer = aws.NopRetryer{}
	})
}

func TestServeToSDK(t *testing.T) {
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	p := &fakeProvider{next: func(n int32) (aws.Credentials, error) { return creds(n, exp), nil }}
	s, hs := newServer(t, p)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := endpointProvider(hs.URL+"/", testToken).Retrieve(context.Background())
	if err != nil {
		t.Fatalf("endpointcreds: %v", err)
	}
	want := creds(1, exp)
	if got.AccessKeyID != want.AccessKeyID || got.SecretAccessKey != want.SecretAccessKey ||
		got.SessionToken != want.SessionToken || !got.CanExpire || !got.Expires.Equal(exp) || got.AccountID != want.AccountID {
		t.Errorf("the SDK got key %s, expiry %v (can expire %v), account %q; want key %s, expiry %v, account %s",
			got.AccessKeyID, got.Expires, got.CanExpire, got.AccountID, want.AccessKeyID, exp, want.AccountID)
	}
}

func TestStatuses(t *testing.T) {
	p := expiringIn(time.Hour)
	s, hs := newServer(t, p, func(o *Options) { o.Path = "/creds" })
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		auth               []string
		status             int
		code               string
	}{
		{"good", "GET", "/creds", []string{testToken}, 200, ""},
		{"no token", "GET", "/creds", nil, 403, "AccessDenied"},
		{"empty token", "GET", "/creds", []string{""}, 403, "AccessDenied"},
		{"wrong token", "GET", "/creds", []string{testToken[:len(testToken)-1] + "X"}, 403, "AccessDenied"},
		{"token prefix", "GET", "/creds", []string{testToken[:10]}, 403, "AccessDenied"},
		{"bearer scheme", "GET", "/creds", []string{"Bearer " + testToken}, 403, "AccessDenied"},
		{"two tokens", "GET", "/creds", []string{testToken, testToken}, 403, "AccessDenied"},
		{"other path", "GET", "/", []string{testToken}, 404, "NotFound"},
		{"sub path", "GET", "/creds/x", []string{testToken}, 404, "NotFound"},
		{"post", "POST", "/creds", []string{testToken}, 405, "MethodNotAllowed"},
		{"head", "HEAD", "/creds", []string{testToken}, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, hs.URL+tt.path, nil)
			for _, a := range tt.auth {
				req.Header.Add("Authorization", a)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if tt.status == 200 {
				var c credentialsJSON
				if err := json.Unmarshal(body, &c); err != nil || c.AccessKeyID == "" || c.Expiration == "" {
					t.Errorf("body is not credentials (%v)", err)
				}
				return
			}
			if tt.method == "POST" && resp.Header.Get("Allow") != "GET" {
				t.Errorf("Allow %q, want GET", resp.Header.Get("Allow"))
			}
			if strings.Contains(string(body), "secret-") || strings.Contains(string(body), "token-") || strings.Contains(string(body), testToken[:10]) {
				t.Errorf("error body holds a secret")
			}
			if tt.method == "HEAD" {
				return
			}
			var e errorJSON
			if err := json.Unmarshal(body, &e); err != nil || e.Code != tt.code || e.Message == "" {
				t.Errorf("body %s, want code %s and a message", body, tt.code)
			}
		})
	}
	if n := p.calls.Load(); n != 1 {
		t.Errorf("the provider was called %d times, want 1", n)
	}
}

// The SDK reports a refused token as an error, with the server's code.
func TestWrongTokenSDKError(t *testing.T) {
	s, hs := newServer(t, expiringIn(time.Hour))
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := endpointProvider(hs.URL+"/", "wrong").Retrieve(context.Background())
	if err == nil {
		t.Fatal("the SDK got credentials with a wrong token")
	}
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) || coded.ErrorCode() != "AccessDenied" {
		t.Errorf("error %v, want one with code AccessDenied", err)
	}
}

// An answer carries credentials valid for MinValidity at least: 15
// minutes left is served, one second less is not.
func TestMinValidity(t *testing.T) {
	exp := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	p := &fakeProvider{next: func(n int32) (aws.Credentials, error) { return creds(n, exp), nil }}
	s, err := New(p, testToken)
	if err != nil {
		t.Fatal(err)
	}
	defer func(f func() time.Time) { timeNow = f }(timeNow)
	timeNow = func() time.Time { return exp.Add(-time.Hour) }
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		left   time.Duration
		status int
	}{
		{"hour", time.Hour, 200},
		{"inside refresh window", 16 * time.Minute, 200},
		{"exactly 15 minutes", 15 * time.Minute, 200},
		{"under 15 minutes", 15*time.Minute - time.Nanosecond, 503},
		{"expired", -time.Minute, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeNow = func() time.Time { return exp.Add(-tt.left) }
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Authorization", testToken)
			s.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
		})
	}
}

func TestNoCredentialsYet(t *testing.T) {
	_, hs := newServer(t, expiringIn(time.Hour))
	_, err := endpointProvider(hs.URL+"/", testToken).Retrieve(context.Background())
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) || coded.ErrorCode() != "CredentialsUnavailable" {
		t.Errorf("error %v, want code CredentialsUnavailable", err)
	}
}

// Credentials that never expire get an Expiration an hour ahead, which
// botocore requires.
func TestStaticCredentials(t *testing.T) {
	p := &fakeProvider{next: func(int32) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "s"}, nil
	}}
	s, hs := newServer(t, p)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := endpointProvider(hs.URL+"/", testToken).Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(got.Expires); !got.CanExpire || left < 59*time.Minute || left > time.Hour {
		t.Errorf("expiry %v from now, want an hour", left)
	}
}

func TestNew(t *testing.T) {
	p := expiringIn(time.Hour)
	tests := []struct {
		name  string
		token string
		opt   func(*Options)
	}{
		{"empty token", "", nil},
		{"line break", "abc\r\nX-Other: 1", nil},
		{"relative path", testToken, func(o *Options) { o.Path = "creds" }},
		{"window not above validity", testToken, func(o *Options) { o.RefreshWindow = o.MinValidity }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []func(*Options)
			if tt.opt != nil {
				opts = append(opts, tt.opt)
			}
			if _, err := New(p, tt.token, opts...); err == nil || !strings.HasPrefix(err.Error(), "credserver: ") {
				t.Errorf("New: %v, want a credserver error", err)
			}
		})
	}
}

// Run refreshes ahead of the refresh window, and requests keep getting
// the old credentials while the refresh waits (for a person typing an
// MFA code).
func TestRunRefreshesAhead(t *testing.T) {
	release := make(chan struct{})
	p := &fakeProvider{}
	p.next = func(n int32) (aws.Credentials, error) {
		if n == 1 {
			return creds(n, time.Now().Add(DefaultRefreshWindow+300*time.Millisecond).Truncate(time.Second).Add(time.Second)), nil
		}
		<-release
		return creds(n, time.Now().Add(time.Hour)), nil
	}
	s, hs := newServer(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	deadline := time.Now().Add(10 * time.Second)
	for p.calls.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not refresh credentials inside the refresh window")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The refresh is blocked; the old credentials are still served.
	c, err := endpointProvider(hs.URL+"/", testToken).Retrieve(ctx)
	if err != nil || c.AccessKeyID != creds(1, time.Time{}).AccessKeyID {
		t.Fatalf("during the refresh: %v, key %s; want the first credentials", err, c.AccessKeyID)
	}
	close(release)
	for {
		c, err = endpointProvider(hs.URL+"/", testToken).Retrieve(ctx)
		if err == nil && c.AccessKeyID == creds(2, time.Time{}).AccessKeyID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the refresh: %v, key %s; want the second credentials", err, c.AccessKeyID)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	if n := p.calls.Load(); n != 2 {
		t.Errorf("the provider was called %d times, want 2", n)
	}
}

// A failed refresh is retried after RetryInterval, and the credentials
// held are served meanwhile.
func TestRunRetries(t *testing.T) {
	p := &fakeProvider{}
	p.next = func(n int32) (aws.Credentials, error) {
		switch n {
		case 1:
			return creds(n, time.Now().Add(DefaultRefreshWindow-time.Minute)), nil
		case 2:
			return aws.Credentials{}, errors.New("sts: throttled")
		}
		return creds(n, time.Now().Add(time.Hour)), nil
	}
	s, hs := newServer(t, p, func(o *Options) { o.RetryInterval = 50 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stale *StaleError
	if err := s.Refresh(ctx); !errors.As(err, &stale) {
		t.Fatalf("Refresh of credentials inside the window: %v, want a StaleError", err)
	}
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		s.Run(ctx)
	}()
	// Run reads the test hooks: it must end before the next test sets them.
	defer func() { cancel(); <-ran }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := endpointProvider(hs.URL+"/", testToken).Retrieve(ctx)
		if err != nil {
			t.Fatalf("a request failed while refreshing: %v", err)
		}
		if c.AccessKeyID == creds(3, time.Time{}).AccessKeyID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("key %s after %d calls, want the third credentials", c.AccessKeyID, p.calls.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A role whose sessions are shorter than the refresh window: every
// refresh gives credentials already inside it. Run must not call the
// provider again (each call may mean STS and an MFA code) until those
// credentials would stop being served.
func TestRunShortSessions(t *testing.T) {
	p := expiringIn(DefaultMinValidity + 2*time.Minute)
	s, hs := newServer(t, p, func(o *Options) { o.RetryInterval = 10 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stale *StaleError
	if err := s.Refresh(ctx); !errors.As(err, &stale) {
		t.Fatalf("Refresh: %v, want a StaleError", err)
	}
	waits := make(chan time.Duration, 1)
	s.waitHook = func(d time.Duration) {
		select {
		case waits <- d:
		default:
		}
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	// Run's first wait is until the credentials would stop being served,
	// two minutes from now, not RetryInterval.
	if d := <-waits; d < time.Minute {
		t.Errorf("Run waits %v before it calls the provider again, want until the credentials stop being served", d)
	}
	if n := p.calls.Load(); n > 2 {
		t.Errorf("the provider was called %d times before Run waited, want at most 2", n)
	}
	if _, err := endpointProvider(hs.URL+"/", testToken).Retrieve(ctx); err != nil {
		t.Errorf("the short credentials are not served: %v", err)
	}
}

// Clients that hammer the server are answered from memory: the provider
// is not called per request.
func TestHammer(t *testing.T) {
	p := expiringIn(time.Hour)
	s, hs := newServer(t, p)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				c := endpointProvider(hs.URL+"/", testToken)
				if _, err := c.Retrieve(context.Background()); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d of 400 requests failed", n)
	}
	if n := p.calls.Load(); n != 1 {
		t.Errorf("the provider was called %d times for 400 requests, want 1", n)
	}
}

// cachedRole is a profile that assumes a role with a local STS, set up as
// the package documentation says, and whose cache entry expires at exp.
type cachedRole struct {
	sts   *ststest.Server
	cache *sessioncache.FileCache
	key   string
	old   *sessioncache.Entry
	creds aws.CredentialsProvider
}

func newCachedRole(t testing.TB, exp time.Time) *cachedRole {
	t.Helper()
	return newRole(t, exp, &sessioncache.Loader{},
		config.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 0 }))
}

// newRole is newCachedRole with the loader l and further load options.
func newRole(t testing.TB, exp time.Time, l *sessioncache.Loader, optFns ...func(*config.LoadOptions) error) *cachedRole {
	t.Helper()
	sts := ststest.NewServer()
	t.Cleanup(sts.Close)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	credFile := filepath.Join(dir, "credentials")
	os.WriteFile(cfgFile, []byte("[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\n"), 0o600)
	os.WriteFile(credFile, []byte("[base]\naws_access_key_id = AKIAEXAMPLEBASE00001\naws_secret_access_key = base-secret\n"), 0o600)
	cacheDir := filepath.Join(dir, "cache")
	opts := []func(*config.LoadOptions) error{
		config.WithSharedConfigProfile("admin"),
		config.WithSharedConfigFiles([]string{cfgFile}),
		config.WithSharedCredentialsFiles([]string{credFile}),
		config.WithRegion("us-east-1"),
		config.WithBaseEndpoint(sts.URL),
	}
	opts = append(opts, optFns...)
	l.CacheDir = cacheDir
	entries, err := l.ProfileEntries(context.Background(), opts...)
	if err != nil || len(entries) != 1 {
		t.Fatalf("ProfileEntries: %v, %d entries", err, len(entries))
	}
	r := &cachedRole{sts: sts, cache: sessioncache.NewFileCache(cacheDir), key: entries[0].Key}
	// An entry made by another process.
	r.old = &sessioncache.Entry{Credentials: sessioncache.EntryCredentials{
		AccessKeyID: "ASIAOLDOLDOLDOLDOLD1", SecretAccessKey: "old-secret", SessionToken: "old-token",
		Expiration: exp,
	}}
	if err := r.cache.Set(r.key, r.old); err != nil {
		t.Fatal(err)
	}
	cfg, err := l.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	r.creds = cfg.Credentials
	return r
}

// Run refreshes in the background through the file cache once the entry
// comes within the refresh window: one AssumeRole, the new entry in the
// file, and served from then on.
func TestRunRefreshesThroughFileCache(t *testing.T) {
	// The drop-in configuration: its memory cache reports the expiry 15
	// minutes early, so the server sees 1.5 s to go before its window.
	exp := time.Now().Add(sessioncache.DefaultExpiryWindow + DefaultRefreshWindow + 1500*time.Millisecond).Truncate(time.Second).Add(time.Second)
	r := newRole(t, exp, &sessioncache.Loader{})
	s, hs := newServer(t, r.creds)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := r.sts.Calls("AssumeRole"); n != 0 {
		t.Fatalf("STS answered %d AssumeRole calls for an entry outside the window, want 0", n)
	}
	go s.Run(ctx)
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := endpointProvider(hs.URL+"/", testToken).Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.AccessKeyID != r.old.Credentials.AccessKeyID {
			e, err := r.cache.Get(r.key)
			if err != nil || e.Credentials.AccessKeyID != c.AccessKeyID {
				t.Errorf("served key %s is not the one in the cache file (%v)", c.AccessKeyID, err)
			}
			// An hour, less the 15 minutes the memory cache takes off.
			if time.Until(c.Expires) < 40*time.Minute {
				t.Errorf("the refreshed credentials expire in %v", time.Until(c.Expires))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server still serves the old entry")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := r.sts.Calls("AssumeRole"); n != 1 {
		t.Errorf("STS answered %d AssumeRole calls, want 1", n)
	}
}

// With sessioncache, a refresh inside the window goes through the file
// cache: one STS call, and the entry in the file is the new one.
func TestRefreshThroughFileCache(t *testing.T) {
	// 17 minutes from expiry: inside the window.
	r := newCachedRole(t, time.Now().Add(17*time.Minute).Truncate(time.Second))
	sts, cache, key, old := r.sts, r.cache, r.key, r.old
	s, hs := newServer(t, r.creds)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := sts.Calls("AssumeRole"); n != 1 {
		t.Errorf("STS answered %d AssumeRole calls, want 1", n)
	}
	e, err := cache.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	if e.Credentials.AccessKeyID == old.Credentials.AccessKeyID {
		t.Fatal("the cache file still holds the old entry")
	}
	for range 100 {
		c, err := endpointProvider(hs.URL+"/", testToken).Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.AccessKeyID != e.Credentials.AccessKeyID || !c.Expires.Equal(e.Credentials.Expiration) {
			t.Fatalf("served key %s expiring %v; the cache holds %s expiring %v",
				c.AccessKeyID, c.Expires, e.Credentials.AccessKeyID, e.Credentials.Expiration)
		}
	}
	// A second refresh finds the entry fresh: no call.
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := sts.Calls("AssumeRole"); n != 1 {
		t.Errorf("STS answered %d AssumeRole calls after 100 requests and a refresh, want 1", n)
	}
}

// The credentials of a plain sessioncache.LoadDefaultConfig, whose memory
// cache reports the expiry 15 minutes early, are refreshed through the
// file cache as soon as the server would find them stale: an entry with 30
// minutes left, which the program itself would still use, is replaced.
func TestRefreshDropInConfig(t *testing.T) {
	r := newRole(t, time.Now().Add(30*time.Minute).Truncate(time.Second), &sessioncache.Loader{})
	s, hs := newServer(t, r.creds)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := r.sts.Calls("AssumeRole"); n != 1 {
		t.Errorf("STS answered %d AssumeRole calls, want 1", n)
	}
	c, err := endpointProvider(hs.URL+"/", testToken).Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID == r.old.Credentials.AccessKeyID {
		t.Fatal("the server serves the old entry")
	}
	if left := time.Until(c.Expires); left < DefaultRefreshWindow {
		t.Errorf("served credentials expire in %v, inside the refresh window", left)
	}
}

func TestNewToken(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if len(a) != 43 || strings.ContainsAny(a, "+/=") {
		t.Errorf("token of %d characters, want 43 of base64url", len(a))
	}
	if a == b {
		t.Error("two tokens are equal")
	}
}
