package ststest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	stsVersion   = "2011-06-15"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

	// ExpirationLayout is how the server writes credential expirations: the
	// form real STS uses and every botocore version parses.
	ExpirationLayout = "2006-01-02T15:04:05Z"

	// DefaultAccountID is the account of callers whose keys the server did
	// not issue.
	DefaultAccountID = "123456789012"

	// ChainedRoleMaxDuration is the longest session STS grants to a role
	// assumed with the credentials of another role.
	ChainedRoleMaxDuration = time.Hour
)

// mfaFailed is real STS's message, trailing space included, so that code
// matching on it behaves as against AWS.
const mfaFailed = "MultiFactorAuthentication failed with invalid MFA one time pass code. "

// Options configures a Server. Every field is optional.
type Options struct {
	// AccountID is the account of callers signing with keys the server did
	// not issue. Default DefaultAccountID.
	AccountID string

	// UserName names the IAM user behind keys the server did not issue:
	// GetCallerIdentity answers arn:aws:iam::<AccountID>:user/<UserName>.
	// Default "test".
	UserName string

	// MFACode, when set, is the only TokenCode accepted with a
	// SerialNumber; otherwise any six digits are. Default "" (any code).
	MFACode string

	// RequireMFA refuses AssumeRole and GetSessionToken calls that carry no
	// SerialNumber and TokenCode, with AccessDenied, as real STS does for a
	// role whose trust policy requires MFA. A call signed with credentials
	// that were themselves obtained with MFA passes. Default false.
	RequireMFA bool

	// WebIdentityToken, when set, is the only token AssumeRoleWithWebIdentity
	// accepts; others get InvalidIdentityToken. Default "" (any token).
	WebIdentityToken string

	// VerifySignatures checks the SigV4 signature of every signed request
	// (see VerifySignature), not only its shape: credentials the server
	// issued with the secrets it issued, and IAM user keys with Secrets.
	// Default false: tests may sign with any secret.
	VerifySignatures bool

	// Secrets holds the secret access keys of IAM user keys, by access key
	// ID, for VerifySignatures, which refuses user keys not listed.
	// Default none.
	Secrets map[string]string

	// Now is the server's clock: expirations are Now plus the duration, and
	// issued credentials stop working at their expiration. It is called
	// with the server's lock held, so it must not call the Server's
	// methods. Default time.Now.
	Now func() time.Time
}

// Request is a copy of one request the server received.
type Request struct {
	// Action is the STS action, "" when the request named none. For an
	// SSOServer it is the operation, "GetRoleCredentials".
	Action string

	// Params holds the request's parameters (form body and query string)
	// except the X-Amz-* signing ones. For an SSOServer it is the query
	// string.
	Params url.Values

	// AccessKeyID is the key named in the SigV4 credential scope, "" when
	// the request was unsigned.
	AccessKeyID string

	// ErrorCode is the error the server answered with, "" on success.
	ErrorCode string
}

// Server is a local AWS STS listening on a loopback address. Its methods
// are safe for concurrent use.
type Server struct {
	// URL is the base URL, of the form http://127.0.0.1:PORT, to use as
	// the STS endpoint.
	URL string

	hs               *httptest.Server
	accountID        string
	userName         string
	requireMFA       bool
	webIdentityToken string
	now              func() time.Time
	verify           bool
	secrets          map[string]string

	mu       sync.Mutex
	mfaCode  string
	book     ledger
	sessions map[string]*session // by access key ID
	roleIDs  map[string]string   // by role ARN: stable, like IAM's unique IDs
	userIDs  map[string]string   // by access key ID
}

// identity is who a set of credentials belongs to, as GetCallerIdentity
// reports it.
type identity struct {
	account string
	arn     string
	userID  string
}

// session is a set of temporary credentials the server issued.
type session struct {
	sessionToken string
	secret       string
	expiration   time.Time
	identity     identity
	mfa          bool // obtained with MFA, directly or through the signing session
	role         bool // an assumed role: assuming another role from it is chaining
	// fromKeys marks a role assumed directly with an IAM user's long-term
	// keys, the only session the federation endpoint takes a
	// SessionDuration for.
	fromKeys bool
}

// ledger is what a server has answered and the failures queued for it.
// The server's mutex guards it.
type ledger struct {
	calls    map[string]int
	requests []Request
	failures []failure
}

// record counts an answered request.
func (l *ledger) record(rec Request) {
	if l.calls == nil {
		l.calls = make(map[string]int)
	}
	l.calls[rec.Action]++
	l.requests = append(l.requests, rec)
}

// copies returns copies of the requests answered, in order, that a
// caller may change.
func (l *ledger) copies() []Request {
	out := make([]Request, len(l.requests))
	for i, r := range l.requests {
		r.Params = cloneValues(r.Params)
		out[i] = r
	}
	return out
}

// queue adds n failures after those already queued.
func (l *ledger) queue(n int, code, message string, status int) {
	if n > 0 {
		l.failures = append(l.failures, failure{n: n, err: &apiError{status: status, code: code, message: message}})
	}
}

// nextFailure takes the next queued failure, or returns nil.
func (l *ledger) nextFailure() *apiError {
	if len(l.failures) == 0 {
		return nil
	}
	f := &l.failures[0]
	f.n--
	if f.n == 0 {
		l.failures = l.failures[1:]
	}
	return f.err
}

