package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sessioncache/sessioncache/internal/lockfile"
	"github.com/sessioncache/sessioncache/internal/loginsession"
)

// KindLoginSession is the kind of the credentials of an `aws login`
// session.
const KindLoginSession = "login-session"

// DefaultLoginRefreshWindow is how little time the access credentials of a
// login session may have left before they are refreshed: botocore's
// threshold, so that neither refreshes what the other just wrote.
const DefaultLoginRefreshWindow = 5 * time.Minute

// DefaultLoginRefreshTimeout bounds all the attempts of one refresh of a
// login session.
const DefaultLoginRefreshTimeout = 30 * time.Second

// LoginSessionOptions configures a LoginSessionProvider.
type LoginSessionOptions struct {
	// Profile names the profile in errors and in the command that signs in
	// again. Default "default".
	Profile string

	// Region picks the sign-in service's endpoint. Default us-east-1.
	Region string

	// Endpoint is the sign-in service's URL. Default
	// AWS_ENDPOINT_URL_SIGNIN, else AWS_ENDPOINT_URL, else Region's.
	Endpoint string

	// CacheDir holds the token files. Default AWS_LOGIN_CACHE_DIRECTORY,
	// else ~/.aws/login/cache.
	CacheDir string

	// HTTPClient calls the sign-in service. Default http.DefaultClient.
	HTTPClient aws.HTTPClient

	// RefreshWindow: credentials with this much time left or less are
	// refreshed. Default DefaultLoginRefreshWindow.
	RefreshWindow time.Duration

	// Timeout bounds all the attempts of one refresh, together with the
	// wait for another process's refresh of the session. Default
	// DefaultLoginRefreshTimeout.
	Timeout time.Duration

	// LockTimeout and OnWait are those of FileCacheOptions, for the lock
	// that lets one process refresh a session at a time; Timeout bounds
	// the wait too.
	LockTimeout time.Duration
	OnWait      func(LockHolder)

	// Logger gets debug lines, never a secret. Default: discard.
	Logger *slog.Logger
}

// LoginSessionProvider provides the credentials of an `aws login` session
// (a profile with login_session), from the token file that the AWS CLI,
// botocore and the Go SDK share. While the file's credentials have more
// than RefreshWindow left they are returned as they are, without a network
// call. Otherwise one process at a time refreshes them, under a
// cross-process lock, after reading the file again; it writes the file
// atomically, in the AWS CLI's format, keeping every field it does not
// change. Other processes, and botocore, then find the new credentials.
// It is safe for concurrent use.
type LoginSessionProvider struct {
	session string
	opts    LoginSessionOptions
}

