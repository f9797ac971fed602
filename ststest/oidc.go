package ststest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"sync"
	"time"
)

// OIDCOptions configures an OIDCServer. Every field is optional.
type OIDCOptions struct {
	// AutoApprove approves every sign-in at once, as a user who is already
	// signed in to the portal and clicks Allow: device codes are approved
	// when they are issued, and /authorize redirects to the redirect_uri
	// with a code and the state. Default false: device codes wait for
	// Approve or Deny, and /authorize refuses to show a page.
	AutoApprove bool

	// Deny denies every sign-in: polls of device codes get
	// AccessDeniedException, and /authorize redirects with
	// error=access_denied. Default false.
	Deny bool

	// AccessTokenDuration is how long access tokens last. Default one hour.
	AccessTokenDuration time.Duration

	// RegistrationDuration is how long client registrations last. Default
	// 90 days, as AWS.
	RegistrationDuration time.Duration

	// AuthorizationDuration is how long device codes and authorization
	// codes last. Default ten minutes.
	AuthorizationDuration time.Duration

	// Interval is the polling interval, in seconds, the server asks of
	// device flow clients; polling faster gets SlowDownException. Default
	// 1.
	Interval int32

	// Portal, when set, accepts the latest access token the server issued
	// (SSOServer.SetAccessToken), so the tokens get role credentials.
	Portal *SSOServer

	// Now is the server's clock. Default time.Now.
	Now func() time.Time
}

// OIDCServer is a local AWS IAM Identity Center OIDC service (SSO OIDC):
// RegisterClient, StartDeviceAuthorization, CreateToken with the device
// code, authorization code (with PKCE) and refresh token grants, and the
// /authorize page of the authorization code flow. Errors carry the
// x-amzn-ErrorType header and the {"error", "error_description"} body of
// the real service. Its methods are safe for concurrent use.
type OIDCServer struct {
	// URL is the base URL, of the form http://127.0.0.1:PORT, to use as
	// the SSO OIDC endpoint (AWS_ENDPOINT_URL_SSO_OIDC).
	URL string

	hs   *httptest.Server
	opts OIDCOptions

	mu       sync.Mutex
	book     ledger
	clients  map[string]*oidcClient
	devices  map[string]*deviceAuth // by device code
	codes    map[string]*authRequest
	refresh  map[string]string // refresh token -> client ID
	tokenSeq int
}

type oidcClient struct {
	secret       string
	expires      time.Time
	scopes       []string
	grantTypes   []string
	redirectURIs []string
}

type deviceAuth struct {
	clientID string
	userCode string
	expires  time.Time
	interval time.Duration
	lastPoll time.Time
	state    string // "pending", "approved", "denied", "used"
}

type authRequest struct {
	clientID    string
	redirectURI string
	challenge   string
	expires     time.Time
}

// NewOIDCServer starts a local SSO OIDC service on 127.0.0.1 and returns
// it. The caller must call Close when done.
func NewOIDCServer(optFns ...func(*OIDCOptions)) *OIDCServer {
	s := &OIDCServer{
		clients: make(map[string]*oidcClient),
		devices: make(map[string]*deviceAuth),
		codes:   make(map[string]*authRequest),
		refresh: make(map[string]string),
	}
	for _, fn := range optFns {
		fn(&s.opts)
	}
	o := &s.opts
	if o.AccessTokenDuration <= 0 {
		o.AccessTokenDuration = time.Hour
	}
	if o.RegistrationDuration <= 0 {
		o.RegistrationDuration = 90 * 24 * time.Hour
	}
	if o.AuthorizationDuration <= 0 {
		o.AuthorizationDuration = 10 * time.Minute
	}
	if o.Interval <= 0 {
		o.Interval = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	// The handlers read URL: set it before the first request.
	s.hs = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.URL = "http://" + s.hs.Listener.Addr().String()
	s.hs.Start()
	return s
}

// Close shuts the service down and waits for outstanding requests.
func (s *OIDCServer) Close() { s.hs.Close() }

// Calls reports how many requests of an operation ("RegisterClient",
// "StartDeviceAuthorization", "CreateToken", "Authorize") the service has
// answered, successfully or not.
func (s *OIDCServer) Calls(operation string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.calls[operation]
}

// Requests returns copies of the requests received, in the order they were
// answered. Params holds clientName, clientType, clientId, grantType,
// startUrl and redirectUri; secrets, codes and tokens are not recorded.
func (s *OIDCServer) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.copies()
}

