package sessioncache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sessioncache/sessioncache/ststest"
)

// Secrets of the entries fakeFetcher makes; no failure message may print
// them.
const (
	fetchedSecret = "fetched-secret-not-real"
	fetchedToken  = "fetched-token-not-real"
)

// fakeFetcher counts its fetches and makes a new entry for each, with an
// access key id that numbers it.
type fakeFetcher struct {
	key string
	// exp is the expiry of the entries it makes. Default: an hour from now.
	exp time.Time
	// release, when set, holds every fetch until it is closed.
	release chan struct{}
	err     error
	calls   atomic.Int32
}

func (f *fakeFetcher) CacheKey() string {
	if f.key == "" {
		return "0123456789abcdef0123456789abcdef01234567"
	}
	return f.key
}

func (f *fakeFetcher) Fetch(ctx context.Context) (*Entry, error) {
	n := f.calls.Add(1)
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	exp := f.exp
	if exp.IsZero() {
		exp = time.Now().Add(time.Hour)
	}
	return testEntry(fmt.Sprintf("ASIAFETCHED%08d", n), exp), nil
}

func testEntry(akid string, exp time.Time) *Entry {
	return &Entry{
		Credentials: EntryCredentials{
			AccessKeyID:     akid,
			SecretAccessKey: fetchedSecret,
			SessionToken:    fetchedToken,
			Expiration:      exp.UTC().Truncate(time.Second),
			AccountID:       "123456789012",
		},
		AssumedRoleUser: &AssumedRoleUser{AssumedRoleID: "AROAEXAMPLE:s", ARN: "arn:aws:sts::123456789012:assumed-role/admin/s"},
		RequestID:       "req-1",
	}
}

// logBuffer is a concurrency-safe buffer for slog output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// warnings returns the warning lines logged.
func (b *logBuffer) warnings() []string {
	var out []string
	for line := range strings.Lines(b.String()) {
		if strings.Contains(line, "level=WARN") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// newLogger returns a debug-level logger that writes to a buffer.
func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// newTestCache returns a FileCache in a new temporary directory.
func newTestCache(t testing.TB, logger *slog.Logger) *FileCache {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cache")
	return NewFileCache(dir, func(o *FileCacheOptions) { o.Logger = logger })
}

func newTestProvider(f Fetcher, c *FileCache, logger *slog.Logger) *Provider {
	return NewProvider(f, func(o *ProviderOptions) {
		o.Cache = c
		o.Logger = logger
	})
}

// putEntry writes e as key's entry, as another program would.
func putEntry(t testing.TB, c *FileCache, key string, e *Entry) {
	t.Helper()
	if err := c.Set(key, e); err != nil {
		t.Fatal(err)
	}
}

// setClock moves the clock the package reads for the rest of the test.
func setClock(t testing.TB, now time.Time) {
	t.Helper()
	old := timeNow
	timeNow = func() time.Time { return now }
	t.Cleanup(func() { timeNow = old })
}

func TestProviderExpiryWindowBoundary(t *testing.T) {
	exp := time.Date(2026, 11, 28, 20, 39, 6, 0, time.UTC)
	tests := map[string]struct {
		now       time.Time
		wantFetch bool
	}{
		"exactly 15 minutes left is a hit":    {now: exp.Add(-15 * time.Minute), wantFetch: false},
		"one nanosecond less fetches":         {now: exp.Add(-15*time.Minute + 1), wantFetch: true},
		"an hour left is a hit":               {now: exp.Add(-time.Hour), wantFetch: false},
		"expired a second ago fetches":        {now: exp.Add(time.Second), wantFetch: true},
		"expiring in 14 minutes fetches":      {now: exp.Add(-14 * time.Minute), wantFetch: true},
		"a day before the expiry is also hit": {now: exp.Add(-24 * time.Hour), wantFetch: false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			setClock(t, tt.now)
			c := newTestCache(t, nil)
			f := &fakeFetcher{exp: exp.Add(time.Hour)}
			putEntry(t, c, f.CacheKey(), testEntry("ASIACACHED", exp))
			creds, err := newTestProvider(f, c, nil).Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			fetched := f.calls.Load() == 1
			if fetched != tt.wantFetch {
				t.Fatalf("fetched = %v, want %v", fetched, tt.wantFetch)
			}
			if want := "ASIACACHED"; !tt.wantFetch && creds.AccessKeyID != want {
				t.Errorf("AccessKeyID = %q, want %q", creds.AccessKeyID, want)
			}
			if !creds.CanExpire || creds.Source != "sessioncache" {
				t.Errorf("CanExpire = %v, Source = %q", creds.CanExpire, creds.Source)
			}
		})
	}
}

func TestProviderConcurrentRetrieveSharesOneFetch(t *testing.T) {
	const goroutines = 20
	tests := map[string]struct {
		wrap func(p *Provider) aws.CredentialsProvider
	}{
		// The SDK's cache shares one retrieval among concurrent callers.
		"through aws.NewCredentialsCache": {wrap: func(p *Provider) aws.CredentialsProvider { return aws.NewCredentialsCache(p) }},
		// Without it, the file lock and the second read do the same.
		"provider alone": {wrap: func(p *Provider) aws.CredentialsProvider { return p }},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := newTestCache(t, nil)
			f := &fakeFetcher{release: make(chan struct{})}
			cp := tt.wrap(newTestProvider(f, c, nil))

			var started sync.WaitGroup
			started.Add(goroutines)
			keys := make(chan string, goroutines)
			errs := make(chan error, goroutines)
			for range goroutines {
				go func() {
					started.Done()
					creds, err := cp.Retrieve(context.Background())
					keys <- creds.AccessKeyID
					errs <- err
				}()
			}
			// Hold the fetch until every caller has begun.
			started.Wait()
			close(f.release)
			seen := map[string]int{}
			for range goroutines {
				if err := <-errs; err != nil {
					t.Error(err)
				}
				seen[<-keys]++
			}
			if n := f.calls.Load(); n != 1 {
				t.Errorf("%d fetches, want 1", n)
			}
			if len(seen) != 1 {
				t.Errorf("callers got %d different access keys, want 1: %v", len(seen), seen)
			}
		})
	}
}

