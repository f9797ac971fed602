package sessioncache

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// GetSessionTokenAPIClient is the part of the STS client that
// SessionTokenFetcher uses.
type GetSessionTokenAPIClient interface {
	GetSessionToken(ctx context.Context, params *sts.GetSessionTokenInput, optFns ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error)
}

// SessionTokenOptions configure a SessionTokenFetcher.
type SessionTokenOptions struct {
	// TokenProvider gives the MFA code, and is asked again when STS
	// refuses a code, up to DefaultMFAAttempts codes; a code is never sent
	// twice. Default: DefaultTokenProvider.
	TokenProvider TokenProvider
	// Duration is the session's length, from 15 minutes to 36 hours.
	// Default: 0, which sends no DurationSeconds, so STS applies its
	// default of 12 hours.
	Duration time.Duration
	// Profile names the profile in error messages. Default: none.
	Profile string
}

// SessionTokenFetcher makes an MFA session with STS GetSessionToken: the
// long-term keys of an IAM user, plus one MFA code, give temporary
// credentials that carry the MFA for hours. Use it with NewProvider; the
// client must sign with the long-term keys.
//
// The AWS CLI has no such entry. SessionTokenFetcher keeps it in the same
// directory and form (Credentials only), under SessionTokenKey, which no
// botocore key can equal.
type SessionTokenFetcher struct {
	client      GetSessionTokenAPIClient
	accessKeyID string
	serial      string
	opts        SessionTokenOptions
	key         string
}

// NewSessionTokenFetcher returns a fetcher of MFA sessions for the
// long-term key accessKeyID (which client signs with) and the MFA device
// serialNumber (mfa_serial). The key ID is only part of the cache key, so
// that a rotated key never gets a session of the old one.
func NewSessionTokenFetcher(client GetSessionTokenAPIClient, accessKeyID, serialNumber string, optFns ...func(*SessionTokenOptions)) *SessionTokenFetcher {
	f := &SessionTokenFetcher{client: client, accessKeyID: accessKeyID, serial: serialNumber}
	for _, fn := range optFns {
		fn(&f.opts)
	}
	f.key = SessionTokenKey(SessionTokenKeyInput{
		AccessKeyID:     accessKeyID,
		SerialNumber:    serialNumber,
		DurationSeconds: int(f.opts.Duration / time.Second),
	})
	return f
}

// CacheKey returns the key of the session's entry.
func (f *SessionTokenFetcher) CacheKey() string { return f.key }

// Fetch calls GetSessionToken with an MFA code. As for AssumeRole, the SDK
// never resends a call that carries a code.
func (f *SessionTokenFetcher) Fetch(ctx context.Context) (*Entry, error) {
	return f.fetch(ctx, fetchOptions{})
}

func (f *SessionTokenFetcher) fetch(ctx context.Context, o fetchOptions) (*Entry, error) {
	req := stsRequest{duration: f.opts.Duration, serial: f.serial, tokenProvider: f.opts.TokenProvider, profile: f.opts.Profile}
	in := &sts.GetSessionTokenInput{DurationSeconds: req.durationSeconds()}
	var out *sts.GetSessionTokenOutput
	err := req.withMFA(ctx, o, func(serial, code *string, optFns ...func(*sts.Options)) error {
		in.SerialNumber, in.TokenCode = serial, code
		var err error
		out, err = f.client.GetSessionToken(ctx, in, optFns...)
		return err
	})
	if err != nil {
		// The AWS CLI makes no MFA session: only a code can help.
		err = withUnavailableHint(err, "set mfa_process in the profile, or run the program once in a terminal: the session is then cached for hours")
		return nil, fmt.Errorf("sessioncache: %s: %w", f.what(), err)
	}
	if out.Credentials == nil {
		return nil, fmt.Errorf("sessioncache: %s: the response holds no credentials", f.what())
	}
	e := stsEntry(out.Credentials, nil, out.ResultMetadata)
	e.Credentials.AccountID = accountFromARN(f.serial)
	return e, nil
}

func (f *SessionTokenFetcher) what() string {
	if f.serial == "" {
		return "get a session token"
	}
	return "get an MFA session for " + f.serial
}
