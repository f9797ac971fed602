package ststest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/sso/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/sessioncache/sessioncache/ststest"
)

const (
	roleARN   = "arn:aws:iam::123456789012:role/admin"
	mfaSerial = "arn:aws:iam::123456789012:mfa/alice"
	mfaFailed = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
)

// start is a fixed instant with a fraction of a second, so tests see the
// server drop it from expirations.
var start = time.Date(2026, 11, 28, 20, 0, 0, 500_000_000, time.UTC)

// clock is a movable clock for Options.Now; the server reads it from its
// own goroutines.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func newServer(t *testing.T, optFns ...func(*ststest.Options)) *ststest.Server {
	t.Helper()
	srv := ststest.NewServer(optFns...)
	t.Cleanup(srv.Close)
	return srv
}

func withClock(c *clock) func(*ststest.Options) {
	return func(o *ststest.Options) { o.Now = c.Now }
}

var userCreds = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")

// newClient returns the real SDK client for srv. Retries happen without
// delay; attempts caps them (0: the SDK's default).
func newClient(srv *ststest.Server, creds aws.CredentialsProvider, attempts int) *sts.Client {
	return sts.New(sts.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      creds,
		RetryMaxAttempts: attempts,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			o.RateLimiter = ratelimit.None
		}),
	})
}

func sessionCreds(c *types.Credentials) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

// apiError returns the API error in err and the HTTP status it came with.
func apiError(t *testing.T, err error) (smithy.APIError, int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not a smithy.APIError", err)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	return ae, re.HTTPStatusCode()
}

// wantAPIError fails unless err is the API error code with HTTP status.
func wantAPIError(t *testing.T, err error, code string, status int) smithy.APIError {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	ae, got := apiError(t, err)
	if ae.ErrorCode() != code || got != status {
		t.Fatalf("got %s (HTTP %d): %s; want %s (HTTP %d)", ae.ErrorCode(), got, ae.ErrorMessage(), code, status)
	}
	return ae
}

func TestAssumeRole(t *testing.T) {
	clk := newClock(start)
	srv := newServer(t, withClock(clk))
	client := newClient(srv, userCreds, 0)

	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String(roleARN),
		RoleSessionName: aws.String("alice"),
		ExternalId:      aws.String("ext-id"),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if id := aws.ToString(c.AccessKeyId); len(id) != 20 || !strings.HasPrefix(id, "ASIA") {
		t.Errorf("AccessKeyId = %q, want ASIA and 16 characters", id)
	}
	if len(aws.ToString(c.SecretAccessKey)) != 40 {
		t.Errorf("secret access key is %d characters, want 40", len(aws.ToString(c.SecretAccessKey)))
	}
	if len(aws.ToString(c.SessionToken)) < 100 {
		t.Errorf("session token is %d characters, want a long one", len(aws.ToString(c.SessionToken)))
	}
	if want := time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC); !aws.ToTime(c.Expiration).Equal(want) {
		t.Errorf("Expiration = %v, want %v", aws.ToTime(c.Expiration), want)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::123456789012:assumed-role/admin/alice"; got != want {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, want)
	}
	roleID := aws.ToString(out.AssumedRoleUser.AssumedRoleId)
	if !strings.HasPrefix(roleID, "AROA") || !strings.HasSuffix(roleID, ":alice") {
		t.Errorf("AssumedRoleId = %q, want AROA...:alice", roleID)
	}
	if size := packedPolicySize(out); size != nil {
		t.Errorf("PackedPolicySize = %d without a policy, want none", *size)
	}

	// The role's unique ID is stable, as IAM's is.
	again, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(again.AssumedRoleUser.AssumedRoleId), strings.TrimSuffix(roleID, "alice")+"bob"; got != want {
		t.Errorf("second AssumedRoleId = %q, want %q", got, want)
	}
	if aws.ToString(again.Credentials.AccessKeyId) == aws.ToString(c.AccessKeyId) {
		t.Error("two AssumeRole calls returned the same access key")
	}
	if aws.ToString(again.Credentials.SecretAccessKey) == aws.ToString(c.SecretAccessKey) {
		t.Error("two AssumeRole calls returned the same secret key")
	}

	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2", len(reqs))
	}
	r := reqs[0]
	if r.Action != "AssumeRole" || r.AccessKeyID != "AKIDEXAMPLE" || r.ErrorCode != "" {
		t.Errorf("request = {Action %q, AccessKeyID %q, ErrorCode %q}, want {AssumeRole, AKIDEXAMPLE, \"\"}", r.Action, r.AccessKeyID, r.ErrorCode)
	}
	for k, want := range map[string]string{"Version": "2011-06-15", "RoleArn": roleARN, "RoleSessionName": "alice", "ExternalId": "ext-id"} {
		if got := r.Params.Get(k); got != want {
			t.Errorf("Params[%s] = %q, want %q", k, got, want)
		}
	}
	if r.Params.Has("DurationSeconds") {
		t.Error("Params has DurationSeconds; the client sent none")
	}
}

// packedPolicySize reads a field the SDK deprecates but botocore still
// writes into the CLI cache, which is why the server sends it.
func packedPolicySize(out *sts.AssumeRoleOutput) *int32 {
	//lint:ignore SA1019 the AWS CLI cache files carry this field
	return out.PackedPolicySize
}