func TestProviderReplacesDamagedEntries(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "entries", "damaged-*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no damaged fixtures: %v", err)
	}
	cases := map[string][]byte{
		"larger than the limit": bytes.Repeat([]byte("{"), maxEntrySize+10),
		"NUL bytes":             make([]byte, 64),
		"JSON null":             []byte("null"),
	}
	for _, f := range files {
		cases[filepath.Base(f)] = readFixture(t, filepath.Base(f))
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			logger, logs := newLogger()
			c := newTestCache(t, logger)
			f := &fakeFetcher{}
			if err := os.MkdirAll(c.Dir(), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(c.Path(f.CacheKey()), data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Get(f.CacheKey()); !errors.Is(err, ErrDamagedEntry) {
				t.Fatalf("Get error = %v, want ErrDamagedEntry", err)
			}
			creds, err := newTestProvider(f, c, logger).Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n := f.calls.Load(); n != 1 {
				t.Fatalf("%d fetches, want 1", n)
			}
			e, err := c.Get(f.CacheKey())
			if err != nil {
				t.Fatalf("the damaged entry was not replaced: %v", err)
			}
			if e.Credentials.AccessKeyID != creds.AccessKeyID {
				t.Errorf("the entry holds %q, want the fetched %q", e.Credentials.AccessKeyID, creds.AccessKeyID)
			}
			if w := logs.warnings(); len(w) != 0 {
				t.Errorf("a damaged entry is an ordinary miss, but it warned: %q", w)
			}
		})
	}
}

func TestProviderFetchErrorIsReturned(t *testing.T) {
	c := newTestCache(t, nil)
	boom := errors.New("sts is down")
	f := &fakeFetcher{err: boom}
	_, err := newTestProvider(f, c, nil).Retrieve(context.Background())
	if !errors.Is(err, boom) {
		t.Fatalf("Retrieve error = %v, want the fetch error", err)
	}
	if _, err := c.Get(f.CacheKey()); !errors.Is(err, ErrNotCached) {
		t.Errorf("a failed fetch left an entry: %v", err)
	}
}

