package credserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sessioncache/sessioncache/internal/refreshahead"
)

// DefaultMinValidity is how long the credentials of every answer stay
// valid at least: boto3 fetches again on every use once fewer than 15
// minutes remain, and fails under 10.
const DefaultMinValidity = 15 * time.Minute

// DefaultRefreshWindow is how long before expiry the server refreshes its
// credentials: five minutes before DefaultMinValidity, to leave time for an
// MFA prompt while the old credentials are still served.
const DefaultRefreshWindow = 20 * time.Minute

// DefaultRetryInterval is how long the server waits after a failed
// refresh before it tries again.
const DefaultRetryInterval = 30 * time.Second

// staticLifetime is the Expiration given to credentials that do not
// expire: botocore requires one, and the server renews it as it nears.
const staticLifetime = time.Hour

// maxSleep bounds every wait of Run, so that a clock that jumps (a laptop
// that slept) is noticed within a minute.
const maxSleep = time.Minute

// timeNow is a variable so that tests can move the clock.
var timeNow = time.Now

// Options configure a Server.
type Options struct {
	// Path is the path the credentials are served on. Default: "/".
	Path string
	// MinValidity is how long the credentials of a 200 answer stay valid
	// at least; when the server holds none that do, it answers 503.
	// Default: DefaultMinValidity.
	MinValidity time.Duration
	// RefreshWindow is how long before expiry Run refreshes the
	// credentials. The provider must return new credentials then, not
	// ones from its own cache (see the package documentation). It must be
	// longer than MinValidity. Default: DefaultRefreshWindow.
	RefreshWindow time.Duration
	// RetryInterval is how long Run waits after a failed refresh.
	// Default: DefaultRetryInterval.
	RetryInterval time.Duration
	// Logger receives a line per refresh, and one per burst of refused
	// requests; secrets and tokens are never logged. Default: discard.
	Logger *slog.Logger
	// ReadHeaderTimeout bounds how long Serve waits for a request's
	// header, and for the whole request. Default: DefaultReadHeaderTimeout.
	ReadHeaderTimeout time.Duration
	// IdleTimeout is how long Serve keeps an idle keep-alive connection
	// open. Default: DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxConns is how many connections Serve keeps open at once.
	// Default: DefaultMaxConns.
	MaxConns int
}

// Server is an http.Handler that serves the credentials of a provider
// over the container credentials contract. Answers come from memory: the
// provider is called only by Refresh and Run, never while a request
// waits. It is safe for concurrent use.
type Server struct {
	provider aws.CredentialsProvider
	// tokenHash is the token's SHA-256: comparing digests takes the same
	// time whatever the length of the value sent.
	tokenHash [sha256.Size]byte
	opts      Options

	current atomic.Pointer[answer]
	// wake asks Run to look again, when a request finds the credentials
	// due for refresh (the timer may lag after a suspend).
	wake chan struct{}
	// mu makes refreshes one at a time.
	mu sync.Mutex

	// refusedMu guards refused, the log of refused requests.
	refusedMu sync.Mutex
	refused   burstLog

	// waitHook, set by tests before Run starts, is told how long Run is
	// about to wait before it refreshes again.
	waitHook func(d time.Duration)
}

// answer is a ready response: the JSON body and when its credentials
// expire.
type answer struct {
	body    []byte
	expires time.Time
}

// New returns a Server for the credentials of p, answering requests whose
// Authorization header is token. It holds no credentials until Refresh or
// Run has fetched them.
func New(p aws.CredentialsProvider, token string, optFns ...func(*Options)) (*Server, error) {
	if p == nil {
		return nil, errors.New("credserver: no credentials provider")
	}
	if token == "" {
		return nil, errors.New("credserver: empty authorization token: use NewToken")
	}
	if strings.ContainsAny(token, "\r\n") {
		// Both SDKs refuse to send such a value.
		return nil, errors.New("credserver: the authorization token holds a line break")
	}
	o := Options{
		Path:          "/",
		MinValidity:   DefaultMinValidity,
		RefreshWindow: DefaultRefreshWindow,
		RetryInterval: DefaultRetryInterval,
	}
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if !strings.HasPrefix(o.Path, "/") {
		return nil, fmt.Errorf("credserver: path %q does not start with /", o.Path)
	}
	if o.RefreshWindow <= o.MinValidity {
		return nil, fmt.Errorf("credserver: refresh window %v must be longer than the minimum validity %v", o.RefreshWindow, o.MinValidity)
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	return &Server{provider: p, tokenHash: sha256.Sum256([]byte(token)), opts: o, wake: make(chan struct{}, 1)}, nil
}

// credentialsJSON is the body of a 200 answer, as endpointcreds and
// botocore's ContainerProvider read it.
type credentialsJSON struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token,omitempty"`
	Expiration      string `json:"Expiration"`
	AccountID       string `json:"AccountId,omitempty"`
}

// errorJSON is the body of an error answer, as endpointcreds reads it.
type errorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Refresh fetches credentials from the provider now, and serves them from
// then on. A provider that caches credentials in memory and has an
// Invalidate method (aws.CredentialsCache) is invalidated first. Refresh
// waits for the provider, including any MFA prompt it shows.
func (s *Server) Refresh(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inv, ok := s.provider.(interface{ Invalidate() }); ok {
		inv.Invalidate()
	}
	// A sessioncache provider then refreshes credentials that it would
	// still serve to itself, but that would soon be stale here.
	return s.retrieve(refreshahead.With(ctx, s.opts.RefreshWindow))
}