func TestAssumeRoleAccepts(t *testing.T) {
	tests := map[string]*sts.AssumeRoleInput{
		"shortest session name": {RoleSessionName: aws.String("ab")},
		"longest session name":  {RoleSessionName: aws.String(strings.Repeat("a", 64))},
		"session name symbols":  {RoleSessionName: aws.String("a_b+c=d,e.f@g-h")},
		"shortest duration":     {DurationSeconds: aws.Int32(900)},
		"longest duration":      {DurationSeconds: aws.Int32(43200)},
		"role with path":        {RoleArn: aws.String("arn:aws:iam::123456789012:role/team/ops/admin")},
		"china partition":       {RoleArn: aws.String("arn:aws-cn:iam::123456789012:role/admin")},
		"policy":                {Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)},
		"any mfa code":          {SerialNumber: aws.String(mfaSerial), TokenCode: aws.String("000000")},
		"hardware mfa serial":   {SerialNumber: aws.String("GAHT12345678"), TokenCode: aws.String("123456")},
		"source identity":       {SourceIdentity: aws.String("alice@example.com")},
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			if in.RoleArn == nil {
				in.RoleArn = aws.String(roleARN)
			}
			if in.RoleSessionName == nil {
				in.RoleSessionName = aws.String("alice")
			}
			out, err := newClient(srv, userCreds, 0).AssumeRole(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if size := packedPolicySize(out); (in.Policy != nil) != (size != nil) {
				t.Errorf("PackedPolicySize present = %v, want %v", size != nil, in.Policy != nil)
			}
			if got, want := aws.ToString(out.SourceIdentity), aws.ToString(in.SourceIdentity); got != want {
				t.Errorf("SourceIdentity = %q, want %q", got, want)
			}
		})
	}
}

func TestAssumeRoleErrors(t *testing.T) {
	tests := map[string]struct {
		opts    func(*ststest.Options)
		in      sts.AssumeRoleInput
		code    string
		status  int
		message string // the whole message, when it matters
	}{
		"role arn not an arn": {
			in:   sts.AssumeRoleInput{RoleArn: aws.String("this-is-not-a-role-arn")},
			code: "ValidationError", status: 400,
		},
		"role arn too short": {
			in:   sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::1:role")},
			code: "ValidationError", status: 400,
			message: "1 validation error detected: Value 'arn:aws:iam::1:role' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
		},
		"role arn of a user": {
			in:   sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:user/alice")},
			code: "ValidationError", status: 400,
		},
		"role arn short account": {
			in:   sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::12345678901:role/admin")},
			code: "ValidationError", status: 400,
		},
		"session name too short": {
			in:   sts.AssumeRoleInput{RoleSessionName: aws.String("a")},
			code: "ValidationError", status: 400,
			message: "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
		},
		"session name too long": {
			in:   sts.AssumeRoleInput{RoleSessionName: aws.String(strings.Repeat("a", 65))},
			code: "ValidationError", status: 400,
		},
		"session name with space": {
			in:   sts.AssumeRoleInput{RoleSessionName: aws.String("a b")},
			code: "ValidationError", status: 400,
			message: `1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`,
		},
		"duration too short": {
			in:   sts.AssumeRoleInput{DurationSeconds: aws.Int32(899)},
			code: "ValidationError", status: 400,
			message: "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
		},
		"duration too long": {
			in:   sts.AssumeRoleInput{DurationSeconds: aws.Int32(43201)},
			code: "ValidationError", status: 400,
		},
		"two violations": {
			in:   sts.AssumeRoleInput{RoleSessionName: aws.String("a"), DurationSeconds: aws.Int32(1)},
			code: "ValidationError", status: 400,
			message: "2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; Value '1' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
		},
		"token code of five digits": {
			in:   sts.AssumeRoleInput{SerialNumber: aws.String(mfaSerial), TokenCode: aws.String("12345")},
			code: "ValidationError", status: 400,
			message: "1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6",
		},
		"token code of seven digits": {
			in:   sts.AssumeRoleInput{SerialNumber: aws.String(mfaSerial), TokenCode: aws.String("1234567")},
			code: "ValidationError", status: 400,
		},
		"token code not digits": {
			in:   sts.AssumeRoleInput{SerialNumber: aws.String(mfaSerial), TokenCode: aws.String("12345a")},
			code: "ValidationError", status: 400,
			message: `1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\d]*`,
		},
		"token code without serial": {
			in:   sts.AssumeRoleInput{TokenCode: aws.String("123456")},
			code: "ValidationError", status: 400,
		},
		"serial too short": {
			in:   sts.AssumeRoleInput{SerialNumber: aws.String("GAHT1"), TokenCode: aws.String("123456")},
			code: "ValidationError", status: 400,
		},
		"external id too short": {
			in:   sts.AssumeRoleInput{ExternalId: aws.String("x")},
			code: "ValidationError", status: 400,
		},
		"policy not json": {
			in:   sts.AssumeRoleInput{Policy: aws.String("{not json")},
			code: "MalformedPolicyDocument", status: 400,
		},
		"serial without code": {
			in:   sts.AssumeRoleInput{SerialNumber: aws.String(mfaSerial)},
			code: "AccessDenied", status: 403, message: mfaFailed,
		},
		"wrong mfa code": {
			opts: func(o *ststest.Options) { o.MFACode = "123456" },
			in:   sts.AssumeRoleInput{SerialNumber: aws.String(mfaSerial), TokenCode: aws.String("654321")},
			code: "AccessDenied", status: 403, message: mfaFailed,
		},
		"mfa required": {
			opts: func(o *ststest.Options) { o.RequireMFA = true },
			code: "AccessDenied", status: 403,
			message: "User: arn:aws:iam::123456789012:user/test is not authorized to perform: sts:AssumeRole on resource: " + roleARN,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var opts []func(*ststest.Options)
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			srv := newServer(t, opts...)
			in := tt.in
			if in.RoleArn == nil {
				in.RoleArn = aws.String(roleARN)
			}
			if in.RoleSessionName == nil {
				in.RoleSessionName = aws.String("alice")
			}
			_, err := newClient(srv, userCreds, 0).AssumeRole(context.Background(), &in)
			ae := wantAPIError(t, err, tt.code, tt.status)
			if tt.message != "" && ae.ErrorMessage() != tt.message {
				t.Errorf("message = %q, want %q", ae.ErrorMessage(), tt.message)
			}
			if code := aws.ToString(in.TokenCode); code != "" && strings.Contains(ae.ErrorMessage(), code) {
				t.Error("error message repeats the token code")
			}
			if got := srv.Calls("AssumeRole"); got != 1 {
				t.Errorf("Calls(AssumeRole) = %d, want 1", got)
			}
			if got := srv.Requests()[0].ErrorCode; got != tt.code {
				t.Errorf("recorded ErrorCode = %q, want %q", got, tt.code)
			}
		})
	}
}

