package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// AssumeRoleWithWebIdentityAPIClient is the part of the STS client that
// WebIdentityFetcher uses.
type AssumeRoleWithWebIdentityAPIClient interface {
	AssumeRoleWithWebIdentity(ctx context.Context, params *sts.AssumeRoleWithWebIdentityInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)
}

// WebIdentityOptions configure a WebIdentityFetcher. They mirror the
// profile settings, and the AWS_ROLE_SESSION_NAME variable, of the AWS CLI.
type WebIdentityOptions struct {
	// RoleSessionName is role_session_name or $AWS_ROLE_SESSION_NAME.
	// Default: a generated "sessioncache-<unix seconds>", which, as in
	// botocore, is not part of the cache key.
	RoleSessionName string
	// Duration is the session's length. Default: 0, which sends no
	// DurationSeconds, so STS applies its default of one hour as it does
	// for the AWS CLI.
	Duration time.Duration
	// Policy is an inline session policy (JSON). Default: none.
	Policy string
	// Profile names the profile in error messages. Default: none.
	Profile string
}

// WebIdentityFetcher assumes a role with STS AssumeRoleWithWebIdentity,
// sending the token an identity provider keeps in a file (as on EKS, in
// CI systems and with other OIDC federations). Use it with NewProvider.
//
// The entry has the key and the form of the AWS CLI's, so the CLI, boto3
// and Go programs share one role session per token file's role.
type WebIdentityFetcher struct {
	client    AssumeRoleWithWebIdentityAPIClient
	roleARN   string
	tokenFile string
	opts      WebIdentityOptions
	key       string
}

// NewWebIdentityFetcher returns a fetcher that assumes roleARN with the
// token in tokenFile. The file is read on every call to STS, never before,
// so that a token its provider renews is picked up and a cache hit needs
// no token at all.
func NewWebIdentityFetcher(client AssumeRoleWithWebIdentityAPIClient, roleARN, tokenFile string, optFns ...func(*WebIdentityOptions)) *WebIdentityFetcher {
	f := &WebIdentityFetcher{client: client, roleARN: roleARN, tokenFile: tokenFile}
	for _, fn := range optFns {
		fn(&f.opts)
	}
	f.key = AssumeRoleKey(AssumeRoleKeyInput{
		RoleARN:         roleARN,
		RoleSessionName: f.opts.RoleSessionName,
		DurationSeconds: int(f.opts.Duration / time.Second),
		Policy:          f.opts.Policy,
	})
	return f
}

// CacheKey returns the key the AWS CLI gives this role's entry.
func (f *WebIdentityFetcher) CacheKey() string { return f.key }

// invalidIdentityToken is the error STS gives for a token it could not
// validate, often because the identity provider was briefly unreachable.
const invalidIdentityToken = "InvalidIdentityToken"

// Fetch reads the token file and calls AssumeRoleWithWebIdentity. As the
// SDK's own provider does, it retries a token STS could not validate.
func (f *WebIdentityFetcher) Fetch(ctx context.Context) (*Entry, error) {
	token, err := f.readToken()
	if err != nil {
		return nil, err
	}
	req := stsRequest{sessionName: f.opts.RoleSessionName, duration: f.opts.Duration, profile: f.opts.Profile}
	in := &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(f.roleARN),
		RoleSessionName:  req.roleSessionName(),
		WebIdentityToken: aws.String(token),
		DurationSeconds:  req.durationSeconds(),
	}
	if f.opts.Policy != "" {
		in.Policy = aws.String(f.opts.Policy)
	}
	out, err := f.client.AssumeRoleWithWebIdentity(ctx, in, func(o *sts.Options) {
		o.Retryer = retry.AddWithErrorCodes(o.Retryer, invalidIdentityToken)
	})
	if err != nil {
		return nil, fmt.Errorf("sessioncache: assume role %s with web identity: %w", f.roleARN, f.explain(err))
	}
	if out.Credentials == nil {
		return nil, fmt.Errorf("sessioncache: assume role %s with web identity: the response holds no credentials", f.roleARN)
	}
	return stsEntry(out.Credentials, out.AssumedRoleUser, out.ResultMetadata), nil
}

// readToken reads the token as botocore and the SDK do: the whole file,
// as it is. Errors name the file, never its content.
func (f *WebIdentityFetcher) readToken() (string, error) {
	if f.tokenFile == "" {
		return "", fmt.Errorf("sessioncache: assume role %s with web identity: no web identity token file is set%s", f.roleARN, inProfile(f.opts.Profile))
	}
	b, err := os.ReadFile(f.tokenFile)
	if err != nil {
		return "", fmt.Errorf("sessioncache: read the web identity token file%s: %w", inProfile(f.opts.Profile), err)
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", fmt.Errorf("sessioncache: the web identity token file %s%s is empty", f.tokenFile, inProfile(f.opts.Profile))
	}
	return string(b), nil
}

// explain adds what to do to the errors of a token STS refuses.
func (f *WebIdentityFetcher) explain(err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.ErrorCode() {
	case "ExpiredTokenException", "ExpiredToken":
		return fmt.Errorf("%w (the token in %s has expired: whatever writes that file must renew it)", err, f.tokenFile)
	case invalidIdentityToken:
		return fmt.Errorf("%w (STS could not validate the token in %s against the role's identity provider)", err, f.tokenFile)
	}
	return err
}

// inProfile names a profile at the end of an error message.
func inProfile(profile string) string {
	if profile == "" {
		return ""
	}
	return " (profile " + profile + ")"
}

// webIdentityFetcher maps a web identity profile, or the environment's
// web identity, to a WebIdentityFetcher, with the options of
// config.WithWebIdentityRoleCredentialOptions applied as the SDK applies
// them.
func (r *resolver) webIdentityFetcher(cfg aws.Config, sc *config.SharedConfig) *WebIdentityFetcher {
	o := stscreds.WebIdentityRoleOptions{RoleARN: sc.RoleARN, RoleSessionName: sc.RoleSessionName}
	if r.webIdentityOpts != nil {
		r.webIdentityOpts(&o)
	}
	// The call is unsigned: the token is the credential.
	client := r.stsClient(cfg, aws.AnonymousCredentials{})
	return NewWebIdentityFetcher(client, o.RoleARN, sc.WebIdentityTokenFile, func(w *WebIdentityOptions) {
		w.RoleSessionName = o.RoleSessionName
		w.Duration = o.Duration
		w.Policy = aws.ToString(o.Policy)
		w.Profile = sc.Profile
	})
}
