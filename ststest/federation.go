package ststest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SigninTokenLifetime is how long a sign-in token can be used to log in.
const SigninTokenLifetime = 15 * time.Minute

// FederationRequest is a copy of one request a FederationServer received,
// without its secrets.
type FederationRequest struct {
	// Action is "getSigninToken" or "login".
	Action string
	// AccessKeyID is the sessionId of a getSigninToken request.
	AccessKeyID string
	// SessionDuration is the parameter as sent, "" when absent.
	SessionDuration string
	// Status is the HTTP status of the answer.
	Status int
}

// FederationServer is a local AWS sign-in federation endpoint
// (https://signin.aws.amazon.com/federation) for the credentials an STS
// Server issues. Its methods are safe for concurrent use.
//
// GET /federation?Action=getSigninToken&Session=JSON answers
// {"SigninToken": "..."} for role sessions and GetFederationToken
// sessions that the STS issued and that have not expired, as the real
// endpoint does. It answers 400 for credentials it does not know, for
// long-term keys and GetSessionToken sessions (which the console does not
// take), and for a SessionDuration (900-43200) with any session but a
// role assumed directly with an IAM user's long-term keys.
//
// GET /federation?Action=login&Issuer=...&Destination=...&SigninToken=...
// redirects to Destination when the token is one it gave out in the last
// SigninTokenLifetime, and answers 400 otherwise.
type FederationServer struct {
	// URL is the base URL, http://127.0.0.1:PORT; the endpoint is
	// URL + "/federation".
	URL string

	hs  *httptest.Server
	sts *Server

	mu       sync.Mutex
	tokens   map[string]signin
	requests []FederationRequest
	failures []federationFailure
}

type signin struct {
	arn     string
	expires time.Time
}

type federationFailure struct {
	n                 int
	status            int
	contentType, body string
}

// NewFederationServer starts a federation endpoint on 127.0.0.1 for the
// credentials sts issues, on sts's clock. The caller must call Close.
func NewFederationServer(sts *Server) *FederationServer {
	f := &FederationServer{sts: sts, tokens: make(map[string]signin)}
	f.hs = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	f.URL = f.hs.URL
	return f
}

// Close shuts the server down.
func (f *FederationServer) Close() { f.hs.Close() }

// Requests returns copies of the requests received, in order.
func (f *FederationServer) Requests() []FederationRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FederationRequest(nil), f.requests...)
}

// Calls reports how many requests of action the server answered.
func (f *FederationServer) Calls(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.Action == action {
			n++
		}
	}
	return n
}

// FailNext makes the next n requests answer status with body, of the
// given content type, such as an HTML error page.
func (f *FederationServer) FailNext(n, status int, contentType, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, federationFailure{n, status, contentType, body})
}

// SigninIdentity returns the ARN of the session a sign-in token was given
// for, and whether the token is one the server gave out.
func (f *FederationServer) SigninIdentity(token string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.tokens[token]
	return s.arn, ok
}

func (f *FederationServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rec := FederationRequest{Action: q.Get("Action"), SessionDuration: q.Get("SessionDuration")}
	status, contentType, body := f.answer(r, &rec)
	f.mu.Lock()
	rec.Status = status
	f.requests = append(f.requests, rec)
	f.mu.Unlock()
	if status == http.StatusFound {
		http.Redirect(w, r, body, status)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

func (f *FederationServer) answer(r *http.Request, rec *FederationRequest) (status int, contentType, body string) {
	f.mu.Lock()
	if len(f.failures) > 0 {
		fl := &f.failures[0]
		if fl.n--; fl.n == 0 {
			f.failures = f.failures[1:]
		}
		f.mu.Unlock()
		return fl.status, fl.contentType, fl.body
	}
	f.mu.Unlock()
	bad := func(msg string) (int, string, string) { return http.StatusBadRequest, "text/plain", msg }
	if r.URL.Path != "/federation" || r.Method != http.MethodGet {
		return http.StatusNotFound, "text/html", "<html><body>Not Found</body></html>"
	}
	q := r.URL.Query()
	switch rec.Action {
	case "getSigninToken":
		var s struct {
			ID    string `json:"sessionId"`
			Key   string `json:"sessionKey"`
			Token string `json:"sessionToken"`
		}
		if err := json.Unmarshal([]byte(q.Get("Session")), &s); err != nil || s.ID == "" || s.Key == "" {
			return bad("Invalid credentials parameter")
		}
		rec.AccessKeyID = s.ID
		arn, fromKeys, ok := f.sts.federationSession(s.ID, s.Key, s.Token)
		if !ok {
			return bad("Invalid credentials parameter")
		}
		expires := f.sts.clock().Add(SigninTokenLifetime)
		if d := q.Get("SessionDuration"); d != "" {
			sec, err := strconv.Atoi(d)
			if err != nil || sec < 900 || sec > 43200 {
				return bad("Invalid SessionDuration parameter")
			}
			if !fromKeys {
				// Chained and temporary sources may not set it.
				return bad("Invalid credentials parameter")
			}
		}
		token := randomString(base64Chars, 600)
		token = strings.NewReplacer("+", "-", "/", "_").Replace(token)
		f.mu.Lock()
		f.tokens[token] = signin{arn: arn, expires: expires}
		f.mu.Unlock()
		b, _ := json.Marshal(map[string]string{"SigninToken": token})
		return http.StatusOK, "application/json", string(b)
	case "login":
		f.mu.Lock()
		s, ok := f.tokens[q.Get("SigninToken")]
		f.mu.Unlock()
		if !ok || !f.sts.clock().Before(s.expires) || q.Get("Destination") == "" {
			return bad("Invalid SigninToken or Destination")
		}
		return http.StatusFound, "", q.Get("Destination")
	}
	return bad("Invalid Action")
}

// federationSession looks up credentials the server issued and reports
// the ARN of their session, whether it is a role assumed with long-term
// keys, and whether the console takes it at all.
func (s *Server) federationSession(akid, secret, token string) (arn string, fromKeys, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, found := s.sessions[akid]
	if !found || subtle.ConstantTimeCompare([]byte(secret), []byte(sess.secret)) != 1 ||
		subtle.ConstantTimeCompare([]byte(token), []byte(sess.sessionToken)) != 1 ||
		!s.now().Before(sess.expiration) {
		return "", false, false
	}
	arn = sess.identity.arn
	if !strings.Contains(arn, ":assumed-role/") && !strings.Contains(arn, ":federated-user/") {
		// A GetSessionToken session.
		return "", false, false
	}
	return arn, sess.fromKeys, true
}

// clock returns the server's now.
func (s *Server) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}
