package ssologin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/smithy-go/auth/bearer"
	"github.com/sessioncache/sessioncache/internal/loopback"
	"github.com/sessioncache/sessioncache/internal/safefile"
)

// RefreshWindow is how long before expiry a refreshable token is
// refreshed: botocore's 15 minutes, so neither tool finds the other's
// token about to lapse.
const RefreshWindow = 15 * time.Minute

// minValidity is how long a token that cannot be refreshed must still be
// valid to be used: long enough for the call it is needed for.
const minValidity = time.Minute

// timeNow is a variable so that tests can move the clock.
var timeNow = time.Now

// Options configure a TokenSource.
type Options struct {
	// CacheDir holds the token and client registration files. Default:
	// DefaultCacheDir, ~/.aws/sso/cache.
	CacheDir string
	// SignIn lets Token start a sign-in when there is no valid token and
	// it cannot be refreshed. Default: false, Token fails with a
	// *LoginRequiredError.
	SignIn bool
	// UseDeviceCode signs in with the device authorization flow, as `aws
	// sso login --use-device-code`. Legacy profiles always use it.
	// Default: false, the authorization code flow with PKCE.
	UseDeviceCode bool
	// NoBrowser prints the URL instead of opening a browser. Default:
	// false; the URL is printed anyway when there is no display.
	NoBrowser bool
	// OpenBrowser opens a URL in the user's browser. Default: the system
	// browser, through github.com/pkg/browser.
	OpenBrowser func(url string) error
	// Output receives the sign-in URL and user code. Default: os.Stderr.
	Output io.Writer
	// Locker takes the lock under which the token is refreshed and
	// signed in for. A *sessioncache.FileCache of LockDir(CacheDir) is
	// one. Default: a lock file <key>.lock in LockDir(CacheDir).
	Locker Locker
	// Logger receives debug lines, and a warning for a token or
	// registration file someone else could have planted; secrets are
	// never logged. Default:
	// discard.
	Logger *slog.Logger
	// ClientOptions apply to the SSO OIDC client. Default: none.
	ClientOptions []func(*ssooidc.Options)
}

// Locker takes a cross-process lock by name, waiting until its holder
// releases it or ctx is done.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// TokenSource gives SSO access tokens for one sso-session (or legacy start
// URL): the cached one while it is valid, else a refreshed one, else one
// from a new sign-in. Refreshes and sign-ins run under a lock shared by
// every process, which reads the file again once it holds the lock, so
// that of many processes that find no valid token only one refreshes it
// or asks the user to sign in. It is safe for concurrent use, and a
// bearer.TokenProvider.
type TokenSource struct {
	cfg     aws.Config
	session Session
	opts    Options
}

// NewTokenSource returns the token source of s. cfg supplies the HTTP
// client, retries and endpoint settings of the SSO OIDC client; its
// region is replaced by the session's.
func NewTokenSource(cfg aws.Config, s Session, optFns ...func(*Options)) (*TokenSource, error) {
	ts := &TokenSource{cfg: cfg, session: s}
	for _, fn := range optFns {
		fn(&ts.opts)
	}
	if s.StartURL == "" || s.Region == "" {
		return nil, errors.New("ssologin: the session needs a start URL and a region")
	}
	if ts.opts.CacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		ts.opts.CacheDir = dir
	}
	if ts.opts.Output == nil {
		ts.opts.Output = os.Stderr
	}
	if ts.opts.Logger == nil {
		ts.opts.Logger = slog.New(slog.DiscardHandler)
	}
	if ts.opts.Locker == nil {
		ts.opts.Locker = fileLocker{dir: LockDir(ts.opts.CacheDir)}
	}
	if ts.opts.OpenBrowser == nil {
		ts.opts.OpenBrowser = loopback.OpenBrowser
	}
	return ts, nil
}

// Path returns the token file, <CacheDir>/<CacheKey>.json.
func (ts *TokenSource) Path() string {
	return filepath.Join(ts.opts.CacheDir, ts.session.CacheKey()+".json")
}

