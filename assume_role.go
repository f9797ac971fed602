package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/sessioncache/sessioncache/internal/tty"
)

// AssumeRoleAPIClient is the part of the STS client that
// AssumeRoleFetcher uses.
type AssumeRoleAPIClient interface {
	AssumeRole(ctx context.Context, params *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// DefaultMFAAttempts is how many codes a TokenProvider is asked for
// before a refused code is final.
const DefaultMFAAttempts = 3

// AssumeRoleOptions configure an AssumeRoleFetcher. They mirror the
// profile settings of the AWS CLI.
type AssumeRoleOptions struct {
	// RoleSessionName is role_session_name. Default: a generated
	// "sessioncache-<unix seconds>", which, as in botocore, is not part of
	// the cache key.
	RoleSessionName string
	// ExternalID is external_id. Default: none.
	ExternalID string
	// SerialNumber is mfa_serial. Default: none, no MFA.
	SerialNumber string
	// TokenProvider gives the MFA code when SerialNumber is set, and is
	// asked again when STS refuses a code, up to DefaultMFAAttempts codes;
	// a code is never sent twice. Default: DefaultTokenProvider.
	TokenProvider TokenProvider
	// Duration is duration_seconds. Default: 0, which sends no
	// DurationSeconds, so STS applies its default of one hour as it does
	// for the AWS CLI.
	Duration time.Duration
	// Policy is an inline session policy (JSON). Default: none.
	Policy string
	// Profile names the profile in error messages. Default: none.
	Profile string
}

// AssumeRoleFetcher assumes a role with STS AssumeRole, prompting for an
// MFA code when the role needs one. Use it with NewProvider.
type AssumeRoleFetcher struct {
	client  AssumeRoleAPIClient
	roleARN string
	opts    AssumeRoleOptions
	key     string
}

// NewAssumeRoleFetcher returns a fetcher that assumes roleARN with client.
func NewAssumeRoleFetcher(client AssumeRoleAPIClient, roleARN string, optFns ...func(*AssumeRoleOptions)) *AssumeRoleFetcher {
	f := &AssumeRoleFetcher{client: client, roleARN: roleARN}
	for _, fn := range optFns {
		fn(&f.opts)
	}
	f.key = AssumeRoleKey(AssumeRoleKeyInput{
		RoleARN:         roleARN,
		RoleSessionName: f.opts.RoleSessionName,
		ExternalID:      f.opts.ExternalID,
		SerialNumber:    f.opts.SerialNumber,
		DurationSeconds: int(f.opts.Duration / time.Second),
		Policy:          f.opts.Policy,
	})
	return f
}

// CacheKey returns the key the AWS CLI gives this role's entry.
func (f *AssumeRoleFetcher) CacheKey() string { return f.key }

// Fetch calls AssumeRole. A call that carries an MFA code is never retried
// by the SDK: STS refuses a code used twice, so a resent request would
// fail and could lock the device.
func (f *AssumeRoleFetcher) Fetch(ctx context.Context) (*Entry, error) {
	in := &sts.AssumeRoleInput{RoleArn: aws.String(f.roleARN)}
	in.RoleSessionName = aws.String(f.opts.RoleSessionName)
	if f.opts.RoleSessionName == "" {
		in.RoleSessionName = aws.String(defaultSessionName())
	}
	if f.opts.ExternalID != "" {
		in.ExternalId = aws.String(f.opts.ExternalID)
	}
	if f.opts.Duration != 0 {
		in.DurationSeconds = aws.Int32(int32(f.opts.Duration / time.Second))
	}
	if f.opts.Policy != "" {
		in.Policy = aws.String(f.opts.Policy)
	}
	var out *sts.AssumeRoleOutput
	err := withMFA(ctx, f.opts.SerialNumber, f.opts.TokenProvider, f.opts.Profile, func(code string, optFns ...func(*sts.Options)) error {
		if code != "" {
			in.SerialNumber = aws.String(f.opts.SerialNumber)
			in.TokenCode = aws.String(code)
		}
		var err error
		out, err = f.client.AssumeRole(ctx, in, optFns...)
		return err
	})
	if err != nil {
		if f.opts.Profile != "" {
			// The AWS CLI caches roles under the same key.
			err = withUnavailableHint(err, "run `aws sts get-caller-identity --profile "+f.opts.Profile+"` in a terminal to refresh the cache, or pass the code")
		}
		return nil, fmt.Errorf("sessioncache: assume role %s: %w", f.roleARN, err)
	}
	if out.Credentials == nil {
		return nil, fmt.Errorf("sessioncache: assume role %s: the response holds no credentials", f.roleARN)
	}
	return stsEntry(out.Credentials, out.AssumedRoleUser, out.ResultMetadata), nil
}

// stsEntry makes the entry of an STS response, with the account of the
// role session when there is one.
func stsEntry(c *types.Credentials, u *types.AssumedRoleUser, md middleware.Metadata) *Entry {
	e := &Entry{Credentials: EntryCredentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Expiration:      aws.ToTime(c.Expiration).UTC(),
	}}
	if u != nil {
		e.AssumedRoleUser = &AssumedRoleUser{AssumedRoleID: aws.ToString(u.AssumedRoleId), ARN: aws.ToString(u.Arn)}
		e.Credentials.AccountID = accountFromARN(aws.ToString(u.Arn))
	}
	e.RequestID, _ = awsmiddleware.GetRequestIDMetadata(md)
	return e
}

// noRetry keeps the SDK from resending a request that carries a one-time
// MFA code, after a timeout or a server error alike.
func noRetry(o *sts.Options) {
	o.Retryer = aws.NopRetryer{}
	o.RetryMaxAttempts = 1
}

// defaultSessionName names a role session when the profile does not; as
// in botocore, the name is not part of the cache key.
func defaultSessionName() string {
	return "sessioncache-" + strconv.FormatInt(timeNow().Unix(), 10)
}

// withMFA runs call with an MFA code when serial is set: it asks tp
// (DefaultTokenProvider when nil) for a code, checks its form, and, when
// STS refuses the code, asks the same source again, up to
// DefaultMFAAttempts codes in all. A code is never sent twice: a source
// that gives a refused code again ends the attempts. A call that carries
// a code gets the option that keeps the SDK from resending it.
func withMFA(ctx context.Context, serial string, tp TokenProvider, profile string, call func(code string, optFns ...func(*sts.Options)) error) error {
	if serial == "" {
		return explainSTSError(call(""), serial, profile)
	}
	setLockNote(ctx, "waiting for an MFA code for "+serial)
	if tp == nil {
		tp = DefaultTokenProvider
	}
	var refused error // why the last code was not accepted
	sent := make(map[string]bool)
	for attempt := 1; ; attempt++ {
		code, err := tp(ctx, serial)
		if err != nil {
			if refused != nil && !errors.Is(err, ErrMFAPromptInterrupted) && ctx.Err() == nil {
				// Nothing more to try: the refusal says what happened.
				return refused
			}
			return err
		}
		code = strings.TrimSpace(code)
		last := attempt >= DefaultMFAAttempts
		switch {
		case !ValidMFACode(code):
			refused = &InvalidMFACodeError{Serial: serial}
			if last {
				return refused
			}
			tty.Tell("That is not a 6-digit code. Try again.")
			continue
		case sent[code]:
			return refused
		}
		sent[code] = true
		err = call(code, noRetry)
		if !isInvalidMFACode(err) {
			return explainSTSError(err, serial, profile)
		}
		refused = explainSTSError(err, serial, profile)
		if last {
			return refused
		}
		tty.Tell("STS did not accept that code. Wait for the next one and try again.")
	}
}

// withUnavailableHint adds hint to an error that says no MFA code could
// be had.
func withUnavailableHint(err error, hint string) error {
	var unavailable *MFACodeUnavailableError
	if hint == "" || !errors.As(err, &unavailable) {
		return err
	}
	return fmt.Errorf("%w; %s", err, hint)
}

func isInvalidMFACode(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied" &&
		strings.Contains(ae.ErrorMessage(), "invalid MFA one time pass code")
}

// explainSTSError adds what to do to the STS errors people meet most.
func explainSTSError(err error, serial, profile string) error {
	var ae smithy.APIError
	if err == nil || !errors.As(err, &ae) {
		return err
	}
	switch {
	case isInvalidMFACode(err):
		// STS's status line and request id help no one here.
		return &MFACodeRefusedError{Serial: serial, Err: err}
	case strings.Contains(ae.ErrorMessage(), "unable to validate MFA code"):
		return fmt.Errorf("%w (check that mfa_serial %q is the ARN of your MFA device)", err, serial)
	case ae.ErrorCode() == "ExpiredToken" || ae.ErrorCode() == "ExpiredTokenException":
		return fmt.Errorf("%w (the credentials used to call STS have expired: stale AWS_* environment variables or an old source profile session are the usual cause)", err)
	case ae.ErrorCode() == "InvalidClientTokenId" || ae.ErrorCode() == "SignatureDoesNotMatch":
		return fmt.Errorf("%w (the source credentials were refused: check the keys of the source profile%s)", err, forProfile(profile))
	}
	return err
}

func forProfile(profile string) string {
	if profile == "" {
		return ""
	}
	return " of " + profile
}

// accountFromARN returns the account of an ARN such as
// arn:aws:sts::123456789012:assumed-role/admin/name.
func accountFromARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
