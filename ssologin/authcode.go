package ssologin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/sessioncache/sessioncache/internal/loopback"
)

// redirectURIWithoutPort is the redirect URI the authorization code flow
// registers; the service accepts it with any port, as the AWS CLI relies on.
const redirectURIWithoutPort = "http://127.0.0.1/oauth/callback"

// authCodeTimeout is how long the flow waits for the browser to come
// back, as the AWS CLI.
var authCodeTimeout = 10 * time.Minute

// authCodeFlow runs the authorization code flow with PKCE: it listens on
// a loopback port, sends the user to the authorize page, and exchanges
// the code the browser brings back, with the verifier, for a token.
func (ts *TokenSource) authCodeFlow(ctx context.Context, client *ssooidc.Client, reg *registration) (*ssooidc.CreateTokenOutput, error) {
	base, err := authorizeBase(ctx, client)
	if err != nil {
		return nil, err
	}
	verifier := loopback.RandomString(64)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	state := loopback.RandomString(32)
	ln, err := loopback.Listen(state, ErrAccessDenied)
	if err != nil {
		return nil, fmt.Errorf("ssologin: %w", err)
	}
	defer ln.Close()
	redirectURI := ln.RedirectURI

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
	cb, err := ln.Wait(ctx)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("ssologin: %w: run `%s` again", ErrAuthorizationExpired, LoginCommand(ts.session.Profile))
		}
		return nil, fmt.Errorf("ssologin: wait for the sign-in: %w", err)
	}
	if cb.Err != nil {
		return nil, fmt.Errorf("ssologin: %w", cb.Err)
	}
	out, err := client.CreateToken(ctx, &ssooidc.CreateTokenInput{
		GrantType:    aws.String(grantAuthorizationCode),
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		RedirectUri:  aws.String(redirectURI),
		CodeVerifier: aws.String(verifier),
		Code:         aws.String(cb.Code),
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
