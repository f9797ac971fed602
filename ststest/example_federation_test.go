package ststest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sessioncache/sessioncache/ststest"
)

// A test of a console sign-in assumes a role at the local STS and asks
// the local federation endpoint for a sign-in token for that session.
func ExampleNewFederationServer() {
	srv := ststest.NewServer()
	defer srv.Close()
	fed := ststest.NewFederationServer(srv)
	defer fed.Close()

	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/admin"),
		RoleSessionName: aws.String("alice"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	session, _ := json.Marshal(map[string]string{
		"sessionId":    *out.Credentials.AccessKeyId,
		"sessionKey":   *out.Credentials.SecretAccessKey,
		"sessionToken": *out.Credentials.SessionToken,
	})
	resp, err := http.Get(fed.URL + "/federation?" + url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}.Encode())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var answer struct{ SigninToken string }
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		fmt.Println(err)
		return
	}
	arn, ok := fed.SigninIdentity(answer.SigninToken)
	fmt.Println(resp.StatusCode, ok, arn)
	// Output:
	// 200 true arn:aws:sts::123456789012:assumed-role/admin/alice
}

// A server that verifies signatures takes only requests signed with the
// secrets it knows.
func ExampleVerifySignature() {
	srv := ststest.NewServer(func(o *ststest.Options) {
		o.VerifySignatures = true
		o.Secrets = map[string]string{"AKIDEXAMPLE": "secret"}
	})
	defer srv.Close()
	for _, secret := range []string{"secret", "guessed"} {
		client := sts.New(sts.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(srv.URL),
			Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", secret, ""),
		})
		if _, err := client.GetCallerIdentity(context.Background(), nil); err != nil {
			fmt.Println(secret+":", apiCode(err))
			continue
		}
		fmt.Println(secret + ": signed")
	}
	// Output:
	// secret: signed
	// guessed: SignatureDoesNotMatch
}
