package ststest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sessioncache/sessioncache/internal/loginsession"
)

// SigninOptions configures a SigninServer. Every field is optional.
type SigninOptions struct {
	// Session is the ARN of the signed-in identity, the idToken's subject
	// and so the profile's login_session. Default
	// arn:aws:iam::123456789012:user/test.
	Session string

	// AutoApprove makes /v1/authorize redirect at once with a code and the
	// state, as for a user already signed in to the console who clicks
	// Allow. Default false: /v1/authorize refuses to show a page.
	AutoApprove bool

	// AccessDuration is how long access credentials last (expiresIn).
	// Default 15 minutes, the service's maximum.
	AccessDuration time.Duration

	// ProofWindow is how far a DPoP proof's iat may be from the server's
	// clock. Default five minutes.
	ProofWindow time.Duration

	// BeforeToken, when set, is called before each /v1/token request is
	// handled, without the server's lock held, with the request's context:
	// a test may block in it to stall the service.
	BeforeToken func(r *http.Request)

	// Now is the server's clock. Default time.Now.
	Now func() time.Time
}

// SigninServer is a local AWS sign-in service, the one `aws login` uses:
// the /v1/authorize page of the browser sign-in (authorization code with
// PKCE, code_challenge_method=SHA-256) and CreateOAuth2Token at /v1/token
// with the authorization code and refresh token grants. Every /v1/token
// request must carry a DPoP proof (RFC 9449) that the server verifies: its
// ES256 signature, htm, htu (URL + "/v1/token"), an iat within
// ProofWindow, a jti never seen before, and, for a refresh, the key the
// refresh token was issued to. Refresh tokens rotate: each is good for one
// refresh. Errors carry x-amzn-ErrorType and the {"error", "message"} body
// of the real service. Its methods are safe for concurrent use.
type SigninServer struct {
	// URL is the base URL, of the form http://127.0.0.1:PORT, to use as
	// the sign-in endpoint (AWS_ENDPOINT_URL_SIGNIN).
	URL string

	hs   *httptest.Server
	opts SigninOptions

	mu      sync.Mutex
	book    ledger
	codes   map[string]*signinCode
	refresh map[string]*refreshGrant
	jtis    map[string]bool
}

type signinCode struct {
	clientID    string
	redirectURI string
	challenge   string
	expires     time.Time
}

type refreshGrant struct {
	clientID   string
	thumbprint string
	used       bool
}

// NewSigninServer starts a local sign-in service on 127.0.0.1 and returns
// it. The caller must call Close when done.
func NewSigninServer(optFns ...func(*SigninOptions)) *SigninServer {
	s := &SigninServer{
		codes:   make(map[string]*signinCode),
		refresh: make(map[string]*refreshGrant),
		jtis:    make(map[string]bool),
	}
	for _, fn := range optFns {
		fn(&s.opts)
	}
	o := &s.opts
	if o.Session == "" {
		o.Session = "arn:aws:iam::" + DefaultAccountID + ":user/test"
	}
	if o.AccessDuration <= 0 {
		o.AccessDuration = 15 * time.Minute
	}
	if o.ProofWindow <= 0 {
		o.ProofWindow = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s.hs = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.URL = "http://" + s.hs.Listener.Addr().String()
	s.hs.Start()
	return s
}

// Close shuts the service down and waits for outstanding requests.
func (s *SigninServer) Close() { s.hs.Close() }

// Calls returns how many requests of an operation ("CreateOAuth2Token",
// "Authorize") the server answered, failures included.
func (s *SigninServer) Calls(operation string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.calls[operation]
}

// Requests returns copies of the requests the server answered, in order.
// Params hold clientId, grantType and redirectUri, never a token.
func (s *SigninServer) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.copies()
}

// FailNext makes the next n requests fail. code is an exception
// ("InternalServerException", "ValidationException",
// "TooManyRequestsError") or one of the OAuth errors of
// AccessDeniedException ("TOKEN_EXPIRED", "USER_CREDENTIALS_CHANGED",
// "INSUFFICIENT_PERMISSIONS", "AUTHCODE_EXPIRED").
func (s *SigninServer) FailNext(n int, code, message string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.book.queue(n, code, message, status)
}

// SignIn returns the token file `aws login` would write for a sign-in of
// Options.Session now, with a new key, whose access credentials expire
// after expiresIn (which may be short or negative, to make a client
// refresh). Write it to loginsession's Path of the session.
func (s *SigninServer) SignIn(expiresIn time.Duration) ([]byte, error) {
	key, pemKey, err := loginsession.NewKey()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	out := s.issueLocked(loginsession.SameDeviceClientID, loginsession.PublicJWK(&key.PublicKey).Thumbprint(), true)
	s.mu.Unlock()
	t := &loginsession.Token{
		AccessKeyID:     out.AccessToken.AccessKeyID,
		SecretAccessKey: out.AccessToken.SecretAccessKey,
		SessionToken:    out.AccessToken.SessionToken,
		AccountID:       accountOf(s.opts.Session),
		ExpiresAt:       s.opts.Now().Add(expiresIn).UTC().Truncate(time.Second),
		TokenType:       "aws_sigv4",
		ClientID:        loginsession.SameDeviceClientID,
		RefreshToken:    out.RefreshToken,
		IDToken:         out.IDToken,
		DPoPKey:         pemKey,
	}
	return t.Marshal()
}

// Revoke makes every refresh token the server issued so far fail with
// TOKEN_EXPIRED, as after a sign-out.
func (s *SigninServer) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.refresh {
		g.used = true
	}
}

func (s *SigninServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/authorize":
		s.authorize(w, r)
		return
	case r.Method == http.MethodPost && r.URL.Path == "/v1/token":
	default:
		writeSigninError(w, &apiError{http.StatusNotFound, "UnknownOperationException", "no such operation"})
		return
	}
	// Read the body first: then the server notices a client that gives up.
	var in map[string]any
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(data, &in) != nil {
		in = nil
	}
	if s.opts.BeforeToken != nil {
		s.opts.BeforeToken(r)
		if r.Context().Err() != nil {
			return // the client gave up: the stalled request never arrived
		}
	}
	rec := Request{Action: "CreateOAuth2Token", Params: url.Values{}}
	for _, k := range []string{"clientId", "grantType", "redirectUri"} {
		if v := str(in, k); v != "" {
			rec.Params.Set(k, v)
		}
	}
	s.mu.Lock()
	out, apiErr := s.createToken(in, r.Header.Values("DPoP"))
	if apiErr != nil {
		rec.ErrorCode = apiErr.code
	}
	s.book.record(rec)
	s.mu.Unlock()
	if apiErr != nil {
		writeSigninError(w, apiErr)
		return
	}
	w.Header().Set("x-amzn-RequestId", newRequestID())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// accessDeniedCodes are the OAuth errors of AccessDeniedException.
var accessDeniedCodes = map[string]bool{"TOKEN_EXPIRED": true, "AUTHCODE_EXPIRED": true, "USER_CREDENTIALS_CHANGED": true, "INSUFFICIENT_PERMISSIONS": true}

func writeSigninError(w http.ResponseWriter, e *apiError) {
	typ, body := e.code, map[string]string{"message": e.message}
	if accessDeniedCodes[e.code] {
		typ = "AccessDeniedException"
		body["error"] = e.code
	}
	w.Header().Set("x-amzn-RequestId", newRequestID())
	w.Header().Set("x-amzn-ErrorType", typ)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(body)
}

func accountOf(arn string) string {
	if parts := strings.Split(arn, ":"); len(parts) >= 6 && parts[4] != "" {
		return parts[4]
	}
	return DefaultAccountID
}
