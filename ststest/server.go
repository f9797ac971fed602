package ststest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
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
	expiration   time.Time
	identity     identity
	mfa          bool // obtained with MFA, directly or through the signing session
	role         bool // an assumed role: assuming another role from it is chaining
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
	return copyRequests(s.book.requests)
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
		expiration:   exp,
		identity:     s.assumedRole(r, sessionName),
		role:         true,
	}
}

func copyRequests(in []Request) []Request {
	out := make([]Request, len(in))
	for i, r := range in {
		r.Params = cloneValues(r.Params)
		out[i] = r
	}
	return out
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
	if err := r.ParseForm(); err != nil {
		apiErr = &apiError{http.StatusBadRequest, "MalformedInput", "the request body or query string could not be parsed"}
	} else {
		rec.Params = stsParams(r.Form)
		rec.Action = rec.Params.Get("Action")
	}
	rec.AccessKeyID = credentialAccessKeyID(r)

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

// caller is the principal that signed a request.
type caller struct {
	identity identity
	session  *session // nil for keys the server did not issue
}

// credentialAccessKeyID returns the access key ID named in a request's
// SigV4 credential scope, "" when it has none.
func credentialAccessKeyID(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		cred = authFields(h)["Credential"]
	}
	akid, _, _ := strings.Cut(cred, "/")
	return akid
}

// authFields splits "AWS4-HMAC-SHA256 Credential=a, SignedHeaders=b,
// Signature=c" into its named fields.
func authFields(h string) map[string]string {
	_, rest, _ := strings.Cut(h, " ")
	fields := make(map[string]string)
	for f := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	return fields
}

var (
	amzDateRE   = lazyRegexp(`^\d{8}T\d{6}Z$`)
	scopeDateRE = lazyRegexp(`^\d{8}$`)
	signatureRE = lazyRegexp(`^[0-9a-f]{64}$`)
)

