package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/sessioncache/sessioncache/internal/tty"
)

// DefaultMFAAttempts is how many codes a TokenProvider is asked for
// before a refused code is final.
const DefaultMFAAttempts = 3

// fetchOptions is what a Provider tells the fetcher of one fetch, passed
// to it explicitly.
type fetchOptions struct {
	// note tells the processes waiting for the entry's lock what the
	// fetch does now; nil when no lock is held.
	note func(doing string)
}

// setNote is o.note, when there is one.
func (o fetchOptions) setNote(doing string) {
	if o.note != nil {
		o.note(doing)
	}
}

// optionsFetcher is a Fetcher of this package: the Provider gives it its
// fetchOptions.
type optionsFetcher interface {
	fetch(ctx context.Context, o fetchOptions) (*Entry, error)
}

// fetchWith calls f with o when f takes options.
func fetchWith(ctx context.Context, f Fetcher, o fetchOptions) (*Entry, error) {
	if of, ok := f.(optionsFetcher); ok {
		return of.fetch(ctx, o)
	}
	return f.Fetch(ctx)
}

// stsRequest is what STS calls share, shaped here once: the role
// session's name, the duration, and the MFA device with its code.
type stsRequest struct {
	// sessionName is role_session_name; empty for a generated one.
	sessionName string
	// duration is duration_seconds; 0 sends none, so STS applies its
	// default as it does for the AWS CLI.
	duration time.Duration
	// serial is mfa_serial; empty for no MFA.
	serial string
	// tokenProvider gives the codes; nil for DefaultTokenProvider.
	tokenProvider TokenProvider
	// profile names the profile in messages.
	profile string
}

// roleSessionName is the RoleSessionName to send: the profile's, or a
// generated "sessioncache-<unix seconds>", which, as in botocore, is not
// part of the cache key.
func (r stsRequest) roleSessionName() *string {
	if r.sessionName != "" {
		return aws.String(r.sessionName)
	}
	return aws.String("sessioncache-" + strconv.FormatInt(timeNow().Unix(), 10))
}

// durationSeconds is the DurationSeconds to send, nil for STS's default.
func (r stsRequest) durationSeconds() *int32 {
	if r.duration == 0 {
		return nil
	}
	return aws.Int32(int32(r.duration / time.Second))
}

// withMFA runs call, with the MFA device and a code when the request has
// a device: it asks the token provider for a code, checks its form, and,
// when STS refuses the code, asks the same source again, up to
// DefaultMFAAttempts codes in all. A code is never sent twice: a source
// that gives a refused code again ends the attempts. A call that carries
// a code gets the option that keeps the SDK from resending it.
func (r stsRequest) withMFA(ctx context.Context, o fetchOptions, call func(serial, code *string, optFns ...func(*sts.Options)) error) error {
	if r.serial == "" {
		return explainSTSError(call(nil, nil), r.serial, r.profile)
	}
	o.setNote("waiting for an MFA code for " + r.serial)
	tp := r.tokenProvider
	if tp == nil {
		tp = DefaultTokenProvider
	}
	var refused error // why the last code was not accepted
	sent := make(map[string]bool)
	for attempt := 1; ; attempt++ {
		code, err := tp(ctx, r.serial)
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
			refused = &InvalidMFACodeError{Serial: r.serial}
			if last {
				return refused
			}
			tty.Tell("That is not a 6-digit code. Try again.")
			continue
		case sent[code]:
			return refused
		}
		sent[code] = true
		err = call(aws.String(r.serial), aws.String(code), noRetry)
		if !isInvalidMFACode(err) {
			return explainSTSError(err, r.serial, r.profile)
		}
		refused = explainSTSError(err, r.serial, r.profile)
		if last {
			return refused
		}
		tty.Tell("STS did not accept that code. Wait for the next one and try again.")
	}
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

// logCalls returns the API option that logs, at debug level, each call a
// client makes to STS or the SSO portal, retries included: the operation
// and what it is about (the role, the MFA device, the account), never a
// code, token or key.
func logCalls(logger *slog.Logger) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("sessioncache.LogCall",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if logger.Enabled(ctx, slog.LevelDebug) {
					logger.Debug("calling "+middleware.GetServiceID(ctx), append([]any{"operation", middleware.GetOperationName(ctx)}, callAttrs(in.Parameters)...)...)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

// callAttrs are the attributes of a call's input that say what it is
// about; the secrets it carries (TokenCode, WebIdentityToken,
// AccessToken) are left out.
func callAttrs(params any) []any {
	switch in := params.(type) {
	case *sts.AssumeRoleInput:
		attrs := []any{"role_arn", aws.ToString(in.RoleArn), "role_session_name", aws.ToString(in.RoleSessionName)}
		if in.SerialNumber != nil {
			attrs = append(attrs, "mfa_serial", aws.ToString(in.SerialNumber))
		}
		return attrs
	case *sts.AssumeRoleWithWebIdentityInput:
		return []any{"role_arn", aws.ToString(in.RoleArn), "role_session_name", aws.ToString(in.RoleSessionName)}
	case *sts.GetSessionTokenInput:
		return []any{"mfa_serial", aws.ToString(in.SerialNumber)}
	case *sso.GetRoleCredentialsInput:
		return []any{"account", aws.ToString(in.AccountId), "role_name", aws.ToString(in.RoleName)}
	}
	return nil
}
