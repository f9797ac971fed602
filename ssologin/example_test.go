package ssologin_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sessioncache/sessioncache/ssologin"
	"github.com/sessioncache/sessioncache/ststest"
)

// Sign in for an sso-session against a local SSO OIDC service whose user
// approves at once; in real use, cfg comes from config.LoadDefaultConfig.
func ExampleTokenSource_Login() {
	oidc := ststest.NewOIDCServer(func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	defer oidc.Close()
	dir, err := os.MkdirTemp("", "sso-cache-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	cfg := aws.Config{BaseEndpoint: aws.String(oidc.URL)}
	session := ssologin.Session{Name: "corp", StartURL: "https://d-123.awsapps.com/start", Region: "eu-west-1"}
	ts, err := ssologin.NewTokenSource(cfg, session, func(o *ssologin.Options) {
		o.CacheDir = dir
		o.Output = os.Stderr // where the sign-in URL goes
		// A browser the user is signed in to: it follows the redirects.
		o.OpenBrowser = func(url string) error {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := ts.Login(context.Background()); err != nil {
		log.Fatal(err)
	}

	// Later, in any process: the cached token, refreshed when it must be.
	tok, err := ts.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.StartURL, tok.RefreshToken != "")
	// Output: https://d-123.awsapps.com/start true
}
