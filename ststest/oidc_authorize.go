package ststest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// authorize is the page the authorization code flow sends the browser to.
func (s *OIDCServer) authorize(w http.ResponseWriter, r *http.Request) {
	serveAuthorize(w, r, &s.mu, &s.book, s.authorizeLocked)
}

// serveAuthorize answers an authorize page: decide, called with mu held,
// returns where to redirect the browser, or the error to show it. The
// request is recorded in book.
func serveAuthorize(w http.ResponseWriter, r *http.Request, mu *sync.Mutex, book *ledger, decide func(url.Values) (string, *apiError)) {
	q := r.URL.Query()
	mu.Lock()
	target, apiErr := decide(q)
	rec := Request{Action: "Authorize", Params: url.Values{"clientId": {q.Get("client_id")}, "redirectUri": {q.Get("redirect_uri")}}}
	if apiErr != nil {
		rec.ErrorCode = apiErr.code
	}
	book.record(rec)
	mu.Unlock()
	if apiErr != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(apiErr.status)
		fmt.Fprintln(w, apiErr.message)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

func (s *OIDCServer) authorizeLocked(q url.Values) (string, *apiError) {
	if err := s.book.nextFailure(); err != nil {
		return "", err
	}
	c, ok := s.clients[q.Get("client_id")]
	if !ok || !s.opts.Now().Before(c.expires) {
		return "", &apiError{http.StatusBadRequest, "InvalidClientException", "unknown or expired client_id"}
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !registeredRedirect(c.redirectURIs, redirect) {
		return "", &apiError{http.StatusBadRequest, "InvalidRedirectUriException", "redirect_uri was not registered"}
	}
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
		return "", &apiError{http.StatusBadRequest, "InvalidRequestException", "response_type=code, state, code_challenge and code_challenge_method=S256 are required"}
	}
	v := url.Values{"state": {q.Get("state")}}
	switch {
	case s.opts.Deny:
		v.Set("error", "access_denied")
	case s.opts.AutoApprove:
		code := randomString(alnum, 40)
		s.codes[code] = &authRequest{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), expires: s.opts.Now().Add(s.opts.AuthorizationDuration)}
		v.Set("code", code)
	default:
		return "", &apiError{http.StatusForbidden, "AccessDeniedException", "this test server approves sign-ins only with AutoApprove"}
	}
	redirect.RawQuery = v.Encode()
	return redirect.String(), nil
}

// registeredRedirect reports whether u is one of the registered redirect
// URIs, on any port of a loopback host, as the service allows.
func registeredRedirect(registered []string, u *url.URL) bool {
	for _, r := range registered {
		ru, err := url.Parse(r)
		if err != nil {
			continue
		}
		if ru.Scheme == u.Scheme && ru.Hostname() == u.Hostname() && ru.Path == u.Path && (ru.Port() == u.Port() || isLoopback(u.Hostname())) {
			return true
		}
	}
	return false
}

func isLoopback(host string) bool {
	return host == "127.0.0.1" || host == "localhost" || strings.HasPrefix(host, "[::1")
}
