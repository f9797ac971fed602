package sessioncache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache/internal/loginsession"
	"github.com/sessioncache/sessioncache/ststest"
)

const loginARN = "arn:aws:iam::123456789012:user/alice"

// loginWorld is a home directory with a login_session profile ("login"),
// a role on top of it ("login-admin"), a local sign-in service and STS
// that the environment points at, and the session's token file.
type loginWorld struct {
	home   string
	dir    string // the login cache directory
	path   string // the session's token file
	signin *ststest.SigninServer
	sts    *ststest.Server
}

func newLoginWorld(t *testing.T, signinOpts ...func(*ststest.SigninOptions)) *loginWorld {
	t.Helper()
	clearAWSEnv(t)
	w := &loginWorld{home: t.TempDir()}
	w.dir = filepath.Join(w.home, ".aws", "login", "cache")
	w.path = loginsession.Path(w.dir, loginARN)
	w.signin = ststest.NewSigninServer(append([]func(*ststest.SigninOptions){func(o *ststest.SigninOptions) {
		o.Session = loginARN
	}}, signinOpts...)...)
	t.Cleanup(w.signin.Close)
	w.sts = ststest.NewServer()
	t.Cleanup(w.sts.Close)
	t.Setenv("HOME", w.home)
	t.Setenv("USERPROFILE", w.home)
	t.Setenv("AWS_ENDPOINT_URL_SIGNIN", w.signin.URL)
	t.Setenv("AWS_ENDPOINT_URL_STS", w.sts.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(w.home, ".aws", "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(w.home, ".aws", "credentials"))
	mustWrite(t, filepath.Join(w.home, ".aws", "config"), `[profile login]
login_session = `+loginARN+`
region = eu-west-1

[profile login-admin]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = login
`)
	mustWrite(t, filepath.Join(w.home, ".aws", "credentials"), "")
	return w
}

// signIn writes a token file whose credentials expire after expiresIn,
// with extra fields that a rewrite must keep, and returns it.
func (w *loginWorld) signIn(t *testing.T, expiresIn time.Duration) []byte {
	t.Helper()
	data, err := w.signin.SignIn(expiresIn)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["futureField"] = map[string]any{"n": 1.5, "list": []any{"a", true}}
	m["accessToken"].(map[string]any)["futureAccessField"] = "kept"
	data, _ = json.Marshal(m)
	mustWrite(t, w.path, string(data))
	return data
}

func (w *loginWorld) token(t *testing.T) *loginsession.Token {
	t.Helper()
	data, err := os.ReadFile(w.path)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := loginsession.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (w *loginWorld) retrieve(t *testing.T, profile string, l *Loader) (*config.SharedConfig, error) {
	t.Helper()
	if l == nil {
		l = &Loader{CacheDir: filepath.Join(w.home, ".aws", "cli", "cache")}
	}
	cfg, err := l.LoadDefaultConfig(context.Background(), config.WithSharedConfigProfile(profile))
	if err != nil {
		return nil, err
	}
	_, err = cfg.Credentials.Retrieve(context.Background())
	return nil, err
}

func TestLoginSessionFreshCredentialsAreUsedWithoutACall(t *testing.T) {
	for _, tc := range []struct {
		name    string
		left    time.Duration
		refresh bool
	}{
		{"ten minutes left", 10 * time.Minute, false},
		{"five minutes and a second left", 5*time.Minute + time.Second, false},
		{"five minutes left", 5 * time.Minute, true},
		{"expired", -time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newLoginWorld(t)
			clock := &testClock{now: time.Now().UTC().Truncate(time.Second)}
			prev := timeNow
			timeNow = clock.Now
			t.Cleanup(func() { timeNow = prev })
			before := w.signIn(t, time.Until(clock.Now())+tc.left)
			old := w.token(t)
			p := NewLoginSessionProvider(loginARN, func(o *LoginSessionOptions) { o.Profile = "login" })
			creds, err := p.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			calls := w.signin.Calls("CreateOAuth2Token")
			if !tc.refresh {
				after, _ := os.ReadFile(w.path)
				if calls != 0 || creds.AccessKeyID != old.AccessKeyID || !bytes.Equal(before, after) {
					t.Fatalf("fresh credentials: %d calls, key changed %v, file changed %v", calls, creds.AccessKeyID != old.AccessKeyID, !bytes.Equal(before, after))
				}
				return
			}
			n := w.token(t)
			if calls != 1 || creds.AccessKeyID == old.AccessKeyID || creds.AccessKeyID != n.AccessKeyID || n.RefreshToken == old.RefreshToken {
				t.Fatalf("refresh: %d calls, new key %v, file has it %v, refresh token rotated %v", calls, creds.AccessKeyID != old.AccessKeyID, creds.AccessKeyID == n.AccessKeyID, n.RefreshToken != old.RefreshToken)
			}
			if want := clock.Now().Add(15 * time.Minute); !n.ExpiresAt.Equal(want) || !creds.Expires.Equal(want) {
				t.Fatalf("expiresAt %v, credentials expire %v, want %v", n.ExpiresAt, creds.Expires, want)
			}
			// A second process finds the new credentials in the file.
			if _, err := NewLoginSessionProvider(loginARN).Retrieve(context.Background()); err != nil || w.signin.Calls("CreateOAuth2Token") != 1 {
				t.Fatalf("second retrieve: %v, %d calls", err, w.signin.Calls("CreateOAuth2Token"))
			}
		})
	}
}

func TestLoginSessionRewriteKeepsFieldsAndFormat(t *testing.T) {
	w := newLoginWorld(t)
	w.signIn(t, time.Minute)
	old := w.token(t)
	if _, err := w.retrieve(t, "login", nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(w.path)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(w.path)
	if runtimePOSIX && info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	access := m["accessToken"].(map[string]any)
	if m["idToken"] != old.IDToken || access["accountId"] != "123456789012" || access["futureAccessField"] != "kept" || m["dpopKey"] != old.DPoPKey || m["clientId"] != old.ClientID || m["tokenType"] != "aws_sigv4" {
		t.Errorf("the rewrite lost a field it does not change")
	}
	if f, _ := json.Marshal(m["futureField"]); string(f) != `{"list":["a",true],"n":1.5}` {
		t.Errorf("futureField is %s", f)
	}
	// The layout of `aws login`: json.dumps's separators, its field order,
	// expiresAt in whole seconds.
	if !bytes.HasPrefix(data, []byte(`{"accessToken": {"accessKeyId": "`)) || !bytes.Contains(data, []byte(`"tokenType": "aws_sigv4", "clientId": "`)) {
		t.Errorf("not the AWS CLI's layout: %.60s...", data)
	}
	exp, _ := access["expiresAt"].(string)
	if _, err := time.Parse("2006-01-02T15:04:05Z", exp); err != nil {
		t.Errorf("expiresAt %q is not YYYY-MM-DDTHH:MM:SSZ", exp)
	}
}

// runtimePOSIX is whether file modes mean what they say.
var runtimePOSIX = filepath.Separator == '/'

func TestLoginSessionSignInAgain(t *testing.T) {
	for _, code := range []string{"TOKEN_EXPIRED", "USER_CREDENTIALS_CHANGED"} {
		t.Run(code, func(t *testing.T) {
			w := newLoginWorld(t)
			before := w.signIn(t, -time.Minute)
			status := map[string]int{"TOKEN_EXPIRED": 401, "USER_CREDENTIALS_CHANGED": 403}[code]
			w.signin.FailNext(5, code, "sign in again", status)
			_, err := w.retrieve(t, "login", nil)
			var le *LoginSessionError
			if !errors.As(err, &le) || le.Profile != "login" {
				t.Fatalf("error %v, want a LoginSessionError for profile login", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, code) || !strings.Contains(msg, "sessioncache login -p login") || !strings.Contains(msg, "aws login --profile login") {
				t.Errorf("not one line naming the profile, the cause and the fix: %s", msg)
			}
			if n := w.signin.Calls("CreateOAuth2Token"); n != 1 {
				t.Errorf("%d calls, want 1: a refusal is not retried", n)
			}
			after, _ := os.ReadFile(w.path)
			if !bytes.Equal(before, after) {
				t.Error("the token file changed")
			}
			assertNoLoginSecret(t, msg, before)
		})
	}
}

// assertNoLoginSecret fails if text holds a secret of the token file.
func assertNoLoginSecret(t *testing.T, text string, file []byte) {
	t.Helper()
	tok, err := loginsession.Parse(file)
	if err != nil {
		return
	}
	for name, s := range map[string]string{"secret key": tok.SecretAccessKey, "session token": tok.SessionToken, "refresh token": tok.RefreshToken, "id token": tok.IDToken} {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("output holds the %s", name)
		}
	}
	if strings.Contains(text, "-----BEGIN") {
		t.Error("output holds the private key")
	}
}

func TestLoginSessionServerTroubleIsBoundedAndLeavesTheFile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stall bool
	}{
		{"server errors", false},
		{"stall", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stalled atomic.Bool
			w := newLoginWorld(t, func(o *ststest.SigninOptions) {
				o.BeforeToken = func(r *http.Request) {
					if tc.stall && stalled.CompareAndSwap(false, true) {
						select {
						case <-r.Context().Done():
						case <-time.After(time.Minute):
						}
					}
				}
			})
			before := w.signIn(t, -time.Minute)
			if !tc.stall {
				w.signin.FailNext(3, "InternalServerException", "try later", 500)
			}
			p := NewLoginSessionProvider(loginARN, func(o *LoginSessionOptions) {
				o.Profile = "login"
				o.Timeout = 2 * time.Second
			})
			start := time.Now()
			_, err := p.Retrieve(context.Background())
			took := time.Since(start)
			if err == nil || !strings.Contains(err.Error(), "profile login") || !strings.Contains(err.Error(), "unchanged") {
				t.Fatalf("error %v: want one naming the profile and saying the file is unchanged", err)
			}
			if took > 4*time.Second {
				t.Errorf("took %v, more than the 2s deadline allows", took)
			}
			after, _ := os.ReadFile(w.path)
			if !bytes.Equal(before, after) {
				t.Error("the token file changed")
			}
			assertNoLoginSecret(t, err.Error(), before)
			if _, err := p.Retrieve(context.Background()); err != nil {
				t.Fatalf("the next run: %v", err)
			}
		})
	}
}