// The SDK checks required parameters before sending, so leaving them out
// takes a hand-made request.
func TestMissingParameters(t *testing.T) {
	tests := map[string]struct {
		form    url.Values
		message string
	}{
		"assume role without role arn": {
			form:    url.Values{"Action": {"AssumeRole"}, "RoleSessionName": {"alice"}},
			message: "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
		},
		"assume role without anything": {
			form:    url.Values{"Action": {"AssumeRole"}},
			message: "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
		},
		"web identity without token": {
			form:    url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "RoleArn": {roleARN}, "RoleSessionName": {"alice"}},
			message: "1 validation error detected: Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			tt.form.Set("Version", "2011-06-15")
			resp, doc := post(t, srv.URL, tt.form, signedHeader("AKIDEXAMPLE", start))
			if resp.StatusCode != http.StatusBadRequest || doc.Error.Code != "ValidationError" {
				t.Fatalf("got %s (HTTP %d), want ValidationError (HTTP 400)", doc.Error.Code, resp.StatusCode)
			}
			if doc.Error.Message != tt.message {
				t.Errorf("message = %q, want %q", doc.Error.Message, tt.message)
			}
		})
	}
}

func TestMFA(t *testing.T) {
	type call func(context.Context, *sts.Client, *string, *string) error
	assumeRole := func(ctx context.Context, c *sts.Client, serial, code *string) error {
		_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"), SerialNumber: serial, TokenCode: code})
		return err
	}
	getSessionToken := func(ctx context.Context, c *sts.Client, serial, code *string) error {
		_, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: serial, TokenCode: code})
		return err
	}
	tests := map[string]struct {
		requireMFA bool
		mfaCode    string
		serial     *string
		code       *string
		wantCode   string
		wantStatus int
	}{
		"no mfa, not required":          {},
		"any code when none set":        {serial: aws.String(mfaSerial), code: aws.String("987654")},
		"right code":                    {mfaCode: "123456", serial: aws.String(mfaSerial), code: aws.String("123456")},
		"wrong code":                    {mfaCode: "123456", serial: aws.String(mfaSerial), code: aws.String("123457"), wantCode: "AccessDenied", wantStatus: 403},
		"required and missing":          {requireMFA: true, wantCode: "AccessDenied", wantStatus: 403},
		"required and given":            {requireMFA: true, mfaCode: "123456", serial: aws.String(mfaSerial), code: aws.String("123456")},
		"required and wrong":            {requireMFA: true, mfaCode: "123456", serial: aws.String(mfaSerial), code: aws.String("000000"), wantCode: "AccessDenied", wantStatus: 403},
		"required, serial without code": {requireMFA: true, serial: aws.String(mfaSerial), wantCode: "AccessDenied", wantStatus: 403},
	}
	for _, action := range []struct {
		name string
		call call
	}{{"AssumeRole", assumeRole}, {"GetSessionToken", getSessionToken}} {
		for name, tt := range tests {
			t.Run(action.name+"/"+name, func(t *testing.T) {
				srv := newServer(t, func(o *ststest.Options) {
					o.RequireMFA = tt.requireMFA
					o.MFACode = tt.mfaCode
				})
				err := action.call(context.Background(), newClient(srv, userCreds, 0), tt.serial, tt.code)
				if tt.wantCode == "" {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				wantAPIError(t, err, tt.wantCode, tt.wantStatus)
				if got := srv.Calls(action.name); got != 1 {
					t.Errorf("Calls(%s) = %d, want 1", action.name, got)
				}
			})
		}
	}
}

func TestSetMFACode(t *testing.T) {
	srv := newServer(t, func(o *ststest.Options) { o.MFACode = "111111" })
	client := newClient(srv, userCreds, 0)
	assume := func(code string) error {
		_, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
			RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"),
			SerialNumber: aws.String(mfaSerial), TokenCode: aws.String(code),
		})
		return err
	}
	if err := assume("111111"); err != nil {
		t.Fatalf("first code: %v", err)
	}
	srv.SetMFACode("222222")
	wantAPIError(t, assume("111111"), "AccessDenied", 403)
	if err := assume("222222"); err != nil {
		t.Fatalf("second code: %v", err)
	}
	srv.SetMFACode("")
	if err := assume("333333"); err != nil {
		t.Fatalf("any code after clearing it: %v", err)
	}
	if got := srv.Requests()[0].Params.Get("TokenCode"); got != "111111" {
		t.Error("the recorded TokenCode differs from the one sent")
	}
}

// A session obtained with MFA satisfies RequireMFA for the roles assumed
// with it, as with aws-vault style GetSessionToken then AssumeRole.
func TestRequireMFAWithSession(t *testing.T) {
	srv := newServer(t, func(o *ststest.Options) { o.RequireMFA = true })
	ctx := context.Background()
	assume := func(creds aws.CredentialsProvider) error {
		_, err := newClient(srv, creds, 0).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice")})
		return err
	}

	withMFA, err := newClient(srv, userCreds, 0).GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(mfaSerial), TokenCode: aws.String("123456")})
	if err != nil {
		t.Fatal(err)
	}
	if err := assume(sessionCreds(withMFA.Credentials)); err != nil {
		t.Errorf("AssumeRole with an MFA session: %v", err)
	}

	// Web identity sessions come without MFA.
	web, err := newClient(srv, nil, 0).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("app"), WebIdentityToken: aws.String("opaque-token"),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, assume(sessionCreds(web.Credentials)), "AccessDenied", 403)
	wantAPIError(t, assume(userCreds), "AccessDenied", 403)
}

