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

// refresh exchanges t's refresh token for a new access token and writes
// the file once; the caller holds the lock. A refresh token is single
// use: when it is refused, another tool that does not take the lock may
// have used it and written a new token, which is then returned.
func (ts *TokenSource) refresh(ctx context.Context, t *Token, now time.Time) (*Token, error) {
	out, err := ts.client().CreateToken(ctx, &ssooidc.CreateTokenInput{
		GrantType:    aws.String(grantRefreshToken),
		ClientId:     aws.String(t.ClientID),
		ClientSecret: aws.String(t.ClientSecret),
		RefreshToken: aws.String(t.RefreshToken),
	}, func(o *ssooidc.Options) {
		// A refresh token is single use: a retry after a lost answer
		// would send a spent one, and lose the session.
		o.Retryer = aws.NopRetryer{}
	})
	if err != nil {
		var ig *types.InvalidGrantException
		if errors.As(err, &ig) {
			if again, rerr := ts.readToken(); rerr == nil && again.AccessToken != t.AccessToken && !again.ExpiresWithin(timeNow(), minValidity) {
				return again, nil
			}
		}
		return nil, fmt.Errorf("ssologin: refresh the SSO token: %w", err)
	}
	nt := *t
	if err := ts.setCreated(&nt, out, now); err != nil {
		return nil, err
	}
	if err := WriteToken(ts.Path(), &nt); err != nil {
		return nil, err
	}
	ts.debug("SSO token refreshed", "expires", nt.ExpiresAt)
	return &nt, nil
}