// FailNext makes the next n requests fail with the given error code (sent
// in the x-amzn-ErrorType header), message and HTTP status.
func (s *OIDCServer) FailNext(n int, code, message string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.book.queue(n, code, message, status)
}

// PendingUserCodes returns, sorted, the user codes of the device
// authorizations waiting for approval.
func (s *OIDCServer) PendingUserCodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, d := range s.devices {
		if d.state == "pending" && s.opts.Now().Before(d.expires) {
			out = append(out, d.userCode)
		}
	}
	sort.Strings(out)
	return out
}

// polledUserCode returns the user code of a pending device authorization
// that has been polled for, or "".
func (s *OIDCServer) polledUserCode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		if d.state == "pending" && !d.lastPoll.IsZero() {
			return d.userCode
		}
	}
	return ""
}

// Approve approves the device authorization of userCode, as the user does
// on the verification page.
func (s *OIDCServer) Approve(userCode string) error { return s.decide(userCode, "approved") }

// Deny denies the device authorization of userCode.
func (s *OIDCServer) Deny(userCode string) error { return s.decide(userCode, "denied") }

func (s *OIDCServer) decide(userCode, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		if d.userCode == userCode && d.state == "pending" {
			d.state = state
			return nil
		}
	}
	return fmt.Errorf("ststest: no pending device authorization with user code %q", userCode)
}

// oauthErrors maps the service's exceptions to their OAuth error codes.
var oauthErrors = map[string]string{
	"AuthorizationPendingException": "authorization_pending",
	"SlowDownException":             "slow_down",
	"ExpiredTokenException":         "expired_token",
	"InvalidGrantException":         "invalid_grant",
	"AccessDeniedException":         "access_denied",
	"InvalidClientException":        "invalid_client",
	"InvalidRequestException":       "invalid_request",
	"UnsupportedGrantTypeException": "unsupported_grant_type",
	"InvalidScopeException":         "invalid_scope",
}