func TestLoginSessionProofWithTheWrongKeyIsRefused(t *testing.T) {
	w := newLoginWorld(t)
	w.signIn(t, -time.Minute)
	data, _ := os.ReadFile(w.path)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	_, other, err := loginsession.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	m["dpopKey"] = other
	data, _ = json.Marshal(m)
	mustWrite(t, w.path, string(data))
	_, err = w.retrieve(t, "login", nil)
	if err == nil || !strings.Contains(err.Error(), "not signed with the key") {
		t.Fatalf("error %v, want the service's refusal of the key", err)
	}
	after, _ := os.ReadFile(w.path)
	if !bytes.Equal(data, after) {
		t.Error("the token file changed")
	}
}

func TestLoginSessionDamagedFile(t *testing.T) {
	w := newLoginWorld(t)
	good := w.signIn(t, time.Hour)
	var m map[string]any
	_ = json.Unmarshal(good, &m)
	edit := func(f func(m map[string]any)) string {
		c := map[string]any{}
		b, _ := json.Marshal(m)
		_ = json.Unmarshal(b, &c)
		f(c)
		b, _ = json.Marshal(c)
		return string(b)
	}
	for _, tc := range []struct{ name, data, want string }{
		{"not JSON", "{", "not a JSON object"},
		{"no refreshToken", edit(func(c map[string]any) { delete(c, "refreshToken") }), "refreshToken is missing"},
		{"no accountId", edit(func(c map[string]any) { delete(c["accessToken"].(map[string]any), "accountId") }), "accountId is missing"},
		{"dpopKey PKCS#8", edit(func(c map[string]any) {
			c["dpopKey"] = strings.ReplaceAll(c["dpopKey"].(string), "EC PRIVATE KEY", "PRIVATE KEY")
		}), "dpopKey is not an EC PRIVATE KEY"},
		{"dpopKey garbage", edit(func(c map[string]any) {
			c["dpopKey"] = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
		}), "not a SEC1 P-256"},
		{"bad expiresAt", edit(func(c map[string]any) { c["accessToken"].(map[string]any)["expiresAt"] = "tomorrow" }), "expiresAt is not"},
		{"expiresAt a number", edit(func(c map[string]any) { c["accessToken"].(map[string]any)["expiresAt"] = 5 }), "expiresAt is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustWrite(t, w.path, tc.data)
			_, err := w.retrieve(t, "login", nil)
			var le *LoginSessionError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), w.path) || !strings.Contains(err.Error(), "sign in again") {
				t.Fatalf("error %v: want a LoginSessionError naming the file, %q, and the fix", err, tc.want)
			}
			assertNoLoginSecret(t, err.Error(), good)
		})
	}
}