// failure is a queued FailNext error.
type failure struct {
	n   int
	err *apiError
}

// apiError is an STS error response.
type apiError struct {
	status  int
	code    string
	message string
}

// NewServer starts a local STS on 127.0.0.1 and returns it. The caller
// must call Close when done.
func NewServer(optFns ...func(*Options)) *Server {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	s := &Server{
		accountID:        o.AccountID,
		userName:         o.UserName,
		requireMFA:       o.RequireMFA,
		webIdentityToken: o.WebIdentityToken,
		now:              o.Now,
		verify:           o.VerifySignatures,
		secrets:          o.Secrets,
		mfaCode:          o.MFACode,
		sessions:         make(map[string]*session),
		roleIDs:          make(map[string]string),
		userIDs:          make(map[string]string),
	}
	if s.accountID == "" {
		s.accountID = DefaultAccountID
	}
	if s.userName == "" {
		s.userName = "test"
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.hs.URL
	return s
}

// Close shuts the server down and waits for outstanding requests.
func (s *Server) Close() {
	s.hs.Close()
}

// Calls reports how many requests of the given action the server has
// answered, successfully or not.
func (s *Server) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.calls[action]
}

// Requests returns copies of the requests received, in the order they were
// answered.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.copies()
}

// SetMFACode changes the TokenCode the server expects; "" accepts any six
// digits.
func (s *Server) SetMFACode(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mfaCode = code
}

// FailNext makes the next n requests, whatever their action, fail with the
// given STS error code, message and HTTP status. Calls queue up: a second
// call's failures come after the first's.
func (s *Server) FailNext(n int, code, message string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.book.queue(n, code, message, status)
}

// addRoleSession makes role credentials issued elsewhere (by an
// SSOServer) usable to sign calls to s.
func (s *Server) addRoleSession(r role, sessionName string, c credentialsXML, exp time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[c.AccessKeyID] = &session{
		sessionToken: c.SessionToken,
		secret:       c.SecretAccessKey,
		expiration:   exp,
		identity:     s.assumedRole(r, sessionName),
		role:         true,
	}
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	var (
		body   any
		apiErr *apiError
		rec    Request
	)
	// ParseForm consumes the body that a signature covers.
	raw, rawErr := readBody(r)
	if rawErr != nil {
		apiErr = &apiError{http.StatusBadRequest, "MalformedInput", "the request body could not be read"}
	} else if err := r.ParseForm(); err != nil {
		apiErr = &apiError{http.StatusBadRequest, "MalformedInput", "the request body or query string could not be parsed"}
	} else {
		rec.Params = stsParams(r.Form)
		rec.Action = rec.Params.Get("Action")
	}
	rec.AccessKeyID = credentialAccessKeyID(r)
	r.Body = io.NopCloser(bytes.NewReader(raw))

	s.mu.Lock()
	if apiErr == nil {
		body, apiErr = s.dispatch(r, rec.Params, rec.Action)
	}
	if apiErr != nil {
		rec.ErrorCode = apiErr.code
	}
	s.book.record(rec)
	s.mu.Unlock()

	w.Header().Set("x-amzn-RequestId", requestID)
	w.Header().Set("Content-Type", "text/xml")
	if apiErr != nil {
		w.WriteHeader(apiErr.status)
		writeXML(w, apiErr.response(requestID))
		return
	}
	writeXML(w, wrapResult(rec.Action, body, requestID))
}

// stsParams returns the STS parameters of a request, leaving out the
// presigned-URL signing fields: they are not parameters, and the session
// token among them is a secret.
func stsParams(form url.Values) url.Values {
	out := make(url.Values, len(form))
	for k, vs := range form {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func writeXML(w http.ResponseWriter, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		// Only a bug in this package's types can get here.
		panic(fmt.Sprintf("ststest: encode response: %v", err))
	}
	_, _ = w.Write(b)
}

// dispatch answers one request; s.mu is held.
func (s *Server) dispatch(r *http.Request, p url.Values, action string) (any, *apiError) {
	if err := s.book.nextFailure(); err != nil {
		return nil, err
	}
	if action == "" {
		return nil, &apiError{http.StatusBadRequest, "MissingAction", "Missing Action"}
	}
	version := p.Get("Version")
	handler, ok := map[string]func(*caller, url.Values, time.Time) (any, *apiError){
		"AssumeRole":                s.assumeRole,
		"AssumeRoleWithWebIdentity": s.assumeRoleWithWebIdentity,
		"GetCallerIdentity":         s.getCallerIdentity,
		"GetFederationToken":        s.getFederationToken,
		"GetSessionToken":           s.getSessionToken,
	}[action]
	if !ok || version != stsVersion {
		if version == "" {
			version = "NO_VERSION_SPECIFIED"
		}
		return nil, &apiError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, version)}
	}
	now := s.now()
	var c *caller
	// Real STS takes web identity calls unsigned: the token is the proof.
	if action != "AssumeRoleWithWebIdentity" {
		var err *apiError
		if c, err = s.authenticate(r, now); err != nil {
			return nil, err
		}
	}
	return handler(c, p, now)
}
