package ststest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sessioncache/sessioncache/ststest"
)

// A test points the SDK's STS client at the server and assumes a role
// that requires MFA.
func ExampleNewServer() {
	srv := ststest.NewServer(func(o *ststest.Options) {
		o.RequireMFA = true
		o.MFACode = "123456"
		// A fixed clock makes expirations predictable.
		o.Now = func() time.Time { return time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC) }
	})
	defer srv.Close()

	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/admin"),
		RoleSessionName: aws.String("alice"),
		SerialNumber:    aws.String("arn:aws:iam::123456789012:mfa/alice"),
		TokenCode:       aws.String("123456"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*out.AssumedRoleUser.Arn)
	fmt.Println(out.Credentials.Expiration.Format(time.RFC3339))
	fmt.Println("AssumeRole calls:", srv.Calls("AssumeRole"))
	// Output:
	// arn:aws:sts::123456789012:assumed-role/admin/alice
	// 2026-11-28T21:00:00Z
	// AssumeRole calls: 1
}

// A wrong MFA code is refused as real STS refuses it.
func ExampleServer_SetMFACode() {
	srv := ststest.NewServer()
	defer srv.Close()
	srv.SetMFACode("123456")

	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
	_, err := client.GetSessionToken(context.Background(), &sts.GetSessionTokenInput{
		SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/alice"),
		TokenCode:    aws.String("654321"),
	})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		fmt.Printf("%s: %q\n", apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	// Output:
	// AccessDenied: "MultiFactorAuthentication failed with invalid MFA one time pass code. "
}

// FailNext makes the SDK retry: two throttled attempts, then success.
func ExampleServer_FailNext() {
	srv := ststest.NewServer()
	defer srv.Close()
	srv.FailNext(2, "Throttling", "Rate exceeded", http.StatusBadRequest)

	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		// Short backoffs keep retry tests fast.
		Retryer: retry.AddWithMaxBackoffDelay(retry.NewStandard(), 10*time.Millisecond),
	})
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*out.Arn)
	for _, r := range srv.Requests() {
		fmt.Printf("%s %q\n", r.Action, r.ErrorCode)
	}
	// Output:
	// arn:aws:iam::123456789012:user/test
	// GetCallerIdentity "Throttling"
	// GetCallerIdentity "Throttling"
	// GetCallerIdentity ""
}

// The SSO portal turns an access token into role credentials, which the
// linked STS then knows.
func ExampleNewSSOServer() {
	stsSrv := ststest.NewServer()
	defer stsSrv.Close()
	ssoSrv := ststest.NewSSOServer(func(o *ststest.SSOOptions) {
		o.AccessToken = "token-from-sso-login"
		o.STS = stsSrv
	})
	defer ssoSrv.Close()

	ctx := context.Background()
	portal := sso.New(sso.Options{Region: "us-east-1", BaseEndpoint: aws.String(ssoSrv.URL)})
	out, err := portal.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
		AccessToken: aws.String("token-from-sso-login"),
		AccountId:   aws.String("111122223333"),
		RoleName:    aws.String("ReadOnly"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rc := out.RoleCredentials
	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(stsSrv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(*rc.AccessKeyId, *rc.SecretAccessKey, *rc.SessionToken),
	})
	id, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*id.Account)
	fmt.Println("GetRoleCredentials calls:", ssoSrv.Calls("GetRoleCredentials"))
	// Output:
	// 111122223333
	// GetRoleCredentials calls: 1
}
