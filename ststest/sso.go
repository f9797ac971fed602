package ststest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// SSOOptions configures an SSOServer. Every field is optional.
type SSOOptions struct {
	// AccessToken is the bearer token the portal accepts. Default "": any
	// non-empty token.
	AccessToken string

	// AccessTokenExpiration, when set, is the instant (per Now) from which
	// the access token is refused, as after an SSO session ends. Default:
	// never.
	AccessTokenExpiration time.Time

	// Duration is how long role credentials last. Default one hour.
	Duration time.Duration

	// UserName is the SSO user, the session name of the role sessions the
	// portal hands out. Default "test".
	UserName string

	// Now is the portal's clock. Default time.Now.
	Now func() time.Time

	// STS, when set, learns the role credentials the portal hands out, so
	// they can sign calls to it: GetCallerIdentity then answers with the
	// AWSReservedSSO_<role>_<id> role session, as AWS does. Default nil.
	STS *Server
}

// SSOServer is a local AWS IAM Identity Center (SSO) portal that answers
// GetRoleCredentials, the call SDKs make to turn an SSO access token into
// role credentials, and Logout, which ends the token. Its methods are
// safe for concurrent use.
type SSOServer struct {
	// URL is the base URL, of the form http://127.0.0.1:PORT, to use as
	// the SSO portal endpoint.
	URL string

	hs       *httptest.Server
	duration time.Duration
	userName string
	now      func() time.Time
	sts      *Server

	mu          sync.Mutex
	accessToken string
	tokenExpiry time.Time
	book        ledger
	roleIDs     map[string]string // by role name: the suffix AWS gives SSO roles
	loggedOut   map[string]bool   // access tokens ended by Logout
}

// NewSSOServer starts a local SSO portal on 127.0.0.1 and returns it. The
// caller must call Close when done.
func NewSSOServer(optFns ...func(*SSOOptions)) *SSOServer {
	var o SSOOptions
	for _, fn := range optFns {
		fn(&o)
	}
	s := &SSOServer{
		duration:    o.Duration,
		userName:    o.UserName,
		now:         o.Now,
		sts:         o.STS,
		accessToken: o.AccessToken,
		tokenExpiry: o.AccessTokenExpiration,
		roleIDs:     make(map[string]string),
		loggedOut:   make(map[string]bool),
	}
	if s.duration <= 0 {
		s.duration = time.Hour
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

// Close shuts the portal down and waits for outstanding requests.
func (s *SSOServer) Close() {
	s.hs.Close()
}

// Calls reports how many requests of the given operation, such as
// "GetRoleCredentials", the portal has answered, successfully or not.
func (s *SSOServer) Calls(operation string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.calls[operation]
}

// Requests returns copies of the requests received, in the order they were
// answered. The bearer token is not recorded.
func (s *SSOServer) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.copies()
}

// SetAccessToken changes the bearer token the portal accepts and when it
// stops being accepted (zero: never), as a new SSO login would.
func (s *SSOServer) SetAccessToken(token string, expiration time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessToken = token
	s.tokenExpiry = expiration
}

// FailNext makes the next n requests fail with the given error code (sent
// in the x-amzn-ErrorType header), message and HTTP status. Calls queue
// up: a second call's failures come after the first's.
func (s *SSOServer) FailNext(n int, code, message string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.book.queue(n, code, message, status)
}

type roleCredentialsJSON struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	Expiration      int64  `json:"expiration"` // Unix milliseconds
}

func (s *SSOServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{Params: cloneValues(r.URL.Query())}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/federation/credentials":
		rec.Action = "GetRoleCredentials"
	case r.Method == http.MethodPost && r.URL.Path == "/logout":
		rec.Action = "Logout"
	}

	s.mu.Lock()
	body, apiErr := s.dispatch(r, rec)
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
		body = map[string]string{"message": apiErr.message}
	}
	// A write error means the client went away; there is no one to tell.
	_ = json.NewEncoder(w).Encode(body)
}

// dispatch answers one request; s.mu is held.
func (s *SSOServer) dispatch(r *http.Request, rec Request) (any, *apiError) {
	if err := s.book.nextFailure(); err != nil {
		return nil, err
	}
	if rec.Action == "" {
		return nil, &apiError{http.StatusNotFound, "UnknownOperationException", fmt.Sprintf("no operation for %s %s", r.Method, r.URL.Path)}
	}
	now := s.now()
	token := r.Header.Get("x-amz-sso_bearer_token")
	valid := token != "" &&
		(s.accessToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.accessToken)) == 1) &&
		(s.tokenExpiry.IsZero() || now.Before(s.tokenExpiry))
	if !valid || s.loggedOut[token] {
		return nil, &apiError{http.StatusUnauthorized, "UnauthorizedException", "Session token not found or invalid"}
	}
	if rec.Action == "Logout" {
		s.loggedOut[token] = true
		return struct{}{}, nil
	}
	accountID, roleName := rec.Params.Get("account_id"), rec.Params.Get("role_name")
	if accountID == "" || roleName == "" {
		return nil, &apiError{http.StatusBadRequest, "InvalidRequestException", "account_id and role_name are required"}
	}

	exp := expiration(now, s.duration)
	c := newCredentials(exp)
	if s.sts != nil {
		name := s.reservedRoleName(roleName)
		r := role{
			arn:       fmt.Sprintf("arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s", accountID, name),
			partition: "aws",
			account:   accountID,
			name:      name,
		}
		s.sts.addRoleSession(r, s.userName, c, exp)
	}
	return map[string]roleCredentialsJSON{"roleCredentials": {
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		Expiration:      exp.UnixMilli(),
	}}, nil
}

// reservedRoleName is the IAM role AWS creates for a permission set.
func (s *SSOServer) reservedRoleName(permissionSet string) string {
	id, ok := s.roleIDs[permissionSet]
	if !ok {
		id = randomString("0123456789abcdef", 16)
		s.roleIDs[permissionSet] = id
	}
	return fmt.Sprintf("AWSReservedSSO_%s_%s", permissionSet, id)
}