// LoginRequiredError is returned by Token when there is no valid token,
// it cannot be refreshed, and Options.SignIn is off. Only signing in
// helps.
type LoginRequiredError struct {
	// Profile is the profile to sign in with, "" when unknown.
	Profile string
	// Reason says what was wrong with the cached token.
	Reason error
}

func (e *LoginRequiredError) Error() string {
	return fmt.Sprintf("ssologin: the SSO session has expired or is missing (%v): run `%s`", e.Reason, LoginCommand(e.Profile))
}

// Unwrap returns the reason.
func (e *LoginRequiredError) Unwrap() error { return e.Reason }

// LoginCommand returns the command that signs in for profile.
func LoginCommand(profile string) string {
	if profile == "" {
		return "sessioncache login"
	}
	return "sessioncache login --profile " + profile
}

// RetrieveBearerToken returns a valid access token, as Token does.
func (ts *TokenSource) RetrieveBearerToken(ctx context.Context) (bearer.Token, error) {
	t, err := ts.Token(ctx)
	if err != nil {
		return bearer.Token{}, err
	}
	return bearer.Token{Value: t.AccessToken, CanExpire: true, Expires: t.ExpiresAt}, nil
}

// Token returns a token valid for at least a minute: the cached one, a
// refreshed one when fewer than RefreshWindow remain and it has a refresh
// token, or, with Options.SignIn, one from a new sign-in.
func (ts *TokenSource) Token(ctx context.Context) (*Token, error) {
	t, err := ts.readToken()
	if err == nil && !ts.needsWork(t, timeNow()) {
		return t, nil
	}
	unlock, err := ts.opts.Locker.Lock(ctx, ts.session.CacheKey())
	if err != nil {
		return nil, fmt.Errorf("ssologin: lock the SSO token: %w", err)
	}
	defer unlock()
	// Whoever held the lock may have refreshed the token or signed in.
	now := timeNow()
	t, err = ts.readToken()
	if err == nil {
		if !ts.needsWork(t, now) {
			return t, nil
		}
		if t.canRefresh(now) {
			nt, rerr := ts.refresh(ctx, t, now)
			if rerr == nil {
				return nt, nil
			}
			ts.debug("refresh failed", "error", rerr.Error())
			err = rerr
		}
		if !t.ExpiresWithin(now, minValidity) {
			// Still good for now; the next call tries again.
			return t, nil
		}
		if err == nil {
			err = fmt.Errorf("the cached SSO token expired at %s", t.ExpiresAt.UTC().Format(timeLayout))
		}
	} else if errors.Is(err, os.ErrNotExist) {
		err = errors.New("no cached SSO token")
	}
	if !ts.opts.SignIn {
		return nil, &LoginRequiredError{Profile: ts.session.Profile, Reason: err}
	}
	fmt.Fprintf(ts.opts.Output, "The SSO session of %s has expired or is missing; signing in.\n", ts.session.StartURL)
	return ts.signInLocked(ctx, t)
}

// needsWork reports whether t must be refreshed or replaced.
func (ts *TokenSource) needsWork(t *Token, now time.Time) bool {
	if !t.ExpiresWithin(now, RefreshWindow) {
		return false
	}
	return t.canRefresh(now) || t.ExpiresWithin(now, minValidity)
}

// Login signs in and caches the new token, as `aws sso login` does, even
// when a valid token is cached. When another process signs in for the same
// session meanwhile, Login waits for it and returns its token.
func (ts *TokenSource) Login(ctx context.Context) (*Token, error) {
	before, _ := ts.readToken()
	unlock, err := ts.opts.Locker.Lock(ctx, ts.session.CacheKey())
	if err != nil {
		return nil, fmt.Errorf("ssologin: lock the SSO token: %w", err)
	}
	defer unlock()
	t, err := ts.readToken()
	if err == nil && (before == nil || t.AccessToken != before.AccessToken) && !t.ExpiresWithin(timeNow(), RefreshWindow) {
		return t, nil
	}
	return ts.signInLocked(ctx, t)
}