// Load serves the provider's credentials as it gives them, without asking
// it for a refresh ahead of its own: a session cached with more than 15
// minutes left, which the AWS CLI would use, is served at once, with no
// prompt and no call to STS. Run then refreshes it in the background once
// it comes within the refresh window. Like Refresh, Load returns a
// *StaleError for credentials that expire within the window.
func (s *Server) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.retrieve(ctx)
}

func (s *Server) retrieve(ctx context.Context) error {
	c, err := s.provider.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("credserver: retrieve credentials: %w", err)
	}
	expires := c.Expires
	if !c.CanExpire {
		expires = timeNow().Add(staticLifetime)
	}
	body, err := json.Marshal(credentialsJSON{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		Token:           c.SessionToken,
		Expiration:      expires.UTC().Format(time.RFC3339),
		AccountID:       c.AccountID,
	})
	if err != nil {
		return fmt.Errorf("credserver: encode credentials: %w", err)
	}
	// The wire format has whole seconds; never claim more than that.
	expires = expires.Truncate(time.Second)
	s.current.Store(&answer{body: body, expires: expires})
	left := expires.Sub(timeNow())
	s.opts.Logger.Debug("credentials refreshed", "expires", expires.UTC().Format(time.RFC3339), "left", left.Round(time.Second).String())
	if left < s.opts.RefreshWindow {
		return &StaleError{Expires: expires, Window: s.opts.RefreshWindow}
	}
	return nil
}

// StaleError is returned by Refresh when the provider gave credentials
// that already expire within the refresh window: it serves them from a
// cache of its own with a shorter window. The credentials are served for
// as long as they stay valid for MinValidity.
type StaleError struct {
	// Expires is when the credentials expire.
	Expires time.Time
	// Window is the server's refresh window.
	Window time.Duration
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("credserver: the provider gave credentials that expire at %s, within the refresh window of %v: it must refresh them sooner",
		e.Expires.UTC().Format(time.RFC3339), e.Window)
}

// Run refreshes the credentials whenever they come within the refresh
// window, until ctx is done, and then returns ctx's error. A failed
// refresh is logged and tried again after RetryInterval; meanwhile the
// credentials held are served while they stay valid for MinValidity. When
// the provider's new credentials are themselves within the window (the
// role's sessions are short), the next refresh waits until they would stop
// being served.
func (s *Server) Run(ctx context.Context) error {
	var retryAt time.Time
	for {
		next := timeNow()
		if a := s.current.Load(); a != nil {
			next = a.expires.Add(-s.opts.RefreshWindow)
		}
		if next.Before(retryAt) {
			next = retryAt
		}
		if d := next.Sub(timeNow()); d > 0 {
			if s.waitHook != nil {
				s.waitHook(d)
			}
			t := time.NewTimer(min(d, maxSleep))
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			case <-s.wake:
				t.Stop()
			}
			continue
		}
		err := s.Refresh(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		retryAt = time.Time{}
		var stale *StaleError
		switch {
		case errors.As(err, &stale):
			// The provider's newest credentials are this short: asking
			// again before they stop being served would only call it, and
			// perhaps STS and a person, again for no gain.
			retryAt = later(timeNow().Add(s.opts.RetryInterval), stale.Expires.Add(-s.opts.MinValidity))
			s.opts.Logger.Warn("the provider's credentials expire within the refresh window: give the role longer sessions",
				"expires", stale.Expires.UTC().Format(time.RFC3339), "retry_at", retryAt.UTC().Format(time.RFC3339))
		case err != nil:
			retryAt = timeNow().Add(s.opts.RetryInterval)
			s.opts.Logger.Warn("could not refresh the served credentials", "error", err.Error(), "retry_in", s.opts.RetryInterval.String())
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ServeHTTP answers GET on the path with the credentials when the
// Authorization header holds the token; see the package documentation for
// every status.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	switch {
	case r.URL.Path != s.opts.Path:
		writeError(w, http.StatusNotFound, "NotFound", "no credentials at this path")
		return
	case r.Method != http.MethodGet:
		h["Allow"] = allowGet
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET")
		return
	}
	auth := r.Header["Authorization"]
	if len(auth) != 1 || !s.tokenMatches(auth[0]) {
		s.refusedMu.Lock()
		n, log := s.refused.add(timeNow())
		s.refusedMu.Unlock()
		if log {
			s.opts.Logger.Warn("refused requests with a missing or wrong authorization token", "remote", r.RemoteAddr, "refused", n)
		}
		writeError(w, http.StatusForbidden, "AccessDenied", "missing or wrong authorization token")
		return
	}
	a := s.current.Load()
	now := timeNow()
	if a != nil && a.expires.Sub(now) < s.opts.RefreshWindow {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	if a == nil || a.expires.Sub(now) < s.opts.MinValidity {
		writeError(w, http.StatusServiceUnavailable, "CredentialsUnavailable", "no credentials valid for long enough yet: the server is refreshing them")
		return
	}
	w.Write(a.body)
}

// tokenMatches compares value with the token in constant time.
func (s *Server) tokenMatches(value string) bool {
	h := sha256.Sum256([]byte(value))
	return subtle.ConstantTimeCompare(h[:], s.tokenHash[:]) == 1
}

// Header values, allocated once.
var (
	jsonContentType = []string{"application/json"}
	noStore         = []string{"no-store"}
	allowGet        = []string{http.MethodGet}
	connectionClose = []string{"close"}
)

func writeError(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(errorJSON{Code: code, Message: "credserver: " + message})
	if status < 500 {
		// A client that asks wrongly gets no connection to keep: a
		// prober cannot hold one open, and net/http closes it after the
		// answer.
		w.Header()["Connection"] = connectionClose
	}
	w.WriteHeader(status)
	w.Write(body)
}
