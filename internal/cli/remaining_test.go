package cli

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/ststest"
)

// TestMinRemainingSharesOneRefresh starts many exports together, each as
// a new process would, on a session with less left than they ask for:
// one calls STS, and all get the session it cached.
func TestMinRemainingSharesOneRefresh(t *testing.T) {
	statusHome(t, time.Now().Add(30*time.Minute))
	srv := ststest.NewServer(func(o *ststest.Options) { o.RequireMFA = true })
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	const n = 8
	keys := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			g := &globals{profile: "admin", mfaToken: "123456", minRemaining: 45 * time.Minute, stderr: io.Discard}
			creds, err := g.credentials(context.Background())
			if err == nil {
				err = g.requireRemaining(creds)
			}
			keys[i], errs[i] = creds.AccessKeyID, err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("export %d: %v", i, errs[i])
		}
		if keys[i] != keys[0] || keys[i] == "ASIAEXAMPLEEXAMPLE01" {
			t.Fatalf("export %d got key %s, export 0 got %s; want one new session for all", i, keys[i], keys[0])
		}
	}
	if got := srv.Calls("AssumeRole"); got != 1 {
		t.Errorf("STS answered %d AssumeRole calls; want 1", got)
	}
}