func TestExpiration(t *testing.T) {
	webToken := aws.String("opaque-web-identity-token")
	tests := map[string]struct {
		call func(context.Context, *sts.Client) (*types.Credentials, error)
		want time.Duration
	}{
		"assume role default": {
			call: func(ctx context.Context, c *sts.Client) (*types.Credentials, error) {
				out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice")})
				return credsOf(out, err, func() *types.Credentials { return out.Credentials })
			},
			want: time.Hour,
		},
		"assume role 900": {
			call: func(ctx context.Context, c *sts.Client) (*types.Credentials, error) {
				out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(900)})
				return credsOf(out, err, func() *types.Credentials { return out.Credentials })
			},
			want: 15 * time.Minute,
		},
		"assume role 43200": {
			call: func(ctx context.Context, c *sts.Client) (*types.Credentials, error) {
				out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(43200)})
				return credsOf(out, err, func() *types.Credentials { return out.Credentials })
			},
			want: 12 * time.Hour,
		},
		"session token default": {
			call: func(ctx context.Context, c *sts.Client) (*types.Credentials, error) {
				out, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
				return credsOf(out, err, func() *types.Credentials { return out.Credentials })
			},
			want: 12 * time.Hour,
		},
		"session token 129600": {
			call: func(ctx context.Context, c *sts.Client) (*types.Credentials, error) {
				out, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129600)})
				return credsOf(out, err, func() *types.Credentials { return out.Credentials })
			},
			want: 36 * time.Hour,
		},
		"web identity default": {
			call: func(ctx context.Context, c *sts.Client) (*types.Credentials, error) {
				out, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"), WebIdentityToken: webToken})
				return credsOf(out, err, func() *types.Credentials { return out.Credentials })
			},
			want: time.Hour,
		},
		"web identity 7200": {
			call: func(ctx context.Context, c *sts.Client) (*types.Credentials, error) {
				out, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"), WebIdentityToken: webToken, DurationSeconds: aws.Int32(7200)})
				return credsOf(out, err, func() *types.Credentials { return out.Credentials })
			},
			want: 2 * time.Hour,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newClock(start)
			srv := newServer(t, withClock(clk))
			client := newClient(srv, userCreds, 0)
			for _, now := range []time.Time{start, start.Add(48 * time.Hour)} {
				clk.Set(now)
				c, err := tt.call(context.Background(), client)
				if err != nil {
					t.Fatal(err)
				}
				// The server drops the fraction of a second, as STS does.
				want := now.Add(tt.want).Truncate(time.Second)
				if got := aws.ToTime(c.Expiration); !got.Equal(want) {
					t.Errorf("at %v: Expiration = %v, want %v", now, got, want)
				}
			}
		})
	}
}

func TestGetSessionTokenErrors(t *testing.T) {
	tests := map[string]struct {
		in     sts.GetSessionTokenInput
		code   string
		status int
	}{
		"duration too short":  {in: sts.GetSessionTokenInput{DurationSeconds: aws.Int32(899)}, code: "ValidationError", status: 400},
		"duration too long":   {in: sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)}, code: "ValidationError", status: 400},
		"token code too long": {in: sts.GetSessionTokenInput{SerialNumber: aws.String(mfaSerial), TokenCode: aws.String("1234567")}, code: "ValidationError", status: 400},
		"code without serial": {in: sts.GetSessionTokenInput{TokenCode: aws.String("123456")}, code: "ValidationError", status: 400},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			_, err := newClient(srv, userCreds, 0).GetSessionToken(context.Background(), &tt.in)
			wantAPIError(t, err, tt.code, tt.status)
		})
	}
}

func credsOf[T any](out *T, err error, get func() *types.Credentials) (*types.Credentials, error) {
	if err != nil {
		return nil, err
	}
	return get(), nil
}

func TestIssuedCredentialsExpire(t *testing.T) {
	clk := newClock(start)
	srv := newServer(t, withClock(clk))
	out, err := newClient(srv, userCreds, 0).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatal(err)
	}
	exp := aws.ToTime(out.Credentials.Expiration)
	role := newClient(srv, sessionCreds(out.Credentials), 0)

	tests := map[string]struct {
		now     time.Time
		expired bool
	}{
		"one nanosecond before": {now: exp.Add(-time.Nanosecond)},
		"at expiration":         {now: exp, expired: true},
		"after expiration":      {now: exp.Add(time.Hour), expired: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			clk.Set(tt.now)
			_, err := role.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			if !tt.expired {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ae := wantAPIError(t, err, "ExpiredToken", 403)
			if got, want := ae.ErrorMessage(), "The security token included in the request is expired"; got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
		})
	}
}