func TestProviderWithoutCacheFetchesEveryTime(t *testing.T) {
	f := &fakeFetcher{}
	p := NewProvider(f)
	for range 2 {
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
}

func TestProviderHonoursContextWhileWaitingForLock(t *testing.T) {
	c := newTestCache(t, nil)
	f := &fakeFetcher{}
	unlock, err := c.Lock(context.Background(), f.CacheKey())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = newTestProvider(f, c, nil).Retrieve(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Retrieve error = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Retrieve returned %v after the deadline", d)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("%d fetches while another holds the lock and the context is done, want 0", n)
	}
}

func TestNothingSecretIsLoggedOrReturned(t *testing.T) {
	tests := map[string]struct {
		setup func(t *testing.T, srv *ststest.Server, c *FileCache)
	}{
		"rejected MFA code": {setup: func(t *testing.T, srv *ststest.Server, c *FileCache) {
			srv.SetMFACode("111111")
		}},
		"server error with a code": {setup: func(t *testing.T, srv *ststest.Server, c *FileCache) {
			srv.FailNext(1, "InternalFailure", "An internal error occurred", http.StatusInternalServerError)
		}},
		"expired source credentials": {setup: func(t *testing.T, srv *ststest.Server, c *FileCache) {
			srv.FailNext(1, "ExpiredToken", "The security token included in the request is expired", http.StatusForbidden)
		}},
		"damaged entry holding secrets": {setup: func(t *testing.T, srv *ststest.Server, c *FileCache) {
			srv.SetMFACode("111111")
			if err := os.MkdirAll(c.Dir(), 0o700); err != nil {
				t.Fatal(err)
			}
			data := readFixture(t, "damaged-truncated.json")
			data = append(readFixture(t, "cli-z.json"), data...)
			if err := os.WriteFile(c.Path(testAssumeRoleKey()), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		"untrusted entry holding secrets": {setup: func(t *testing.T, srv *ststest.Server, c *FileCache) {
			srv.SetMFACode("111111")
			if err := os.MkdirAll(c.Dir(), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(c.Path(testAssumeRoleKey()), readFixture(t, "cli-z.json"), 0o666); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(c.Path(testAssumeRoleKey()), 0o666); err != nil {
				t.Fatal(err)
			}
		}},
		// Success, then a write that fails: the warning must not quote
		// the new credentials.
		"fetched but not written": {setup: func(t *testing.T, srv *ststest.Server, c *FileCache) {
			if err := os.MkdirAll(c.Path(testAssumeRoleKey()), 0o700); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := ststest.NewServer(func(o *ststest.Options) { o.RequireMFA = true })
			defer srv.Close()
			logger, logs := newLogger()
			c := newTestCache(t, logger)
			tt.setup(t, srv, c)
			tokens := &fixedCode{code: testCode}
			f := NewAssumeRoleFetcher(newSTSClient(srv.URL, nil), testRoleARN, func(o *AssumeRoleOptions) {
				o.SerialNumber = testSerial
				o.TokenProvider = tokens.provide
				o.Profile = "admin"
			})
			creds, err := newTestProvider(f, c, logger).Retrieve(context.Background())
			secrets := map[string]string{
				"source secret key":    sourceSecret,
				"source session token": sourceToken,
				"MFA code":             testCode,
				"cached secret key":    fixtureSecret,
				"cached session token": fixtureToken,
			}
			if err == nil {
				secrets["new secret key"] = creds.SecretAccessKey
				secrets["new session token"] = creds.SessionToken
			}
			said := map[string]string{"the log": logs.String()}
			if err != nil {
				said["the error"] = err.Error()
				said["the error, %+v"] = fmt.Sprintf("%+v", err)
				said["the error, %#v"] = fmt.Sprintf("%#v", err)
			}
			if logs.String() == "" {
				t.Error("nothing logged at debug level: the test proves nothing")
			}
			for where, text := range said {
				for what, secret := range secrets {
					if strings.Contains(text, secret) {
						t.Errorf("%s holds the %s", where, what)
					}
				}
			}
		})
	}
}

// testAssumeRoleKey is the cache key of the role the tests assume with MFA.
func testAssumeRoleKey() string {
	return AssumeRoleKey(AssumeRoleKeyInput{RoleARN: testRoleARN, SerialNumber: testSerial})
}