func (s *OIDCServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/authorize" {
		s.authorize(w, r)
		return
	}
	rec := Request{Params: url.Values{}}
	var body map[string]any
	if data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20)); err == nil {
		_ = json.Unmarshal(data, &body)
	}
	if r.Method == http.MethodPost {
		rec.Action = map[string]string{
			"/client/register":      "RegisterClient",
			"/device_authorization": "StartDeviceAuthorization",
			"/token":                "CreateToken",
		}[r.URL.Path]
	}
	for _, k := range []string{"clientName", "clientType", "clientId", "grantType", "startUrl", "redirectUri"} {
		if v, ok := body[k].(string); ok {
			rec.Params.Set(k, v)
		}
	}

	s.mu.Lock()
	out, apiErr := s.dispatch(rec.Action, body)
	if apiErr != nil {
		rec.ErrorCode = apiErr.code
	}
	s.book.record(rec)
	s.mu.Unlock()

	w.Header().Set("x-amzn-RequestId", newRequestID())
	w.Header().Set("Content-Type", "application/json")
	if apiErr != nil {
		w.Header().Set("x-amzn-ErrorType", apiErr.code)
		w.WriteHeader(apiErr.status)
		code := oauthErrors[apiErr.code]
		if code == "" {
			code = apiErr.code
		}
		out = map[string]string{"error": code, "error_description": apiErr.message}
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (s *OIDCServer) dispatch(action string, in map[string]any) (any, *apiError) {
	if err := s.book.nextFailure(); err != nil {
		return nil, err
	}
	switch action {
	case "RegisterClient":
		return s.registerClient(in)
	case "StartDeviceAuthorization":
		return s.startDeviceAuthorization(in)
	case "CreateToken":
		return s.createToken(in)
	}
	return nil, &apiError{http.StatusNotFound, "UnknownOperationException", "no such operation"}
}

func str(in map[string]any, key string) string {
	v, _ := in[key].(string)
	return v
}

func strs(in map[string]any, key string) []string {
	l, _ := in[key].([]any)
	var out []string
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func invalidRequest(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidRequestException", msg}
}

func (s *OIDCServer) registerClient(in map[string]any) (any, *apiError) {
	if str(in, "clientName") == "" || str(in, "clientType") != "public" {
		return nil, invalidRequest("clientName and clientType public are required")
	}
	c := &oidcClient{
		secret:       randomString(alnum, 64),
		expires:      s.opts.Now().Add(s.opts.RegistrationDuration).Truncate(time.Second),
		scopes:       strs(in, "scopes"),
		grantTypes:   strs(in, "grantTypes"),
		redirectURIs: strs(in, "redirectUris"),
	}
	if slices.Contains(c.grantTypes, "authorization_code") && (len(c.redirectURIs) == 0 || str(in, "issuerUrl") == "") {
		return nil, &apiError{http.StatusBadRequest, "InvalidRedirectUriException", "redirectUris and issuerUrl are required for authorization_code"}
	}
	id := randomString(alnum, 22)
	s.clients[id] = c
	return map[string]any{
		"clientId":              id,
		"clientSecret":          c.secret,
		"clientIdIssuedAt":      s.opts.Now().Unix(),
		"clientSecretExpiresAt": c.expires.Unix(),
	}, nil
}

// client returns the registered client that in names and authenticates.
func (s *OIDCServer) client(in map[string]any) (string, *oidcClient, *apiError) {
	id := str(in, "clientId")
	c, ok := s.clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(str(in, "clientSecret")), []byte(c.secret)) != 1 {
		return "", nil, &apiError{http.StatusUnauthorized, "InvalidClientException", "Invalid client"}
	}
	if !s.opts.Now().Before(c.expires) {
		return "", nil, &apiError{http.StatusUnauthorized, "InvalidClientException", "The client registration has expired"}
	}
	return id, c, nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (s *OIDCServer) startDeviceAuthorization(in map[string]any) (any, *apiError) {
	id, _, err := s.client(in)
	if err != nil {
		return nil, err
	}
	if str(in, "startUrl") == "" {
		return nil, invalidRequest("startUrl is required")
	}
	const letters = "BCDFGHJKLMNPQRSTVWXZ"
	d := &deviceAuth{
		clientID: id,
		userCode: randomString(letters, 4) + "-" + randomString(letters, 4),
		expires:  s.opts.Now().Add(s.opts.AuthorizationDuration),
		interval: time.Duration(s.opts.Interval) * time.Second,
		state:    "pending",
	}
	if s.opts.AutoApprove {
		d.state = "approved"
	}
	code := randomString(alnum, 48)
	s.devices[code] = d
	verification := s.URL + "/device"
	return map[string]any{
		"deviceCode":              code,
		"userCode":                d.userCode,
		"verificationUri":         verification,
		"verificationUriComplete": verification + "?user_code=" + d.userCode,
		"expiresIn":               int(s.opts.AuthorizationDuration / time.Second),
		"interval":                s.opts.Interval,
	}, nil
}

// ErrNoPendingAuthorization is what WaitForUserCode returns when no device
// authorization became pending in time.
var ErrNoPendingAuthorization = errors.New("ststest: no device authorization is pending")

// WaitForUserCode waits up to timeout for a device authorization to be
// pending and polled for once, as clients do before they show the user
// code, and returns its user code, as a person reads it off the screen.
func (s *OIDCServer) WaitForUserCode(timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		if code := s.polledUserCode(); code != "" {
			return code, nil
		}
		if time.Now().After(deadline) {
			return "", ErrNoPendingAuthorization
		}
		time.Sleep(10 * time.Millisecond)
	}
}