func TestIssuedCredentials(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	user := newClient(srv, userCreds, 0)
	first, err := user.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::210987654321:role/ops/deploy"),
		RoleSessionName: aws.String("alice"),
	})
	if err != nil {
		t.Fatal(err)
	}
	role := newClient(srv, sessionCreds(first.Credentials), 0)

	t.Run("caller identity", func(t *testing.T) {
		out, err := role.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(out.Arn), "arn:aws:sts::210987654321:assumed-role/deploy/alice"; got != want {
			t.Errorf("Arn = %q, want %q", got, want)
		}
		if got := aws.ToString(out.Account); got != "210987654321" {
			t.Errorf("Account = %q, want the role's, 210987654321", got)
		}
		if got, want := aws.ToString(out.UserId), aws.ToString(first.AssumedRoleUser.AssumedRoleId); got != want {
			t.Errorf("UserId = %q, want the AssumedRoleId %q", got, want)
		}
	})

	t.Run("role chain", func(t *testing.T) {
		out, err := role.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("hop"), DurationSeconds: aws.Int32(3600)})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::123456789012:assumed-role/admin/hop"; got != want {
			t.Errorf("Arn = %q, want %q", got, want)
		}
		reqs := srv.Requests()
		if got, want := reqs[len(reqs)-1].AccessKeyID, aws.ToString(first.Credentials.AccessKeyId); got != want {
			t.Errorf("chained call signed by %q, want the first role's key %q", got, want)
		}
		hop := newClient(srv, sessionCreds(out.Credentials), 0)
		id, err := hop.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(id.Arn), "arn:aws:sts::123456789012:assumed-role/admin/hop"; got != want {
			t.Errorf("second hop Arn = %q, want %q", got, want)
		}
	})

	t.Run("role chain over an hour", func(t *testing.T) {
		_, err := role.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("hop"), DurationSeconds: aws.Int32(3601)})
		ae := wantAPIError(t, err, "ValidationError", 400)
		if got, want := ae.ErrorMessage(), "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."; got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	})

	t.Run("session token from session credentials", func(t *testing.T) {
		_, err := role.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		wantAPIError(t, err, "AccessDenied", 403)
	})

	t.Run("wrong session token", func(t *testing.T) {
		c := credentials.NewStaticCredentialsProvider(aws.ToString(first.Credentials.AccessKeyId), aws.ToString(first.Credentials.SecretAccessKey), "forged")
		_, err := newClient(srv, c, 0).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		ae := wantAPIError(t, err, "InvalidClientTokenId", 403)
		if got, want := ae.ErrorMessage(), "The security token included in the request is invalid"; got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	})

	t.Run("no session token", func(t *testing.T) {
		c := credentials.NewStaticCredentialsProvider(aws.ToString(first.Credentials.AccessKeyId), aws.ToString(first.Credentials.SecretAccessKey), "")
		_, err := newClient(srv, c, 0).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantAPIError(t, err, "InvalidClientTokenId", 403)
	})

	t.Run("user session", func(t *testing.T) {
		st, err := user.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		session := newClient(srv, sessionCreds(st.Credentials), 0)
		id, err := session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(id.Arn), "arn:aws:iam::123456789012:user/test"; got != want {
			t.Errorf("Arn = %q, want the user's %q", got, want)
		}
		// Not role chaining: a user session may assume a role for long.
		if _, err := session.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(43200)}); err != nil {
			t.Errorf("AssumeRole for 12 hours from a user session: %v", err)
		}
	})
}

func TestGetCallerIdentity(t *testing.T) {
	tests := map[string]struct {
		opts    func(*ststest.Options)
		arn     string
		account string
	}{
		"defaults": {
			opts: func(*ststest.Options) {},
			arn:  "arn:aws:iam::123456789012:user/test", account: "123456789012",
		},
		"account and user": {
			opts: func(o *ststest.Options) { o.AccountID = "111122223333"; o.UserName = "alice" },
			arn:  "arn:aws:iam::111122223333:user/alice", account: "111122223333",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, tt.opts)
			client := newClient(srv, userCreds, 0)
			var ids []string
			for range 2 {
				out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
				if err != nil {
					t.Fatal(err)
				}
				if aws.ToString(out.Arn) != tt.arn || aws.ToString(out.Account) != tt.account {
					t.Errorf("got Arn %q Account %q, want %q %q", aws.ToString(out.Arn), aws.ToString(out.Account), tt.arn, tt.account)
				}
				ids = append(ids, aws.ToString(out.UserId))
			}
			if !strings.HasPrefix(ids[0], "AIDA") || ids[0] != ids[1] {
				t.Errorf("UserIds = %q, want one stable AIDA... ID", ids)
			}
			if got := srv.Calls("GetCallerIdentity"); got != 2 {
				t.Errorf("Calls(GetCallerIdentity) = %d, want 2", got)
			}
		})
	}
}

// fakeJWT builds an unsigned token with the given claims; the server reads
// claims without verifying.
func fakeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." + enc.EncodeToString(b) + "." + enc.EncodeToString([]byte("sig"))
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	jwt := fakeJWT(t, map[string]any{
		"sub": "system:serviceaccount:default:app",
		"iss": "https://oidc.example.com/id/ABC",
		"aud": []string{"sts.amazonaws.com"},
		"exp": start.Add(time.Hour).Unix(),
	})
	expired := fakeJWT(t, map[string]any{"sub": "x", "exp": start.Unix()})
	tests := map[string]struct {
		opts       func(*ststest.Options)
		token      string
		providerID string
		subject    string
		provider   string
		audience   string
		code       string
		status     int
	}{
		"opaque token": {
			token:   "opaque-token",
			subject: "test", provider: "arn:aws:iam::123456789012:oidc-provider/example.com", audience: "sts.amazonaws.com",
		},
		"jwt claims": {
			token:   jwt,
			subject: "system:serviceaccount:default:app", provider: "arn:aws:iam::123456789012:oidc-provider/oidc.example.com/id/ABC", audience: "sts.amazonaws.com",
		},
		"provider id": {
			token: "opaque-token", providerID: "www.amazon.com",
			subject: "test", provider: "www.amazon.com", audience: "sts.amazonaws.com",
		},
		"expected token": {
			opts:    func(o *ststest.Options) { o.WebIdentityToken = "the-token" },
			token:   "the-token",
			subject: "test", provider: "arn:aws:iam::123456789012:oidc-provider/example.com", audience: "sts.amazonaws.com",
		},
		"unexpected token": {
			opts:  func(o *ststest.Options) { o.WebIdentityToken = "the-token" },
			token: "another-token",
			code:  "InvalidIdentityToken", status: 400,
		},
		"expired jwt":     {token: expired, code: "ExpiredTokenException", status: 400},
		"token too short": {token: "abc", code: "ValidationError", status: 400},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			opts := []func(*ststest.Options){withClock(newClock(start))}
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			srv := newServer(t, opts...)
			in := &sts.AssumeRoleWithWebIdentityInput{
				RoleArn:          aws.String(roleARN),
				RoleSessionName:  aws.String("app"),
				WebIdentityToken: aws.String(tt.token),
			}
			if tt.providerID != "" {
				in.ProviderId = aws.String(tt.providerID)
			}
			// No credentials: the SDK sends this call unsigned.
			out, err := newClient(srv, nil, 0).AssumeRoleWithWebIdentity(context.Background(), in)
			if got := srv.Requests()[0].AccessKeyID; got != "" {
				t.Errorf("request signed by %q, want unsigned", got)
			}
			if tt.code != "" {
				wantAPIError(t, err, tt.code, tt.status)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.SubjectFromWebIdentityToken); got != tt.subject {
				t.Errorf("SubjectFromWebIdentityToken = %q, want %q", got, tt.subject)
			}
			if got := aws.ToString(out.Provider); got != tt.provider {
				t.Errorf("Provider = %q, want %q", got, tt.provider)
			}
			if got := aws.ToString(out.Audience); got != tt.audience {
				t.Errorf("Audience = %q, want %q", got, tt.audience)
			}
			const wantARN = "arn:aws:sts::123456789012:assumed-role/admin/app"
			if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
				t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, wantARN)
			}
			id, err := newClient(srv, sessionCreds(out.Credentials), 0).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(id.Arn); got != wantARN {
				t.Errorf("caller Arn = %q, want %q", got, wantARN)
			}
		})
	}
}

