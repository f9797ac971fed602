package sessioncache

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// AssumeRoleAPIClient is the part of the STS client that
// AssumeRoleFetcher uses.
type AssumeRoleAPIClient interface {
	AssumeRole(ctx context.Context, params *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

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
	return f.fetch(ctx, fetchOptions{})
}

func (f *AssumeRoleFetcher) fetch(ctx context.Context, o fetchOptions) (*Entry, error) {
	req := stsRequest{sessionName: f.opts.RoleSessionName, duration: f.opts.Duration, serial: f.opts.SerialNumber, tokenProvider: f.opts.TokenProvider, profile: f.opts.Profile}
	in := &sts.AssumeRoleInput{RoleArn: aws.String(f.roleARN), RoleSessionName: req.roleSessionName(), DurationSeconds: req.durationSeconds()}
	if f.opts.ExternalID != "" {
		in.ExternalId = aws.String(f.opts.ExternalID)
	}
	if f.opts.Policy != "" {
		in.Policy = aws.String(f.opts.Policy)
	}
	var out *sts.AssumeRoleOutput
	err := req.withMFA(ctx, o, func(serial, code *string, optFns ...func(*sts.Options)) error {
		in.SerialNumber, in.TokenCode = serial, code
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

// assumeRoleOptions maps a profile's settings to AssumeRole's, as the AWS
// CLI does.
func (r *resolver) assumeRoleOptions(sc *config.SharedConfig) func(*AssumeRoleOptions) {
	duration := r.duration
	if sc.RoleDurationSeconds != nil {
		duration = *sc.RoleDurationSeconds
	}
	return func(o *AssumeRoleOptions) {
		o.RoleSessionName = sc.RoleSessionName
		o.ExternalID = sc.ExternalID
		o.SerialNumber = sc.MFASerial
		o.TokenProvider = r.tokenProviderFor(sc)
		o.Duration = duration
		o.Profile = sc.Profile
	}
}

// tokenProviderFor returns the TokenProvider of sc's MFA code: the
// Loader's, else DefaultTokenProvider, told the mfa_process of sc or of
// the nearest source profile that sets one. The files are read only when
// a code is needed.
func (r *resolver) tokenProviderFor(sc *config.SharedConfig) TokenProvider {
	tp := r.tokenProvider
	if tp == nil {
		tp = DefaultTokenProvider
	}
	return func(ctx context.Context, serial string) (string, error) {
		env, err := config.NewEnvConfig()
		if err != nil {
			return "", err
		}
		var files config.LoadSharedConfigOptions
		sharedFiles(r.loadOptions, &env)(&files)
		for s := sc; s != nil; s = s.Source {
			var serr error
			p := profileMFAProcess(s.Profile, func(key string) string {
				v, err := profileSetting(files.ConfigFiles, s.Profile, key)
				serr = cmp.Or(serr, err)
				return v
			})
			if serr != nil {
				return "", serr
			}
			if p.command != "" {
				ctx = withMFAProcess(ctx, p)
				break
			}
		}
		return tp(ctx, serial)
	}
}