func TestLoginSessionRoleOnTop(t *testing.T) {
	w := newLoginWorld(t)
	w.signIn(t, 10*time.Minute)
	tok := w.token(t)
	cacheDir := filepath.Join(w.home, ".aws", "cli", "cache")
	if _, err := w.retrieve(t, "login-admin", &Loader{CacheDir: cacheDir}); err != nil {
		t.Fatal(err)
	}
	reqs := w.sts.Requests()
	if len(reqs) != 1 || reqs[0].Action != "AssumeRole" || reqs[0].AccessKeyID != tok.AccessKeyID {
		t.Fatalf("STS requests %+v: want one AssumeRole signed with the login session's key", reqs)
	}
	key := AssumeRoleKey(AssumeRoleKeyInput{RoleARN: "arn:aws:iam::123456789012:role/admin"})
	if _, err := os.Stat(filepath.Join(cacheDir, key+".json")); err != nil {
		t.Fatalf("the role session is not cached under botocore's key: %v", err)
	}
	// The next process uses the cached role session.
	if _, err := w.retrieve(t, "login-admin", &Loader{CacheDir: cacheDir}); err != nil || w.sts.Calls("AssumeRole") != 1 {
		t.Fatalf("second run: %v, %d AssumeRole calls", err, w.sts.Calls("AssumeRole"))
	}
}