func TestWebIdentityTypedErrors(t *testing.T) {
	srv := newServer(t, func(o *ststest.Options) { o.WebIdentityToken = "the-token" })
	_, err := newClient(srv, nil, 0).AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("app"), WebIdentityToken: aws.String("wrong"),
	})
	var invalid *types.InvalidIdentityTokenException
	if !errors.As(err, &invalid) {
		t.Errorf("error %v is not an InvalidIdentityTokenException", err)
	}
}

// errorDoc is an STS error response; XMLName pins the namespace.
type errorDoc struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// signedHeader is an Authorization header of the right shape; the server
// does not check the signature's value.
func signedHeader(accessKeyID string, t time.Time) http.Header {
	h := http.Header{}
	h.Set("X-Amz-Date", t.Format("20060102T150405Z"))
	h.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=%s",
		accessKeyID, t.Format("20060102"), strings.Repeat("0a", 32)))
	return h
}

// post sends a form to url and decodes the error document, if any.
func post(t *testing.T, url string, form url.Values, h http.Header) (*http.Response, errorDoc) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, errorDoc) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var doc errorDoc
	if resp.StatusCode != http.StatusOK {
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("error body %q: %v", body, err)
		}
	}
	return resp, doc
}

func TestUnsignedRequest(t *testing.T) {
	srv := newServer(t)
	form := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	resp, err := http.Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status = %d, want 403", resp.StatusCode)
	}
	var doc errorDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if doc.Error.Type != "Sender" || doc.Error.Code != "MissingAuthenticationToken" || doc.Error.Message != "Request is missing Authentication Token" {
		t.Errorf("Error = %+v, want Sender MissingAuthenticationToken", doc.Error)
	}
	if doc.RequestID == "" || resp.Header.Get("x-amzn-RequestId") != doc.RequestID {
		t.Errorf("RequestId %q, header %q: want the same, non-empty", doc.RequestID, resp.Header.Get("x-amzn-RequestId"))
	}
	if got := srv.Calls("GetCallerIdentity"); got != 1 {
		t.Errorf("Calls(GetCallerIdentity) = %d, want 1 (refusals count)", got)
	}
	if r := srv.Requests()[0]; r.AccessKeyID != "" || r.ErrorCode != "MissingAuthenticationToken" {
		t.Errorf("recorded AccessKeyID %q ErrorCode %q, want \"\" and MissingAuthenticationToken", r.AccessKeyID, r.ErrorCode)
	}
}

func TestRequestShape(t *testing.T) {
	gci := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	tests := map[string]struct {
		form   url.Values
		header func(http.Header)
		code   string
		status int
	}{
		"signed":              {form: gci, header: func(http.Header) {}, status: 200},
		"not sigv4":           {form: gci, header: func(h http.Header) { h.Set("Authorization", "Basic dXNlcjpwYXNz") }, code: "IncompleteSignature", status: 400},
		"no signature":        {form: gci, header: func(h http.Header) { h.Set("Authorization", strings.Split(h.Get("Authorization"), ", Signature")[0]) }, code: "IncompleteSignature", status: 400},
		"short signature":     {form: gci, header: func(h http.Header) { h.Set("Authorization", h.Get("Authorization")[:len(h.Get("Authorization"))-2]) }, code: "IncompleteSignature", status: 400},
		"no date":             {form: gci, header: func(h http.Header) { h.Del("X-Amz-Date") }, code: "IncompleteSignature", status: 400},
		"host not signed":     {form: gci, header: replaceAuth("content-type;host;x-amz-date", "x-amz-date"), code: "IncompleteSignature", status: 400},
		"scoped to s3":        {form: gci, header: replaceAuth("/sts/", "/s3/"), code: "SignatureDoesNotMatch", status: 403},
		"scope date mismatch": {form: gci, header: func(h http.Header) { h.Set("X-Amz-Date", "20261129T000000Z") }, code: "SignatureDoesNotMatch", status: 403},
		"bad terminator":      {form: gci, header: replaceAuth("aws4_request", "aws4_reqest"), code: "SignatureDoesNotMatch", status: 403},
		"no action":           {form: url.Values{"Version": {"2011-06-15"}}, header: func(http.Header) {}, code: "MissingAction", status: 400},
		"unknown action":      {form: url.Values{"Action": {"DecodeAuthorizationMessage"}, "Version": {"2011-06-15"}}, header: func(http.Header) {}, code: "InvalidAction", status: 400},
		"wrong version":       {form: url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2010-01-01"}}, header: func(http.Header) {}, code: "InvalidAction", status: 400},
		"no version":          {form: url.Values{"Action": {"GetCallerIdentity"}}, header: func(http.Header) {}, code: "InvalidAction", status: 400},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			h := signedHeader("AKIDEXAMPLE", start)
			tt.header(h)
			resp, doc := post(t, srv.URL, tt.form, h)
			if resp.StatusCode != tt.status || doc.Error.Code != tt.code {
				t.Errorf("got %q (HTTP %d): %s; want %q (HTTP %d)", doc.Error.Code, resp.StatusCode, doc.Error.Message, tt.code, tt.status)
			}
		})
	}
}

func replaceAuth(old, new string) func(http.Header) {
	return func(h http.Header) { h.Set("Authorization", strings.Replace(h.Get("Authorization"), old, new, 1)) }
}

