package ssologin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
)

// Polling of the device flow, as RFC 8628 and the AWS CLI: every interval
// seconds (5 when the service names none), 5 seconds more after each
// slow_down. Variables so that tests need not wait.
var (
	defaultInterval = 5 * time.Second
	slowDownDelay   = 5 * time.Second
)

// ErrAuthorizationExpired is wrapped when the user did not approve the
// sign-in before the device code or the authorization request expired.
var ErrAuthorizationExpired = errors.New("the sign-in was not approved in time")

// ErrAccessDenied is wrapped when the user, or the administrator's
// policy, denied the sign-in.
var ErrAccessDenied = errors.New("the sign-in was denied")

// deviceFlow runs the device authorization flow: it starts an
// authorization, shows the user the URL and code, and polls CreateToken
// until the user approves, denies, or the code expires.
func (ts *TokenSource) deviceFlow(ctx context.Context, client *ssooidc.Client, reg *registration) (*ssooidc.CreateTokenOutput, error) {
	da, err := client.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		StartUrl:     aws.String(ts.session.StartURL),
	})
	if err != nil {
		return nil, fmt.Errorf("ssologin: start the device authorization: %w", err)
	}
	interval := defaultInterval
	if da.Interval > 0 {
		interval = time.Duration(da.Interval) * time.Second
	}
	in := &ssooidc.CreateTokenInput{
		GrantType:    aws.String(grantDeviceCode),
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		DeviceCode:   da.DeviceCode,
	}
	// The client may be approved already; ask once before bothering the
	// user, as the AWS CLI does.
	for attempt := 0; ; attempt++ {
		out, err := client.CreateToken(ctx, in)
		var (
			pending *types.AuthorizationPendingException
			slow    *types.SlowDownException
			expired *types.ExpiredTokenException
			denied  *types.AccessDeniedException
		)
		switch {
		case err == nil:
			return out, nil
		case errors.As(err, &slow):
			interval += slowDownDelay
		case errors.As(err, &pending):
		case errors.As(err, &expired):
			return nil, fmt.Errorf("ssologin: %w: run `%s` again", ErrAuthorizationExpired, LoginCommand(ts.session.Profile))
		case errors.As(err, &denied):
			return nil, fmt.Errorf("ssologin: %w", ErrAccessDenied)
		default:
			return nil, fmt.Errorf("ssologin: get the SSO token: %w", err)
		}
		if attempt == 0 {
			ts.prompt(aws.ToString(da.VerificationUri), aws.ToString(da.VerificationUriComplete), aws.ToString(da.UserCode))
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("ssologin: wait for the sign-in: %w", ctx.Err())
		case <-t.C:
		}
	}
}
