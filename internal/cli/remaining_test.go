package cli

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// TestRequireRemaining covers what the role's settings cannot foretell:
// credentials that, even just fetched, leave less than asked.
func TestRequireRemaining(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	defer func(f func() time.Time) { timeNow = f }(timeNow)
	timeNow = func() time.Time { return now }
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_DEFAULT_PROFILE", "")
	tests := map[string]struct {
		min     time.Duration
		creds   aws.Credentials
		wantErr bool
	}{
		"exactly enough":         {time.Hour, aws.Credentials{CanExpire: true, Expires: now.Add(time.Hour)}, false},
		"one nanosecond less":    {time.Hour, aws.Credentials{CanExpire: true, Expires: now.Add(time.Hour - 1)}, true},
		"keys that never expire": {time.Hour, aws.Credentials{}, false},
		"no minimum":             {0, aws.Credentials{CanExpire: true, Expires: now.Add(time.Minute)}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := &globals{profile: "admin", minRemaining: tt.min}
			err := g.requireRemaining(tt.creds)
			if (err != nil) != tt.wantErr {
				t.Fatalf("requireRemaining: %v, want error: %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), `profile "admin": the credentials have 59m left, less than --min-remaining 1h0m0s`) {
				t.Errorf("error = %q", err)
			}
		})
	}
}