// EKS tokens are presigned GetCallerIdentity URLs.
func TestPresignedURL(t *testing.T) {
	srv := newServer(t)
	client := newClient(srv, userCreds, 0)
	presigned, err := sts.NewPresignClient(client).PresignGetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(presigned.Method, presigned.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = presigned.SignedHeader.Clone()
	resp, doc := do(t, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got %s (HTTP %d): %s", doc.Error.Code, resp.StatusCode, doc.Error.Message)
	}
	r := srv.Requests()[0]
	if r.Action != "GetCallerIdentity" || r.AccessKeyID != "AKIDEXAMPLE" {
		t.Errorf("recorded Action %q AccessKeyID %q, want GetCallerIdentity AKIDEXAMPLE", r.Action, r.AccessKeyID)
	}
	for k := range r.Params {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			t.Errorf("recorded Params hold signing field %s", k)
		}
	}
}

func TestSuccessShape(t *testing.T) {
	srv := newServer(t)
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = signedHeader("AKIDEXAMPLE", start)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	raw, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Body.Close()
	if raw.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", raw.StatusCode)
	}
	var doc struct {
		XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
		Result  struct {
			Arn     string `xml:"Arn"`
			UserID  string `xml:"UserId"`
			Account string `xml:"Account"`
		} `xml:"GetCallerIdentityResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.NewDecoder(raw.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Result.Arn != "arn:aws:iam::123456789012:user/test" || doc.Result.Account != "123456789012" || doc.RequestID == "" {
		t.Errorf("document = %+v", doc)
	}
	if ct := raw.Header.Get("Content-Type"); ct != "text/xml" {
		t.Errorf("Content-Type = %q, want text/xml", ct)
	}
}

func TestFailNext(t *testing.T) {
	t.Run("retried throttling", func(t *testing.T) {
		srv := newServer(t)
		srv.FailNext(2, "Throttling", "Rate exceeded", http.StatusBadRequest)
		if _, err := newClient(srv, userCreds, 3).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("after two throttles and three attempts: %v", err)
		}
		if got := srv.Calls("GetCallerIdentity"); got != 3 {
			t.Errorf("Calls(GetCallerIdentity) = %d, want 3", got)
		}
		var codes []string
		for _, r := range srv.Requests() {
			codes = append(codes, r.ErrorCode)
		}
		if want := []string{"Throttling", "Throttling", ""}; strings.Join(codes, ",") != strings.Join(want, ",") {
			t.Errorf("recorded error codes %q, want %q", codes, want)
		}
	})

	tests := map[string]struct {
		code    string
		message string
		status  int
	}{
		"server error":  {code: "InternalFailure", message: "internal failure", status: 500},
		"unavailable":   {code: "ServiceUnavailable", message: "try later", status: 503},
		"region off":    {code: "RegionDisabledException", message: "STS is not activated in this region", status: 403},
		"access denied": {code: "AccessDenied", message: "nope", status: 403},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			srv.FailNext(1, tt.code, tt.message, tt.status)
			client := newClient(srv, userCreds, 1)
			_, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice")})
			ae := wantAPIError(t, err, tt.code, tt.status)
			if ae.ErrorMessage() != tt.message {
				t.Errorf("message = %q, want %q", ae.ErrorMessage(), tt.message)
			}
			if _, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice")}); err != nil {
				t.Errorf("the call after the failure: %v", err)
			}
		})
	}

	t.Run("queued in order", func(t *testing.T) {
		srv := newServer(t)
		srv.FailNext(1, "AccessDenied", "first", 403)
		srv.FailNext(1, "ExpiredToken", "second", 403)
		srv.FailNext(0, "Ignored", "none", 400)
		client := newClient(srv, userCreds, 1)
		for _, want := range []string{"AccessDenied", "ExpiredToken"} {
			_, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			wantAPIError(t, err, want, 403)
		}
		if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Errorf("third call: %v", err)
		}
	})
}

func TestRequestsAreCopies(t *testing.T) {
	srv := newServer(t)
	_, err := newClient(srv, userCreds, 0).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"),
		Policy: aws.String(`{"Version":"2012-10-17"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Requests()
	got[0].Params.Set("RoleArn", "changed")
	got[0].Action = "changed"
	again := srv.Requests()[0]
	if again.Action != "AssumeRole" || again.Params.Get("RoleArn") != roleARN {
		t.Error("changing a returned Request changed the server's record")
	}
	if again.Params.Get("Policy") != `{"Version":"2012-10-17"}` {
		t.Errorf("recorded Policy = %q", again.Params.Get("Policy"))
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := newServer(t, func(o *ststest.Options) { o.MFACode = "123456" })
	client := newClient(srv, userCreds, 0)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, 3*n)
	for i := range n {
		wg.Go(func() {
			if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
				RoleArn: aws.String(roleARN), RoleSessionName: aws.String(fmt.Sprintf("s%d", i)),
				SerialNumber: aws.String(mfaSerial), TokenCode: aws.String("123456"),
			})
			if err != nil {
				errs <- err
				return
			}
			if _, err := newClient(srv, sessionCreds(out.Credentials), 0).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			srv.SetMFACode("123456")
			_ = srv.Calls("AssumeRole")
			_ = srv.Requests()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := srv.Calls("GetCallerIdentity"); got != 2*n {
		t.Errorf("Calls(GetCallerIdentity) = %d, want %d", got, 2*n)
	}
	if got := srv.Calls("AssumeRole"); got != n {
		t.Errorf("Calls(AssumeRole) = %d, want %d", got, n)
	}
	if got := len(srv.Requests()); got != 3*n {
		t.Errorf("len(Requests()) = %d, want %d", got, 3*n)
	}
}

func newSSOClient(srv *ststest.SSOServer, attempts int) *sso.Client {
	return sso.New(sso.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: attempts,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			o.RateLimiter = ratelimit.None
		}),
	})
}

func getRoleCredentials(client *sso.Client, token string) (*sso.GetRoleCredentialsOutput, error) {
	return client.GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
		AccessToken: aws.String(token),
		AccountId:   aws.String("111122223333"),
		RoleName:    aws.String("Admin"),
	})
}