// Logout ends the cached token's session at the portal, as `aws sso
// logout` does (a token the portal refuses is no error), and removes the
// token. A missing token is no error.
func (ts *TokenSource) Logout(ctx context.Context) error {
	unlock, err := ts.opts.Locker.Lock(ctx, ts.session.CacheKey())
	if err != nil {
		return fmt.Errorf("ssologin: lock the SSO token: %w", err)
	}
	defer unlock()
	if t, err := ts.readToken(); err == nil && t.ExpiresAt.After(timeNow()) {
		portal := sso.NewFromConfig(ts.cfg, func(o *sso.Options) { o.Region = ts.session.Region })
		if _, err := portal.Logout(ctx, &sso.LogoutInput{AccessToken: aws.String(t.AccessToken)}); err != nil {
			ts.debug("the portal's Logout failed", "error", err.Error())
		}
	}
	if err := os.Remove(ts.Path()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("ssologin: remove the SSO token: %w", err)
	}
	return nil
}

// signInLocked runs a sign-in flow and writes the token; the caller holds
// the lock. old, when not nil, is the token it replaces, whose unknown
// fields are kept.
func (ts *TokenSource) signInLocked(ctx context.Context, old *Token) (*Token, error) {
	client := ts.client()
	now := timeNow()
	authCode := ts.session.Name != "" && !ts.opts.UseDeviceCode
	reg := ts.readRegistration(now, authCode)
	if reg == nil {
		var err error
		if reg, err = ts.register(ctx, client, now, authCode); err != nil {
			return nil, err
		}
	}
	var out *ssooidc.CreateTokenOutput
	var err error
	if authCode {
		out, err = ts.authCodeFlow(ctx, client, reg)
	} else {
		out, err = ts.deviceFlow(ctx, client, reg)
	}
	if err != nil {
		return nil, err
	}
	t := &Token{}
	if old != nil {
		t.extra = old.extra
	}
	t.StartURL, t.Region = ts.session.StartURL, ts.session.Region
	t.ClientID, t.ClientSecret, t.RegistrationExpiresAt = reg.ClientID, reg.ClientSecret, reg.ExpiresAt
	if err := ts.setCreated(t, out, timeNow()); err != nil {
		return nil, err
	}
	if err := WriteToken(ts.Path(), t); err != nil {
		return nil, err
	}
	return t, nil
}

// setCreated puts what CreateToken answered into t.
func (ts *TokenSource) setCreated(t *Token, out *ssooidc.CreateTokenOutput, now time.Time) error {
	if aws.ToString(out.AccessToken) == "" || out.ExpiresIn <= 0 {
		return errors.New("ssologin: SSO OIDC answered CreateToken without an access token")
	}
	t.AccessToken = aws.ToString(out.AccessToken)
	t.ExpiresAt = now.Add(time.Duration(out.ExpiresIn) * time.Second).UTC().Truncate(time.Second)
	if rt := aws.ToString(out.RefreshToken); rt != "" {
		t.RefreshToken = rt
	}
	return nil
}

// client returns the SSO OIDC client of the session's region.
func (ts *TokenSource) client() *ssooidc.Client {
	return ssooidc.NewFromConfig(ts.cfg, append([]func(*ssooidc.Options){func(o *ssooidc.Options) {
		o.Region = ts.session.Region
	}}, ts.opts.ClientOptions...)...)
}

// readToken reads the session's token file. One that someone else could
// have planted (another user's, a symbolic link, in a directory others
// can write) is not used, and a warning names it and the fix.
func (ts *TokenSource) readToken() (*Token, error) {
	t, err := ReadToken(ts.Path())
	ts.warnUntrusted(err)
	return t, err
}

// warnUntrusted warns, once per file and process, of a cache file that
// is not used because it cannot be trusted.
func (ts *TokenSource) warnUntrusted(err error) {
	if !errors.Is(err, safefile.ErrUntrusted) {
		return
	}
	msg := "ssologin: not using the SSO cache file: " + strings.TrimPrefix(err.Error(), "ssologin: ")
	if _, dup := warned.LoadOrStore(msg, true); !dup {
		ts.opts.Logger.Warn(msg)
	}
}

// warned holds the warnings given so far.
var warned sync.Map

func (ts *TokenSource) debug(msg string, args ...any) {
	ts.opts.Logger.Debug(msg, append([]any{"sso_session", ts.session.Name, "start_url", ts.session.StartURL}, args...)...)
}
