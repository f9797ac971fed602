package cli

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache"
)

func TestClearExpiredKeepsASessionRefreshedMeanwhile(t *testing.T) {
	home := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	dir := filepath.Join(home, "cache")
	cache := sessioncache.NewFileCache(dir)
	const key = "0123456789abcdef0123456789abcdef01234567"
	entry := func(akid string, exp time.Time) *sessioncache.Entry {
		return &sessioncache.Entry{Credentials: sessioncache.EntryCredentials{
			AccessKeyID: akid, SecretAccessKey: "fake-secret", SessionToken: "fake-token", Expiration: exp,
		}}
	}
	if err := cache.Set(key, entry("ASIAEXPIREDEXAMPLE01", time.Now().Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	// Another process refreshes the session after clear has read the
	// cache.
	old := testHookAfterRows
	testHookAfterRows = func() {
		if err := cache.Set(key, entry("ASIAFRESHEXAMPLE0001", time.Now().Add(time.Hour))); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookAfterRows = old })

	g := &globals{cacheDir: dir, stderr: io.Discard}
	var out bytes.Buffer
	if err := runClear(context.Background(), g, clearSelector{expired: true}, &out); err != nil {
		t.Fatal(err)
	}
	e, err := cache.Get(key)
	if err != nil || e.Credentials.AccessKeyID != "ASIAFRESHEXAMPLE0001" {
		t.Fatalf("after clear --expired, Get = %v; want the refreshed session kept", err)
	}
	if !strings.HasPrefix(out.String(), "No expired cache entries") {
		t.Errorf("clear said %q, want that it removed nothing", out.String())
	}
}