func TestSSOGetRoleCredentials(t *testing.T) {
	clk := newClock(start)
	// One clock for both: the role credentials expire by the portal's.
	stsSrv := newServer(t, func(o *ststest.Options) { o.Now = clk.Now })
	srv := ststest.NewSSOServer(func(o *ststest.SSOOptions) {
		o.AccessToken = "sso-token"
		o.Now = clk.Now
		o.Duration = 8 * time.Hour
		o.STS = stsSrv
	})
	defer srv.Close()

	out, err := getRoleCredentials(newSSOClient(srv, 0), "sso-token")
	if err != nil {
		t.Fatal(err)
	}
	rc := out.RoleCredentials
	if id := aws.ToString(rc.AccessKeyId); !strings.HasPrefix(id, "ASIA") || len(id) != 20 {
		t.Errorf("AccessKeyId = %q, want ASIA and 16 characters", id)
	}
	if len(aws.ToString(rc.SecretAccessKey)) != 40 || aws.ToString(rc.SessionToken) == "" {
		t.Error("secret key or session token missing or misshapen")
	}
	if got, want := rc.Expiration, start.Add(8*time.Hour).Truncate(time.Second).UnixMilli(); got != want {
		t.Errorf("Expiration = %d, want %d (Unix milliseconds)", got, want)
	}
	if got := srv.Calls("GetRoleCredentials"); got != 1 {
		t.Errorf("Calls(GetRoleCredentials) = %d, want 1", got)
	}
	r := srv.Requests()[0]
	if r.Action != "GetRoleCredentials" || r.Params.Get("account_id") != "111122223333" || r.Params.Get("role_name") != "Admin" {
		t.Errorf("recorded %q %v", r.Action, r.Params)
	}

	id, err := newClient(stsSrv, credentials.NewStaticCredentialsProvider(aws.ToString(rc.AccessKeyId), aws.ToString(rc.SecretAccessKey), aws.ToString(rc.SessionToken)), 0).
		GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(id.Arn)
	if !strings.HasPrefix(arn, "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_") || !strings.HasSuffix(arn, "/test") {
		t.Errorf("caller Arn = %q, want an AWSReservedSSO_Admin role session", arn)
	}
}

func TestSSOErrors(t *testing.T) {
	tests := map[string]struct {
		opts   func(*ststest.SSOOptions)
		token  string
		code   string
		status int
		as     any
	}{
		"any token when none set": {token: "whatever"},
		"unknown token": {
			opts:  func(o *ststest.SSOOptions) { o.AccessToken = "sso-token" },
			token: "other", code: "UnauthorizedException", status: 401, as: new(*ssotypes.UnauthorizedException),
		},
		"token one nanosecond before expiry": {
			opts: func(o *ststest.SSOOptions) {
				o.AccessToken = "sso-token"
				o.AccessTokenExpiration = start.Add(time.Nanosecond)
			},
			token: "sso-token",
		},
		"expired token": {
			opts:  func(o *ststest.SSOOptions) { o.AccessToken = "sso-token"; o.AccessTokenExpiration = start },
			token: "sso-token", code: "UnauthorizedException", status: 401, as: new(*ssotypes.UnauthorizedException),
		},
		"throttled": {
			opts:  func(o *ststest.SSOOptions) {},
			token: "sso-token", code: "TooManyRequestsException", status: 429, as: new(*ssotypes.TooManyRequestsException),
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := ststest.NewSSOServer(func(o *ststest.SSOOptions) {
				o.Now = newClock(start).Now
				if tt.opts != nil {
					tt.opts(o)
				}
			})
			defer srv.Close()
			if tt.code == "TooManyRequestsException" {
				srv.FailNext(1, tt.code, "slow down", tt.status)
			}
			_, err := getRoleCredentials(newSSOClient(srv, 1), tt.token)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantAPIError(t, err, tt.code, tt.status)
			if !errors.As(err, tt.as) {
				t.Errorf("error %v is not a %T", err, tt.as)
			}
			if got := srv.Calls("GetRoleCredentials"); got != 1 {
				t.Errorf("Calls(GetRoleCredentials) = %d, want 1", got)
			}
		})
	}
}

func TestSSOWire(t *testing.T) {
	srv := ststest.NewSSOServer(func(o *ststest.SSOOptions) { o.AccessToken = "sso-token" })
	defer srv.Close()
	tests := map[string]struct {
		path    string
		token   string
		status  int
		errType string
		message string
	}{
		"no token":        {path: "/federation/credentials?account_id=111122223333&role_name=Admin", status: 401, errType: "UnauthorizedException", message: "Session token not found or invalid"},
		"no role":         {path: "/federation/credentials?account_id=111122223333", token: "new-token", status: 400, errType: "InvalidRequestException"},
		"unknown path":    {path: "/assignment/roles", token: "sso-token", status: 404, errType: "UnknownOperationException"},
		"new token works": {path: "/federation/credentials?account_id=111122223333&role_name=Admin", token: "new-token", status: 200},
		"old token":       {path: "/federation/credentials?account_id=111122223333&role_name=Admin", token: "sso-token", status: 401, errType: "UnauthorizedException"},
	}
	srv.SetAccessToken("new-token", time.Time{})
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				req.Header.Set("x-amz-sso_bearer_token", tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Message         string          `json:"message"`
				RoleCredentials json.RawMessage `json:"roleCredentials"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || resp.Header.Get("x-amzn-ErrorType") != tt.errType {
				t.Errorf("got HTTP %d x-amzn-ErrorType %q, want %d %q", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), tt.status, tt.errType)
			}
			if tt.message != "" && body.Message != tt.message {
				t.Errorf("message = %q, want %q", body.Message, tt.message)
			}
			if (tt.status == 200) != (len(body.RoleCredentials) > 0) {
				t.Errorf("roleCredentials present = %v, want %v", len(body.RoleCredentials) > 0, tt.status == 200)
			}
		})
	}
}