// authenticate checks that the request is SigV4-signed in shape and that
// an access key the server issued comes with its session token and has not
// expired. Signatures are not verified: tests sign with made-up secrets.
func (s *Server) authenticate(r *http.Request, now time.Time) (*caller, *apiError) {
	q := r.URL.Query()
	var algorithm, amzDate, token string
	var fields map[string]string
	if h := r.Header.Get("Authorization"); h != "" {
		algorithm, _, _ = strings.Cut(h, " ")
		fields = authFields(h)
		amzDate = r.Header.Get("X-Amz-Date")
		token = r.Header.Get("X-Amz-Security-Token")
	} else if q.Has("X-Amz-Credential") {
		// A presigned URL, as EKS tokens use for GetCallerIdentity.
		algorithm = q.Get("X-Amz-Algorithm")
		fields = map[string]string{
			"Credential":    q.Get("X-Amz-Credential"),
			"SignedHeaders": q.Get("X-Amz-SignedHeaders"),
			"Signature":     q.Get("X-Amz-Signature"),
		}
		amzDate = q.Get("X-Amz-Date")
		token = q.Get("X-Amz-Security-Token")
	} else {
		return nil, &apiError{http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"}
	}

	if algorithm != "AWS4-HMAC-SHA256" {
		return nil, &apiError{http.StatusBadRequest, "IncompleteSignature", fmt.Sprintf("Unsupported AWS 'algorithm': '%s'", algorithm)}
	}
	var missing []string
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	if amzDate == "" && r.Header.Get("Date") == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, &apiError{http.StatusBadRequest, "IncompleteSignature", strings.Join(missing, " ")}
	}
	if !signatureRE().MatchString(fields["Signature"]) {
		return nil, &apiError{http.StatusBadRequest, "IncompleteSignature", "Signature must be 64 lower-case hexadecimal characters."}
	}
	if !strings.Contains(";"+fields["SignedHeaders"]+";", ";host;") {
		return nil, &apiError{http.StatusBadRequest, "IncompleteSignature", "SignedHeaders must include 'host'."}
	}

	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[0] == "" {
		return nil, &apiError{http.StatusBadRequest, "IncompleteSignature", fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", fields["Credential"])}
	}
	akid, date, region, service, term := scope[0], scope[1], scope[2], scope[3], scope[4]
	switch {
	case !scopeDateRE().MatchString(date):
		return nil, &apiError{http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Invalid date in credential scope: '%s'.", date)}
	case amzDate != "" && (!amzDateRE().MatchString(amzDate) || amzDate[:8] != date):
		return nil, &apiError{http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%.8s', from '%s'.", date, amzDate, amzDate)}
	case region == "":
		return nil, &apiError{http.StatusForbidden, "SignatureDoesNotMatch", "Credential should be scoped to a valid region."}
	case service != "sts":
		return nil, &apiError{http.StatusForbidden, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'."}
	case term != "aws4_request":
		return nil, &apiError{http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", term)}
	}

	sess, ok := s.sessions[akid]
	if !ok {
		// Like moto, any key the server did not issue is a valid IAM user key.
		return &caller{identity: s.userIdentity(akid)}, nil
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(sess.sessionToken)) != 1 {
		return nil, &apiError{http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid"}
	}
	if !now.Before(sess.expiration) {
		return nil, &apiError{http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired"}
	}
	return &caller{identity: sess.identity, session: sess}, nil
}

// userIdentity is the IAM user behind a key the server did not issue.
func (s *Server) userIdentity(accessKeyID string) identity {
	id, ok := s.userIDs[accessKeyID]
	if !ok {
		id = "AIDA" + randomString(upperAlnum, 17)
		s.userIDs[accessKeyID] = id
	}
	return identity{
		account: s.accountID,
		arn:     fmt.Sprintf("arn:aws:iam::%s:user/%s", s.accountID, s.userName),
		userID:  id,
	}
}

// roleID returns the role's unique ID, the same on every call as IAM's.
func (s *Server) roleID(roleARN string) string {
	id, ok := s.roleIDs[roleARN]
	if !ok {
		id = "AROA" + randomString(upperAlnum, 17)
		s.roleIDs[roleARN] = id
	}
	return id
}

// issue creates and remembers a set of temporary credentials.
func (s *Server) issue(id identity, expiration time.Time, mfa, role bool) credentialsXML {
	c := newCredentials(expiration)
	s.sessions[c.AccessKeyID] = &session{
		sessionToken: c.SessionToken,
		expiration:   expiration,
		identity:     id,
		mfa:          mfa,
		role:         role,
	}
	return c
}

func newCredentials(expiration time.Time) credentialsXML {
	return credentialsXML{
		AccessKeyID:     "ASIA" + randomString(upperAlnum, 16),
		SecretAccessKey: randomString(base64Chars, 40),
		// Real session tokens start this way and run to hundreds of
		// characters, with '+', '/' and '=' in them.
		SessionToken: "IQoJb3JpZ2luX2VjE" + randomString(base64Chars, 380) + "==",
		Expiration:   expiration.Format(ExpirationLayout),
	}
}

// expiration is now plus d, to the second and in UTC: the server enforces
// exactly what it reports.
func expiration(now time.Time, d time.Duration) time.Time {
	return now.Add(d).UTC().Truncate(time.Second)
}

var (
	roleARNRE     = lazyRegexp(`^arn:([a-z][a-z0-9-]*):iam::(\d{12}):role/((?:[\x21-\x7e]+/)?)([\w+=,.@-]{1,64})$`)
	sessionNameRE = lazyRegexp(`^[\w+=,.@-]*$`)
	externalIDRE  = lazyRegexp(`^[\w+=,.@:/-]*$`)
	serialRE      = lazyRegexp(`^[\w+=/:,.@-]*$`)
	digitsRE      = lazyRegexp(`^\d*$`)
	policyRE      = lazyRegexp(`^[\t\n\r\x20-\x{ff}]+$`)
)

// role is a parsed role ARN.
type role struct {
	arn, partition, account, name string
}

func parseRoleARN(arn string) (role, bool) {
	m := roleARNRE().FindStringSubmatch(arn)
	if m == nil {
		return role{}, false
	}
	return role{arn: arn, partition: m[1], account: m[2], name: m[4]}, true
}

// assumedRole is the identity of a session of r.
func (s *Server) assumedRole(r role, sessionName string) identity {
	return identity{
		account: r.account,
		arn:     fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", r.partition, r.account, r.name, sessionName),
		userID:  s.roleID(r.arn) + ":" + sessionName,
	}
}

// checkMFA applies the MFA rules shared by AssumeRole and GetSessionToken
// and reports whether the new session counts as MFA-authenticated.
func (s *Server) checkMFA(c *caller, serial, code, denied string) (bool, *apiError) {
	if serial != "" {
		if code == "" || (s.mfaCode != "" && subtle.ConstantTimeCompare([]byte(code), []byte(s.mfaCode)) != 1) {
			return false, &apiError{http.StatusForbidden, "AccessDenied", mfaFailed}
		}
		return true, nil
	}
	if code != "" {
		return false, validationError("SerialNumber is required when TokenCode is provided")
	}
	viaSession := c.session != nil && c.session.mfa
	if s.requireMFA && !viaSession {
		return false, &apiError{http.StatusForbidden, "AccessDenied", denied}
	}
	return viaSession, nil
}

func (s *Server) assumeRole(c *caller, p url.Values, now time.Time) (any, *apiError) {
	var v validator
	roleARN := v.str(p, "RoleArn", "roleArn", true, 20, 2048, nil)
	sessionName := v.str(p, "RoleSessionName", "roleSessionName", true, 2, 64, sessionNameRE())
	duration := v.duration(p, 900, 43200, time.Hour)
	v.str(p, "ExternalId", "externalId", false, 2, 1224, externalIDRE())
	policy := v.str(p, "Policy", "policy", false, 1, 2048, policyRE())
	serial := v.str(p, "SerialNumber", "serialNumber", false, 9, 256, serialRE())
	code := v.sensitive(p, "TokenCode", "tokenCode", 6, 6, digitsRE())
	sourceIdentity := v.str(p, "SourceIdentity", "sourceIdentity", false, 2, 64, sessionNameRE())
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := checkRoleAndPolicy(roleARN, policy)
	if err != nil {
		return nil, err
	}
	if c.session != nil && c.session.role && duration > ChainedRoleMaxDuration {
		return nil, validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	mfa, err := s.checkMFA(c, serial, code, fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.identity.arn, roleARN))
	if err != nil {
		return nil, err
	}

	id := s.assumedRole(r, sessionName)
	res := &assumeRoleResult{
		SourceIdentity:   sourceIdentity,
		AssumedRoleUser:  assumedRoleUserXML{AssumedRoleID: id.userID, Arn: id.arn},
		Credentials:      s.issue(id, expiration(now, duration), mfa, true),
		PackedPolicySize: packedPolicySize(p),
	}
	return res, nil
}

// checkRoleAndPolicy parses the role to assume and checks the session
// policy, as both ways of assuming a role do.
func checkRoleAndPolicy(roleARN, policy string) (role, *apiError) {
	r, ok := parseRoleARN(roleARN)
	if !ok {
		return role{}, validationError(roleARN + " is invalid")
	}
	if policy != "" && !jsonValid(policy) {
		return role{}, &apiError{http.StatusBadRequest, "MalformedPolicyDocument", "Syntax errors in policy."}
	}
	return r, nil
}

func (s *Server) getSessionToken(c *caller, p url.Values, now time.Time) (any, *apiError) {
	var v validator
	duration := v.duration(p, 900, 129600, 12*time.Hour)
	serial := v.str(p, "SerialNumber", "serialNumber", false, 9, 256, serialRE())
	code := v.sensitive(p, "TokenCode", "tokenCode", 6, 6, digitsRE())
	if err := v.err(); err != nil {
		return nil, err
	}
	if c.session != nil {
		return nil, &apiError{http.StatusForbidden, "AccessDenied", "Cannot call GetSessionToken with session credentials"}
	}
	mfa, err := s.checkMFA(c, serial, code, fmt.Sprintf("User: %s is not authorized to perform: sts:GetSessionToken", c.identity.arn))
	if err != nil {
		return nil, err
	}
	// The session acts as the user that asked for it.
	return &getSessionTokenResult{Credentials: s.issue(c.identity, expiration(now, duration), mfa, false)}, nil
}

func (s *Server) getCallerIdentity(c *caller, _ url.Values, _ time.Time) (any, *apiError) {
	return &getCallerIdentityResult{Arn: c.identity.arn, UserID: c.identity.userID, Account: c.identity.account}, nil
}

func (s *Server) assumeRoleWithWebIdentity(_ *caller, p url.Values, now time.Time) (any, *apiError) {
	var v validator
	roleARN := v.str(p, "RoleArn", "roleArn", true, 20, 2048, nil)
	sessionName := v.str(p, "RoleSessionName", "roleSessionName", true, 2, 64, sessionNameRE())
	token := v.sensitive(p, "WebIdentityToken", "webIdentityToken", 4, 20000, nil)
	if token == "" && !p.Has("WebIdentityToken") {
		v.add("Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null")
	}
	providerID := v.str(p, "ProviderId", "providerId", false, 4, 2048, nil)
	duration := v.duration(p, 900, 43200, time.Hour)
	policy := v.str(p, "Policy", "policy", false, 1, 2048, policyRE())
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := checkRoleAndPolicy(roleARN, policy)
	if err != nil {
		return nil, err
	}
	if s.webIdentityToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.webIdentityToken)) != 1 {
		return nil, &apiError{http.StatusBadRequest, "InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."}
	}
	cl := parseClaims(token)
	if cl.exp != nil && !now.Before(*cl.exp) {
		return nil, &apiError{http.StatusBadRequest, "ExpiredTokenException", fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), cl.exp.Unix())}
	}

	subject, audience := "test", "sts.amazonaws.com"
	provider := fmt.Sprintf("arn:%s:iam::%s:oidc-provider/example.com", r.partition, r.account)
	if cl.sub != "" {
		subject = cl.sub
	}
	if cl.aud != "" {
		audience = cl.aud
	}
	if cl.iss != "" {
		provider = fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", r.partition, r.account, strings.TrimPrefix(cl.iss, "https://"))
	}
	if providerID != "" {
		provider = providerID
	}

	id := s.assumedRole(r, sessionName)
	return &assumeRoleWithWebIdentityResult{
		SubjectFromWebIdentityToken: subject,
		Audience:                    audience,
		AssumedRoleUser:             assumedRoleUserXML{AssumedRoleID: id.userID, Arn: id.arn},
		Credentials:                 s.issue(id, expiration(now, duration), false, true),
		Provider:                    provider,
		PackedPolicySize:            packedPolicySize(p),
	}, nil
}

// packedPolicySize approximates the percentage of the session policy
// allowance that Policy, PolicyArns and Tags use; STS reports it only when
// one of them is present.
func packedPolicySize(p url.Values) *int {
	n, present := 0, false
	for k, vs := range p {
		if k == "Policy" || strings.HasPrefix(k, "PolicyArns.") || strings.HasPrefix(k, "Tags.") {
			present = true
			for _, v := range vs {
				n += len(v)
			}
		}
	}
	if !present {
		return nil
	}
	size := max(1, (n*100+2047)/2048)
	return &size
}

// validator collects constraint violations worded as real STS words them.
type validator struct {
	violations []string
}

func (v *validator) add(msg string) {
	v.violations = append(v.violations, msg)
}

// str returns parameter name, recording a violation of its length or
// pattern; member is its name in messages.
func (v *validator) str(p url.Values, name, member string, required bool, minLen, maxLen int, pattern *regexp.Regexp) string {
	return v.check(p, name, member, required, minLen, maxLen, pattern, false)
}

// sensitive is str for values that must not be echoed in messages.
func (v *validator) sensitive(p url.Values, name, member string, minLen, maxLen int, pattern *regexp.Regexp) string {
	return v.check(p, name, member, false, minLen, maxLen, pattern, true)
}

func (v *validator) check(p url.Values, name, member string, required bool, minLen, maxLen int, pattern *regexp.Regexp, secret bool) string {
	if !p.Has(name) {
		if required {
			v.add(fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
		}
		return ""
	}
	val := p.Get(name)
	prefix := fmt.Sprintf("Value '%s' at '%s'", val, member)
	if secret {
		prefix = fmt.Sprintf("Value at '%s'", member)
	}
	n := len([]rune(val))
	if n < minLen {
		v.add(fmt.Sprintf("%s failed to satisfy constraint: Member must have length greater than or equal to %d", prefix, minLen))
	}
	if n > maxLen {
		v.add(fmt.Sprintf("%s failed to satisfy constraint: Member must have length less than or equal to %d", prefix, maxLen))
	}
	if pattern != nil && !pattern.MatchString(val) {
		v.add(fmt.Sprintf("%s failed to satisfy constraint: Member must satisfy regular expression pattern: %s", prefix, patternText(pattern)))
	}
	return val
}

// patternText is the regular expression as the STS model spells it.
func patternText(re *regexp.Regexp) string {
	s := strings.TrimSuffix(strings.TrimPrefix(re.String(), "^"), "$")
	if s == `\d*` {
		return `[\d]*`
	}
	return s
}

// duration returns DurationSeconds, def when absent.
func (v *validator) duration(p url.Values, minSec, maxSec int, def time.Duration) time.Duration {
	if !p.Has("DurationSeconds") {
		return def
	}
	raw := p.Get("DurationSeconds")
	n, err := strconv.Atoi(raw)
	switch {
	case err != nil:
		v.add(fmt.Sprintf("Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be an integer", raw))
	case n < minSec:
		v.add(fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", n, minSec))
	case n > maxSec:
		v.add(fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", n, maxSec))
	}
	return time.Duration(n) * time.Second
}

func (v *validator) err() *apiError {
	switch len(v.violations) {
	case 0:
		return nil
	case 1:
		return validationError("1 validation error detected: " + v.violations[0])
	default:
		return validationError(fmt.Sprintf("%d validation errors detected: %s", len(v.violations), strings.Join(v.violations, "; ")))
	}
}

func validationError(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationError", msg}
}

const (
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString returns n characters drawn uniformly from alphabet, which
// must be shorter than 256 characters.
func randomString(alphabet string, n int) string {
	// Reject bytes past the largest multiple of len(alphabet) to stay unbiased.
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(out) < n {
		rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// newRequestID returns a random UUID, the form of STS request IDs.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// jsonValid reports whether a policy is a JSON object, as IAM requires.
func jsonValid(policy string) bool {
	return json.Valid([]byte(policy)) && strings.HasPrefix(strings.TrimSpace(policy), "{")
}

// claims are the fields of a web identity token the server reports back.
type claims struct {
	sub, iss, aud string
	exp           *time.Time
}

// parseClaims reads a JWT's payload without verifying it; tokens that are
// not JWTs yield no claims, so tests may use any string.
func parseClaims(token string) claims {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return claims{}
	}
	var raw struct {
		Sub string          `json:"sub"`
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
		Exp *float64        `json:"exp"`
	}
	if json.Unmarshal(payload, &raw) != nil {
		return claims{}
	}
	c := claims{sub: raw.Sub, iss: raw.Iss}
	// "aud" is a string or a list of strings.
	var aud []string
	if json.Unmarshal(raw.Aud, &c.aud) != nil && json.Unmarshal(raw.Aud, &aud) == nil && len(aud) > 0 {
		c.aud = aud[0]
	}
	if raw.Exp != nil {
		exp := time.Unix(int64(*raw.Exp), 0)
		c.exp = &exp
	}
	return c
}

// The response shapes, element for element as real STS writes them.

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUserXML struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type assumeRoleResult struct {
	XMLName          xml.Name           `xml:"AssumeRoleResult"`
	SourceIdentity   string             `xml:"SourceIdentity,omitempty"`
	AssumedRoleUser  assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials      credentialsXML     `xml:"Credentials"`
	PackedPolicySize *int               `xml:"PackedPolicySize,omitempty"`
}

type assumeRoleWithWebIdentityResult struct {
	XMLName                     xml.Name           `xml:"AssumeRoleWithWebIdentityResult"`
	SubjectFromWebIdentityToken string             `xml:"SubjectFromWebIdentityToken"`
	Audience                    string             `xml:"Audience"`
	AssumedRoleUser             assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials                 credentialsXML     `xml:"Credentials"`
	Provider                    string             `xml:"Provider"`
	PackedPolicySize            *int               `xml:"PackedPolicySize,omitempty"`
}

type getSessionTokenResult struct {
	XMLName     xml.Name       `xml:"GetSessionTokenResult"`
	Credentials credentialsXML `xml:"Credentials"`
}

type getCallerIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type responseXML struct {
	XMLName          xml.Name
	Xmlns            string `xml:"xmlns,attr"`
	Result           any
	ResponseMetadata responseMetadata `xml:"ResponseMetadata"`
}

func wrapResult(action string, result any, requestID string) *responseXML {
	return &responseXML{
		XMLName:          xml.Name{Local: action + "Response"},
		Xmlns:            stsNamespace,
		Result:           result,
		ResponseMetadata: responseMetadata{RequestID: requestID},
	}
}

type errorResponseXML struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func (e *apiError) response(requestID string) *errorResponseXML {
	r := &errorResponseXML{Xmlns: stsNamespace, RequestID: requestID}
	r.Error.Type = "Sender"
	if e.status >= 500 {
		r.Error.Type = "Receiver"
	}
	r.Error.Code = e.code
	r.Error.Message = e.message
	return r
}

// lazyRegexp compiles expr on first use, so that programs which link this
// package without starting a server pay nothing for it at start-up.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
