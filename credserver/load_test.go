package credserver

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Load serves a cached session the AWS CLI would use as it is: with 17
// minutes left, no STS call, where Refresh would fetch a new one.
func TestLoadServesCachedSession(t *testing.T) {
	r := newCachedRole(t, time.Now().Add(17*time.Minute).Truncate(time.Second))
	s, hs := newServer(t, r.creds)
	err := s.Load(context.Background())
	var stale *StaleError
	if !errors.As(err, &stale) {
		t.Fatalf("Load = %v, want a *StaleError: the session is within the refresh window", err)
	}
	if n := r.sts.Calls("AssumeRole"); n != 0 {
		t.Errorf("STS answered %d AssumeRole calls, want 0", n)
	}
	c, err := endpointProvider(hs.URL+"/", testToken).Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != r.old.Credentials.AccessKeyID {
		t.Errorf("served key %s, want the cached %s", c.AccessKeyID, r.old.Credentials.AccessKeyID)
	}
}
