package ssologin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/ststest"
)

// noTokenWritten fails the test when the sign-in left a token file.
func noTokenWritten(t *testing.T, ts *TokenSource) {
	t.Helper()
	if _, err := os.Stat(ts.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a token file was written: %v", err)
	}
}

// A sign-in cancelled while it waits for the person ends with the
// context's error, in either flow, and writes nothing.
func TestCancelledSignIn(t *testing.T) {
	for name, flow := range map[string]func(o *Options){
		"device": func(o *Options) { o.UseDeviceCode = true },
		"auth code": func(o *Options) {
			o.NoBrowser = false
			// The browser opens; the person never comes back.
			o.OpenBrowser = func(string) error { return nil }
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			ctx, cancel := context.WithCancel(context.Background())
			shown := make(chan struct{})
			ts := r.source(t, sessionCorp(), flow, func(o *Options) {
				o.Output = writerFunc(func(p []byte) (int, error) {
					select {
					case <-shown:
					default:
						close(shown)
					}
					return r.out.Write(p)
				})
			})
			go func() {
				<-shown
				cancel()
			}()
			_, err := ts.Login(ctx)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Login = %v, want context.Canceled", err)
			}
			if !strings.HasPrefix(err.Error(), "ssologin: wait for the sign-in: ") {
				t.Errorf("Login = %q, want it to say what was cancelled", err)
			}
			noTokenWritten(t, ts)
		})
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// The browser coming back with an error, or with neither a code nor an
// error, ends the sign-in, or is refused, without a token.
func TestAuthCodeCallbackErrors(t *testing.T) {
	tests := map[string]struct {
		change  func(q url.Values)
		wantErr string
		denied  bool
	}{
		"denied":       {change: func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") }, denied: true},
		"server error": {change: func(q url.Values) { q.Del("code"); q.Set("error", "server_error") }, wantErr: `ssologin: the sign-in failed with "server_error"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
			ts := r.source(t, sessionCorp(), func(o *Options) {
				o.NoBrowser = false
				o.OpenBrowser = redirectWith(tt.change)
			})
			_, err := ts.Login(context.Background())
			switch {
			case tt.denied && !errors.Is(err, ErrAccessDenied):
				t.Fatalf("Login = %v, want ErrAccessDenied", err)
			case !tt.denied && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("Login = %v, want %q", err, tt.wantErr)
			}
			if r.oidc.Calls("CreateToken") != 0 {
				t.Error("a code was exchanged")
			}
			noTokenWritten(t, ts)
		})
	}

	// Without a code or an error the redirect is refused, and the flow
	// waits on until its deadline.
	defer func(d time.Duration) { authCodeTimeout = d }(authCodeTimeout)
	authCodeTimeout = 300 * time.Millisecond
	r := newRig(t, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	ts := r.source(t, sessionCorp(), func(o *Options) {
		o.NoBrowser = false
		o.OpenBrowser = redirectWith(func(q url.Values) { q.Del("code") })
	})
	if _, err := ts.Login(context.Background()); !errors.Is(err, ErrAuthorizationExpired) || !strings.Contains(err.Error(), "sessioncache login --profile dev") {
		t.Fatalf("Login = %v, want ErrAuthorizationExpired with the command to run", err)
	}
	noTokenWritten(t, ts)
}

// redirectWith is a browser that follows the authorize page and brings
// back its redirect, state intact, with change made to the query.
func redirectWith(change func(q url.Values)) func(string) error {
	return func(u string) error {
		back, err := authorizeRedirect(u)
		if err != nil {
			return err
		}
		q := back.Query()
		change(q)
		back.RawQuery = q.Encode()
		resp, err := http.Get(back.String())
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
}

// A refresh that fails while the token still has minutes left returns
// the token as it is; the next call tries again. Once it is about to
// expire, the failure is the caller's, with the command to run.
func TestFailedRefreshOfAValidToken(t *testing.T) {
	r := newRig(t, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	ts := r.source(t, sessionCorp(), browse(t))
	tok, err := ts.Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tok.ExpiresAt = time.Now().Add(5 * time.Minute).UTC().Truncate(time.Second)
	if err := WriteToken(ts.Path(), tok); err != nil {
		t.Fatal(err)
	}
	r.oidc.FailNext(1, "InternalServerException", "the service is unavailable", http.StatusInternalServerError)
	got, err := r.source(t, sessionCorp()).Token(context.Background())
	if err != nil || got.AccessToken != tok.AccessToken {
		t.Fatalf("Token = %v, %v; want the cached token, still valid", got, err)
	}
	if n := countGrant(r.oidc, "refresh_token"); n == 0 {
		t.Error("no refresh was tried")
	}

	tok.ExpiresAt = time.Now().Add(30 * time.Second).UTC().Truncate(time.Second)
	if err := WriteToken(ts.Path(), tok); err != nil {
		t.Fatal(err)
	}
	r.oidc.FailNext(3, "InternalServerException", "the service is unavailable", http.StatusInternalServerError)
	_, err = r.source(t, sessionCorp()).Token(context.Background())
	var lre *LoginRequiredError
	if !errors.As(err, &lre) || !strings.Contains(err.Error(), "sessioncache login --profile dev") {
		t.Fatalf("Token = %v, want a LoginRequiredError with the command to run", err)
	}
	noSecrets(t, err.Error(), tok)
}

// A profile whose sso_session names no section says so, and what to add.
func TestLoadSessionWithoutItsSection(t *testing.T) {
	config := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(config, []byte("[profile dev]\nsso_session = gone\nsso_account_id = 111122223333\nsso_role_name = Developer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadSession(context.Background(), "dev", config)
	var pe *ProfileError
	if !errors.As(err, &pe) || pe.Profile != "dev" || !strings.Contains(pe.Problem, "no [sso-session gone] section") {
		t.Fatalf("LoadSession = %v, want a ProfileError naming the missing section", err)
	}
}
