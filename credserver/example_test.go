package credserver_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/sessioncache/sessioncache/credserver"
)

// A program serves the credentials of a provider on a loopback port, and
// another (here the SDK's own container credentials client) fetches them
// with the URL and the token, as it would from
// AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// In a real program: cfg.Credentials of a sessioncache Loader, set up
	// as the package documentation shows.
	provider := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{
			AccessKeyID: "ASIAEXAMPLEEXAMPLE01", SecretAccessKey: "not-a-secret", SessionToken: "not-a-token",
			CanExpire: true, Expires: time.Now().Add(time.Hour),
		}, nil
	})
	token, err := credserver.NewToken()
	if err != nil {
		log.Fatal(err)
	}
	srv, err := credserver.New(provider, token)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Load(ctx); err != nil {
		log.Fatal(err)
	}
	go srv.Run(ctx)
	go srv.Serve(ctx, ln)

	url := "http://" + ln.Addr().String() + "/"
	client := endpointcreds.New(url, func(o *endpointcreds.Options) { o.AuthorizationToken = token })
	creds, err := client.Retrieve(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(creds.AccessKeyID)
	// Output: ASIAEXAMPLEEXAMPLE01
}

// New takes functional options: here another path, and a longer refresh
// window for a person who may be slow to answer an MFA prompt.
func ExampleNew() {
	provider := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "not-a-secret"}, nil
	})
	token, _ := credserver.NewToken()
	_, err := credserver.New(provider, token, func(o *credserver.Options) {
		o.Path = "/credentials"
		o.RefreshWindow = 30 * time.Minute
	})
	fmt.Println(err)
	// Output: <nil>
}
