package cli

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/loginsession"
	"github.com/sessioncache/sessioncache/ststest"
)

const demoLoginARN = "arn:aws:iam::123456789012:user/demo-user"

// demoLogin shows ten programs find the credentials of an `aws login`
// session expired, and one refresh serve them all; a local sign-in
// service stands in for AWS's.
func demoLogin(ctx context.Context, w io.Writer, st style, tilde func(string) string) error {
	fmt.Fprintf(w, "%s\n", st.bold("8. An aws login session whose credentials have expired: ten programs at once, one refresh"))
	signin := ststest.NewSigninServer(func(o *ststest.SigninOptions) { o.Session = demoLoginARN })
	defer signin.Close()
	dir, err := loginsession.DefaultDir()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	data, err := signin.SignIn(-time.Minute)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	tok, err := loginsession.Parse(data)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	path := loginsession.Path(dir, demoLoginARN)
	if err := loginsession.Write(path, tok, nil); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	keys := make([]string, 10)
	errs := make([]error, 10)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			p := sessioncache.NewLoginSessionProvider(demoLoginARN, func(o *sessioncache.LoginSessionOptions) {
				o.Profile = "demo-console"
				o.Endpoint = signin.URL
			})
			creds, err := p.Retrieve(ctx)
			keys[i], errs[i] = creds.AccessKeyID, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	same := 0
	for _, k := range keys {
		if k == keys[0] {
			same++
		}
	}
	fmt.Fprintf(w, "   %s\n", st.dim(tilde(path)+" (rewritten whole, mode 0600, idToken and accountId kept)"))
	fmt.Fprintf(w, "   %d of 10 got %s %s\n\n", same, maskKeyID(keys[0]), st.dim(fmt.Sprintf("(sign-in service refresh calls: %d)", signin.Calls("CreateOAuth2Token"))))
	return nil
}
