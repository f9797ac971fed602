package loginsession

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/sessioncache/sessioncache/internal/loopback"
)

// ErrAccessDenied is returned when the user declines the sign-in.
var ErrAccessDenied = errors.New("the sign-in was denied")

// SignInOptions configures SignIn.
type SignInOptions struct {
	// Client calls the token endpoint; its Endpoint also serves
	// /v1/authorize.
	Client *Client
	// ClientID defaults to SameDeviceClientID.
	ClientID string
	// Open opens the browser on a URL; nil only tells the URL.
	Open func(url string) error
	// Output is told where to sign in. Default io.Discard.
	Output io.Writer
	// Timeout bounds the wait for the browser. Default ten minutes.
	Timeout time.Duration
}

// SignIn signs in as `aws login` does: the authorization code flow with
// PKCE (code_challenge_method=SHA-256), a redirect to a loopback port,
// and a code exchange proved with a new P-256 key, which becomes the
// token's dpopKey. It returns the token and the session's ARN, the
// idToken's subject, by which the token file is named. A redirect with
// another state is refused and gets no code exchange.
func SignIn(ctx context.Context, o SignInOptions) (*Token, string, error) {
	if o.ClientID == "" {
		o.ClientID = SameDeviceClientID
	}
	if o.Output == nil {
		o.Output = io.Discard
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	verifier := loopback.RandomString(64)
	sum := sha256.Sum256([]byte(verifier))
	state, err := uuid4()
	if err != nil {
		return nil, "", err
	}
	ln, err := loopback.Listen(state, ErrAccessDenied)
	if err != nil {
		return nil, "", fmt.Errorf("loginsession: %w", err)
	}
	defer ln.Close()
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {o.ClientID},
		"state":                 {state},
		"code_challenge_method": {"SHA-256"},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"scope":                 {"openid"},
		"redirect_uri":          {ln.RedirectURI},
	}
	authorize := o.Client.Endpoint + "/v1/authorize?" + q.Encode()
	if o.Open == nil {
		fmt.Fprintf(o.Output, "Browser will not be automatically opened.\nPlease visit the following URL:\n\n%s\n\n", authorize)
	} else {
		fmt.Fprintf(o.Output, "Attempting to open your default browser. If the browser does not open, open the following URL:\n\n%s\n\n", authorize)
		_ = o.Open(authorize)
	}
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	res, err := ln.Wait(wctx)
	if err != nil {
		return nil, "", fmt.Errorf("loginsession: wait for the browser sign-in: %w", err)
	}
	if res.Err != nil {
		return nil, "", fmt.Errorf("loginsession: %w", res.Err)
	}
	key, pemKey, err := NewKey()
	if err != nil {
		return nil, "", err
	}
	tok, session, err := o.Client.Exchange(ctx, key, pemKey, o.ClientID, res.Code, verifier, ln.RedirectURI)
	if err != nil {
		return nil, "", fmt.Errorf("loginsession: exchange the authorization code: %w", err)
	}
	return tok, session, nil
}
