package ststest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"

	"github.com/sessioncache/sessioncache/ststest"
)

// A test runs the device flow of its own sign-in code against the local
// SSO OIDC service, and plays the user who approves the code.
func ExampleNewOIDCServer() {
	srv := ststest.NewOIDCServer()
	defer srv.Close()
	ctx := context.Background()
	client := ssooidc.New(ssooidc.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL)})

	reg, err := client.RegisterClient(ctx, &ssooidc.RegisterClientInput{
		ClientName: aws.String("my-tool"),
		ClientType: aws.String("public"),
		Scopes:     []string{"sso:account:access"},
	})
	if err != nil {
		log.Fatal(err)
	}
	da, err := client.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId:     reg.ClientId,
		ClientSecret: reg.ClientSecret,
		StartUrl:     aws.String("https://d-123.awsapps.com/start"),
	})
	if err != nil {
		log.Fatal(err)
	}
	in := &ssooidc.CreateTokenInput{
		GrantType:    aws.String("urn:ietf:params:oauth:grant-type:device_code"),
		ClientId:     reg.ClientId,
		ClientSecret: reg.ClientSecret,
		DeviceCode:   da.DeviceCode,
	}
	_, err = client.CreateToken(ctx, in)
	var pending *types.AuthorizationPendingException
	fmt.Println("before approval, pending:", errors.As(err, &pending))

	if err := srv.Approve(aws.ToString(da.UserCode)); err != nil {
		log.Fatal(err)
	}
	// A client waits Interval seconds between polls; one that polls
	// sooner is told to slow down.
	time.Sleep(time.Duration(da.Interval) * time.Second)
	tok, err := client.CreateToken(ctx, in)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("after approval, refresh token:", aws.ToString(tok.RefreshToken) != "")
	// Output:
	// before approval, pending: true
	// after approval, refresh token: true
}
