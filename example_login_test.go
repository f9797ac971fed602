package sessioncache_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/ststest"
)

// Processes that share an `aws login` session refresh its credentials
// once: the first finds them expired and refreshes under the lock; the
// next finds the new ones in the token file.
func ExampleNewLoginSessionProvider() {
	const session = "arn:aws:iam::123456789012:user/alice"
	signin := ststest.NewSigninServer(func(o *ststest.SigninOptions) { o.Session = session })
	defer signin.Close()
	dir, err := os.MkdirTemp("", "login")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// What `aws login` left: a token whose credentials have expired.
	provider := func() *sessioncache.LoginSessionProvider {
		return sessioncache.NewLoginSessionProvider(session, func(o *sessioncache.LoginSessionOptions) {
			o.Profile = "console"
			o.CacheDir = filepath.Join(dir, "cache")
			o.Endpoint = signin.URL // else AWS_ENDPOINT_URL_SIGNIN or the region's
		})
	}
	path, _ := provider().Path()
	token, err := signin.SignIn(-time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, token, 0o600); err != nil {
		log.Fatal(err)
	}

	for run := 1; run <= 2; run++ {
		creds, err := provider().Retrieve(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("run %d: account %s, valid for %v, %d refresh call(s) so far\n", run, creds.AccountID,
			time.Until(creds.Expires).Round(time.Minute), signin.Calls("CreateOAuth2Token"))
	}
	// Output:
	// run 1: account 123456789012, valid for 15m0s, 1 refresh call(s) so far
	// run 2: account 123456789012, valid for 15m0s, 1 refresh call(s) so far
}