func TestLoginSessionUntrustedFileIsRefused(t *testing.T) {
	if !runtimePOSIX {
		t.Skip("owners and modes are POSIX")
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, w *loginWorld)
		names func(w *loginWorld) string
	}{
		{"symbolic link", func(t *testing.T, w *loginWorld) {
			real := filepath.Join(w.home, "elsewhere.json")
			if err := os.Rename(w.path, real); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(real, w.path); err != nil {
				t.Fatal(err)
			}
		}, func(w *loginWorld) string { return w.path }},
		{"writable by others", func(t *testing.T, w *loginWorld) {
			if err := os.Chmod(w.path, 0o666); err != nil {
				t.Fatal(err)
			}
		}, func(w *loginWorld) string { return w.path }},
		{"directory writable by others", func(t *testing.T, w *loginWorld) {
			if err := os.Chmod(w.dir, 0o777); err != nil {
				t.Fatal(err)
			}
		}, func(w *loginWorld) string { return w.dir }},
		{"owned by another user", func(t *testing.T, w *loginWorld) {
			if os.Geteuid() != 0 {
				t.Skip("only root can give a file away")
			}
			if err := os.Lchown(w.path, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, func(w *loginWorld) string { return w.path }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newLoginWorld(t)
			w.signIn(t, time.Hour)
			tc.setup(t, w)
			_, err := w.retrieve(t, "login", nil)
			if !errors.Is(err, ErrUntrustedEntry) || !strings.Contains(err.Error(), tc.names(w)) || !strings.Contains(err.Error(), "profile login") {
				t.Fatalf("error %v: want a refusal naming %s", err, tc.names(w))
			}
		})
	}
}

func TestLoginSessionDebugShowsNoSecret(t *testing.T) {
	w := newLoginWorld(t)
	before := w.signIn(t, -time.Minute)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := NewLoginSessionProvider(loginARN, func(o *LoginSessionOptions) { o.Logger = logger })
	if _, err := p.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(w.path)
	if !strings.Contains(buf.String(), "login session refreshed") {
		t.Fatalf("no debug line of the refresh: %s", buf.String())
	}
	assertNoLoginSecret(t, buf.String(), before)
	assertNoLoginSecret(t, buf.String(), after)
}