// NewLoginSessionProvider returns the provider of the login session named
// session (a profile's login_session).
func NewLoginSessionProvider(session string, optFns ...func(*LoginSessionOptions)) *LoginSessionProvider {
	p := &LoginSessionProvider{session: session}
	for _, fn := range optFns {
		fn(&p.opts)
	}
	o := &p.opts
	if o.Profile == "" {
		o.Profile = "default"
	}
	if o.RefreshWindow == 0 {
		o.RefreshWindow = DefaultLoginRefreshWindow
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultLoginRefreshTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return p
}

// LoginSessionError is the error of a login session that only a new
// sign-in can continue: the token file is missing or damaged, or the
// sign-in service refused the refresh token.
type LoginSessionError struct {
	// Profile is the profile of the session.
	Profile string
	// Reason says what happened, without a secret.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

func (e *LoginSessionError) Error() string {
	return fmt.Sprintf("sessioncache: profile %s: %s: sign in again with \"aws login --profile %s\" or \"sessioncache login -p %s\"", e.Profile, e.Reason, e.Profile, e.Profile)
}

func (e *LoginSessionError) Unwrap() error { return e.Err }

// Path returns the session's token file.
func (p *LoginSessionProvider) Path() (string, error) {
	dir, err := p.dir()
	if err != nil {
		return "", err
	}
	return loginsession.Path(dir, p.session), nil
}

func (p *LoginSessionProvider) dir() (string, error) {
	if p.opts.CacheDir != "" {
		return p.opts.CacheDir, nil
	}
	return loginsession.DefaultDir()
}

// Retrieve returns the session's credentials, refreshing them first when
// they have RefreshWindow or less left. When the sign-in service fails or
// stalls (within Timeout, over all attempts) it returns the file's
// credentials while they have more than a minute left, and an error naming
// the profile after; the file is left as it was. A session that has ended
// is a *LoginSessionError, never retried.
func (p *LoginSessionProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	dir, err := p.dir()
	if err != nil {
		return aws.Credentials{}, err
	}
	path := loginsession.Path(dir, p.session)
	t, err := p.read(dir, path)
	if err != nil {
		return aws.Credentials{}, err
	}
	if p.fresh(t) {
		return loginCredentials(t), nil
	}
	// One deadline bounds the wait for another process's refresh and this
	// one's attempts: behind a stalled service, processes queued on the
	// lock would otherwise each wait Timeout in turn.
	rctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	lockTimeout := p.opts.LockTimeout
	if lockTimeout <= 0 || lockTimeout > p.opts.Timeout {
		lockTimeout = p.opts.Timeout
	}
	l, err := loginsession.Lock(rctx, path, lockfile.Options{
		Timeout: lockTimeout,
		OnWait:  p.opts.OnWait,
		Doing:   "sessioncache: refreshing the login session of profile " + p.opts.Profile,
	})
	var waited *lockfile.TimeoutError
	if err != nil && ctx.Err() == nil && (errors.As(err, &waited) || rctx.Err() != nil) {
		return p.unrefreshed(t, fmt.Errorf("sessioncache: profile %s: refresh the login session (the token file is unchanged, try again later): %w",
			p.opts.Profile, fmt.Errorf("another process did not finish refreshing it within %v", lockTimeout)))
	}
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("sessioncache: profile %s: %w", p.opts.Profile, err)
	}
	defer l.Release()
	// Another process may have refreshed while this one waited.
	if t, err = p.read(dir, path); err != nil {
		return aws.Credentials{}, err
	}
	if p.fresh(t) {
		p.opts.Logger.Debug("login session refreshed by another process", "profile", p.opts.Profile)
		return loginCredentials(t), nil
	}
	n, err := p.refresh(rctx, t)
	if err != nil {
		return p.unrefreshed(t, err)
	}
	if err := loginsession.Write(path, n, loginWriteStep); err != nil {
		return aws.Credentials{}, fmt.Errorf("sessioncache: profile %s: the refreshed login session was not saved: %w", p.opts.Profile, err)
	}
	p.opts.Logger.Debug("login session refreshed", "profile", p.opts.Profile, "expires", n.ExpiresAt)
	return loginCredentials(n), nil
}

// unrefreshed returns err, or t's credentials while they have more than a
// minute left and the session has not ended, as botocore does: the
// service may answer later.
func (p *LoginSessionProvider) unrefreshed(t *loginsession.Token, err error) (aws.Credentials, error) {
	var ended *LoginSessionError
	if errors.As(err, &ended) || !timeNow().Add(time.Minute).Before(t.ExpiresAt) {
		return aws.Credentials{}, err
	}
	cause := err
	if u := errors.Unwrap(err); u != nil {
		cause = u
	}
	p.opts.Logger.Warn(fmt.Sprintf("sessioncache: profile %s: the login session could not be refreshed (%v); using its credentials until they expire at %s", p.opts.Profile, cause, t.ExpiresAt.UTC().Format(time.RFC3339)),
		"profile", p.opts.Profile, "expires", t.ExpiresAt)
	return loginCredentials(t), nil
}

// loginWriteStep lets tests stop a writer between two steps.
var loginWriteStep func(string)

func (p *LoginSessionProvider) fresh(t *loginsession.Token) bool {
	return timeNow().Add(p.opts.RefreshWindow).Before(t.ExpiresAt)
}

// refresh asks the sign-in service for new credentials, within ctx's
// deadline.
func (p *LoginSessionProvider) refresh(ctx context.Context, t *loginsession.Token) (*loginsession.Token, error) {
	endpoint := p.opts.Endpoint
	if endpoint == "" {
		endpoint = loginsession.Endpoint(p.opts.Region)
	}
	c := &loginsession.Client{Endpoint: endpoint, HTTPClient: p.opts.HTTPClient, Now: timeNow}
	p.opts.Logger.Debug("refreshing login session", "profile", p.opts.Profile, "endpoint", endpoint)
	n, err := c.Refresh(ctx, t)
	var se *loginsession.ServiceError
	switch {
	case err == nil:
		return n, nil
	case errors.As(err, &se) && se.SignInAgain():
		return nil, &LoginSessionError{Profile: p.opts.Profile, Reason: "the login session has ended (" + se.Code + ")", Err: err}
	case errors.As(err, &se) && se.Code == "INSUFFICIENT_PERMISSIONS":
		return nil, fmt.Errorf("sessioncache: profile %s: the signed-in identity may not refresh its login session: ask an administrator to allow it signin:CreateOAuth2Token (the token file is unchanged): %w", p.opts.Profile, err)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("sessioncache: profile %s: the sign-in service did not refresh the login session within %v; the token file is unchanged, try again later: %w", p.opts.Profile, p.opts.Timeout, err)
	}
	return nil, fmt.Errorf("sessioncache: profile %s: refresh the login session (the token file is unchanged, try again later): %w", p.opts.Profile, err)
}

// read reads and checks the token file.
func (p *LoginSessionProvider) read(dir, path string) (*loginsession.Token, error) {
	t, err := loginsession.Read(dir, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &LoginSessionError{Profile: p.opts.Profile, Reason: "no login session token at " + path, Err: err}
	case errors.Is(err, ErrUntrustedEntry):
		return nil, fmt.Errorf("sessioncache: profile %s: refusing the login session token: %w", p.opts.Profile, err)
	case errors.Is(err, loginsession.ErrDamaged):
		return nil, &LoginSessionError{Profile: p.opts.Profile, Reason: "the login session token " + path + " is damaged (" + strings.TrimPrefix(err.Error(), loginsession.ErrDamaged.Error()+": ") + ")", Err: err}
	case err != nil:
		return nil, fmt.Errorf("sessioncache: profile %s: read the login session token %s: %w", p.opts.Profile, path, err)
	}
	return t, nil
}

func loginCredentials(t *loginsession.Token) aws.Credentials {
	return aws.Credentials{
		AccessKeyID:     t.AccessKeyID,
		SecretAccessKey: t.SecretAccessKey,
		SessionToken:    t.SessionToken,
		Source:          "LoginSessionProvider",
		CanExpire:       true,
		Expires:         t.ExpiresAt,
		AccountID:       t.AccountID,
	}
}
