// Package loopback receives the redirect of a browser sign-in on a
// loopback port: the authorization code flows of IAM Identity Center and
// of `aws login` end there.
package loopback

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Result is what the browser brought back: a code, or the error the
// sign-in ended with.
type Result struct {
	Code string
	Err  error
}

// page is what the browser shows once it is redirected back.
const page = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>sessioncache</title></head>
<body><h1>%s</h1><p>You can close this window and return to the terminal.</p></body></html>
`

// Listener is a loopback HTTP server waiting for one redirect to
// /oauth/callback.
type Listener struct {
	// RedirectURI is http://127.0.0.1:PORT/oauth/callback.
	RedirectURI string

	srv  *http.Server
	done chan Result
}

// Listen starts a Listener on a free port of 127.0.0.1 for the sign-in
// whose state is state. denied is the error of a redirect with
// error=access_denied. The caller must Close it.
func Listen(state string, denied error) (*Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the sign-in redirect: %w", err)
	}
	l := &Listener{
		RedirectURI: fmt.Sprintf("http://127.0.0.1:%d/oauth/callback", ln.Addr().(*net.TCPAddr).Port),
		done:        make(chan Result, 1),
	}
	l.srv = &http.Server{Handler: Handler(state, denied, l.done), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	return l, nil
}

// Wait returns the first redirect that carries the state with a code or
// an error, or ctx's error.
func (l *Listener) Wait(ctx context.Context) (Result, error) {
	select {
	case r := <-l.done:
		return r, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Close stops the server.
func (l *Listener) Close() { _ = l.srv.Close() }

// Handler takes the first redirect that carries the expected state with a
// code or an error. Any other request (another path, another state or
// none, no code) is answered with an error page and the flow goes on
// waiting: a page the browser visits, or another local process, can send
// one, and it must not end a sign-in that is under way. Only the browser
// sent by the authorize page knows the state.
func Handler(state string, denied error, done chan<- Result) http.Handler {
	finish := func(r Result) {
		select {
		case done <- r:
		default:
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		switch {
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
			h.Set("Connection", "close")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, page, "Sign-in refused: this request does not belong to the sign-in under way")
		case q.Get("error") != "":
			fmt.Fprintf(w, page, "Sign-in failed")
			err := denied
			if q.Get("error") != "access_denied" {
				err = fmt.Errorf("the sign-in failed with %q", Truncate(q.Get("error"), 40))
			}
			finish(Result{Err: err})
		case q.Get("code") == "":
			h.Set("Connection", "close")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, page, "Sign-in failed: no authorization code")
		default:
			fmt.Fprintf(w, page, "Signed in")
			finish(Result{Code: q.Get("code")})
		}
	})
}

// RandomString returns n characters of the PKCE verifier alphabet.
func RandomString(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Truncate shortens s, from elsewhere, to n bytes for a message.
func Truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