func TestLoginSessionServerErrorWithTimeLeftUsesTheCredentials(t *testing.T) {
	w := newLoginWorld(t)
	before := w.signIn(t, 3*time.Minute)
	old := w.token(t)
	w.signin.FailNext(3, "InternalServerException", "try later", 500)
	var log bytes.Buffer
	creds, err := NewLoginSessionProvider(loginARN, func(o *LoginSessionOptions) {
		o.Profile = "login"
		o.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key != slog.MessageKey {
				return slog.Attr{}
			}
			return a
		}}))
	}).Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != old.AccessKeyID {
		t.Fatalf("%v: want the file's credentials, which have 3 minutes left", err)
	}
	// A person reads the message alone: it names the profile, the cause
	// and how long the credentials last.
	msg := log.String()
	for _, want := range []string{"profile login", "500 InternalServerException", "expire at " + old.ExpiresAt.UTC().Format(time.RFC3339)} {
		if !strings.Contains(msg, want) {
			t.Errorf("the warning %q does not say %q", msg, want)
		}
	}
	if n := w.signin.Calls("CreateOAuth2Token"); n != 3 {
		t.Errorf("%d calls, want 3 attempts", n)
	}
	after, _ := os.ReadFile(w.path)
	if !bytes.Equal(before, after) {
		t.Error("the token file changed")
	}
}

func TestLoginSessionHonoursAWSLoginCacheDirectory(t *testing.T) {
	w := newLoginWorld(t)
	data, err := w.signin.SignIn(10 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(w.home, "elsewhere")
	mustWrite(t, loginsession.Path(dir, loginARN), string(data))
	if _, err := w.retrieve(t, "login", nil); err == nil {
		t.Fatal("read a token that is not in ~/.aws/login/cache")
	}
	t.Setenv("AWS_LOGIN_CACHE_DIRECTORY", dir)
	if _, err := w.retrieve(t, "login", nil); err != nil {
		t.Fatalf("with AWS_LOGIN_CACHE_DIRECTORY: %v", err)
	}
}

// A process that finds another refreshing behind a stalled service gives
// up at its own deadline, not at the other's deadline plus its own: the
// deadline bounds the wait for the lock too.
func TestLoginSessionStallDeadlineCoversTheLockWait(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	w := newLoginWorld(t, func(o *ststest.SigninOptions) {
		o.BeforeToken = func(r *http.Request) {
			entered <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	defer close(release)
	before := w.signIn(t, -time.Minute)
	holder := make(chan error, 1)
	go func() {
		_, err := NewLoginSessionProvider(loginARN, func(o *LoginSessionOptions) { o.Timeout = time.Hour }).Retrieve(context.Background())
		holder <- err
	}()
	<-entered // the first refresh holds the lock, stalled
	waiter := make(chan error, 1)
	go func() {
		_, err := NewLoginSessionProvider(loginARN, func(o *LoginSessionOptions) {
			o.Profile = "login"
			o.Timeout = 100 * time.Millisecond
		}).Retrieve(context.Background())
		waiter <- err
	}()
	select {
	case err := <-waiter:
		if err == nil || !strings.Contains(err.Error(), "profile login") || !strings.Contains(err.Error(), "another process did not finish refreshing it within 100ms") {
			t.Errorf("error %v: want one naming the profile and the refresh it waited for", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the waiting process did not give up at its 100ms deadline")
	}
	if after, _ := os.ReadFile(w.path); !bytes.Equal(before, after) {
		t.Error("the token file changed")
	}
	release <- struct{}{}
	if err := <-holder; err != nil {
		t.Errorf("the stalled refresh, once answered: %v", err)
	}
}

// An identity without signin:CreateOAuth2Token is told so, once, and not
// to try again later: waiting does not grant the permission.
func TestLoginSessionInsufficientPermissions(t *testing.T) {
	w := newLoginWorld(t)
	before := w.signIn(t, -time.Minute)
	w.signin.FailNext(5, "INSUFFICIENT_PERMISSIONS", "not allowed", 403)
	_, err := w.retrieve(t, "login", nil)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "profile login") || !strings.Contains(msg, "signin:CreateOAuth2Token") || strings.Contains(msg, "try again later") {
		t.Errorf("not one line naming the profile and the missing permission: %s", msg)
	}
	if n := w.signin.Calls("CreateOAuth2Token"); n != 1 {
		t.Errorf("%d calls, want 1: a refusal is not retried", n)
	}
	if after, _ := os.ReadFile(w.path); !bytes.Equal(before, after) {
		t.Error("the token file changed")
	}
	assertNoLoginSecret(t, msg, before)
}
