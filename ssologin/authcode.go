package ssologin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
)

// redirectURIWithoutPort is the redirect URI the authorization code flow
// registers; the service accepts it with any port, as the AWS CLI relies on.
const redirectURIWithoutPort = "http://127.0.0.1/oauth/callback"

// authCodeTimeout is how long the flow waits for the browser to come
// back, as the AWS CLI.
var authCodeTimeout = 10 * time.Minute

// callbackPage is what the browser shows once it is redirected back.
const callbackPage = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>sessioncache</title></head>
<body><h1>%s</h1><p>You can close this window and return to the terminal.</p></body></html>
`

type callback struct {
	code string
	err  error
}

// authCodeFlow runs the authorization code flow with PKCE: it listens on
// a loopback port, sends the user to the authorize page, and exchanges
// the code the browser brings back, with the verifier, for a token.
func (ts *TokenSource) authCodeFlow(ctx context.Context, client *ssooidc.Client, reg *registration) (*ssooidc.CreateTokenOutput, error) {
	base, err := authorizeBase(ctx, client)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ssologin: listen for the sign-in redirect: %w", err)
	}
	redirectURI := fmt.Sprintf("http://127.0.0.1:%d/oauth/callback", ln.Addr().(*net.TCPAddr).Port)
	verifier := randomString(64)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	state := randomString(32)

	done := make(chan callback, 1)
	srv := &http.Server{
		Handler:           callbackHandler(state, done),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	scopes := reg.Scopes
	if len(scopes) == 0 {
		scopes = []string{defaultScope}
	}
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {reg.ClientID},
		"redirect_uri":          {redirectURI},
		"state":                 {state},
		"code_challenge_method": {"S256"},
		"scopes":                {strings.Join(scopes, " ")},
	}
	authorizeURL := base + "/authorize?" + q.Encode() + "&code_challenge=" + challenge
	ts.prompt(authorizeURL, authorizeURL, "")

	ctx, cancel := context.WithTimeout(ctx, authCodeTimeout)
	defer cancel()
	var cb callback
	select {
	case cb = <-done:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("ssologin: %w: run `%s` again", ErrAuthorizationExpired, LoginCommand(ts.session.Profile))
		}
		return nil, fmt.Errorf("ssologin: wait for the sign-in: %w", ctx.Err())
	}
	if cb.err != nil {
		return nil, cb.err
	}
	out, err := client.CreateToken(ctx, &ssooidc.CreateTokenInput{
		GrantType:    aws.String(grantAuthorizationCode),
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		RedirectUri:  aws.String(redirectURI),
		CodeVerifier: aws.String(verifier),
		Code:         aws.String(cb.code),
	})
	if err != nil {
		var expired *types.ExpiredTokenException
		if errors.As(err, &expired) {
			return nil, fmt.Errorf("ssologin: %w: run `%s` again", ErrAuthorizationExpired, LoginCommand(ts.session.Profile))
		}
		return nil, fmt.Errorf("ssologin: get the SSO token: %w", err)
	}
	return out, nil
}

// callbackHandler takes the first redirect that carries the expected
// state with a code or an error. Any other request (another path, another
// state or none, no code) is answered with an error page and the flow
// goes on waiting: a page the browser visits, or another local process,
// can send one, and it must not end a sign-in that is under way. Only the
// browser sent by the authorize page knows the state.
func callbackHandler(state string, done chan<- callback) http.Handler {
	finish := func(cb callback) {
		select {
		case done <- cb:
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
			fmt.Fprintf(w, callbackPage, "Sign-in refused: this request does not belong to the sign-in under way")
		case q.Get("error") != "":
			fmt.Fprintf(w, callbackPage, "Sign-in failed")
			err := ErrAccessDenied
			if q.Get("error") != "access_denied" {
				err = fmt.Errorf("the sign-in failed with %q", truncate(q.Get("error"), 40))
			}
			finish(callback{err: fmt.Errorf("ssologin: %w", err)})
		case q.Get("code") == "":
			h.Set("Connection", "close")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, callbackPage, "Sign-in failed: no authorization code")
		default:
			fmt.Fprintf(w, callbackPage, "Signed in")
			finish(callback{code: q.Get("code")})
		}
	})
}

// authorizeBase returns the scheme and host of the SSO OIDC endpoint the
// client resolves, to which the unmodelled /authorize path is added; it
// follows AWS_ENDPOINT_URL_SSO_OIDC as the client does.
func authorizeBase(ctx context.Context, client *ssooidc.Client) (string, error) {
	o := client.Options()
	ep, err := o.EndpointResolverV2.ResolveEndpoint(ctx, ssooidc.EndpointParameters{
		Region:       aws.String(o.Region),
		Endpoint:     o.BaseEndpoint,
		UseFIPS:      aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack: aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
	})
	if err != nil {
		return "", fmt.Errorf("ssologin: resolve the SSO OIDC endpoint: %w", err)
	}
	return ep.URI.Scheme + "://" + ep.URI.Host, nil
}

// randomString returns n characters of the PKCE verifier alphabet.
func randomString(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
