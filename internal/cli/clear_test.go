package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
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

// TestMistakenCacheDirKeepsFileModes: list and clear pointed at a
// directory of another program's files leave those files as they were,
// their modes too; only a file that holds an entry is tightened to 0600.
func TestMistakenCacheDirKeepsFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows files have no Unix modes")
	}
	home := emptyHome(t)
	dir := filepath.Join(home, "project")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"package.json": `{"name": "web"}`,
		"0123456789abcdef0123456789abcdef01234567.json": `{"name": "named like an entry"}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const entryName = "abababababababababababababababababababab.json"
	entry := `{"Credentials": {"AccessKeyId": "ASIAEXAMPLEEXAMPLE01", "SecretAccessKey": "fake-secret", "SessionToken": "fake-token", "Expiration": "2099-01-01T18:18:38Z"}}`
	if err := os.WriteFile(filepath.Join(dir, entryName), []byte(entry), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, entryName), 0o644); err != nil {
		t.Fatal(err)
	}
	mode := func(name string) os.FileMode {
		t.Helper()
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return info.Mode().Perm()
	}
	for _, args := range [][]string{{"list"}, {"clear", "--expired"}} {
		var out, errOut bytes.Buffer
		if code := Main(append(args, "--cache-dir", dir), strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("%v: %s", args, errOut.String())
		}
		for name := range files {
			if got := mode(name); got != 0o644 {
				t.Errorf("after %v, %s has mode %04o, want 0644 as it was", args, name, got)
			}
		}
	}
	if got := mode(entryName); got != 0o600 {
		t.Errorf("a cache entry others could read has mode %04o after list, want 0600", got)
	}
}

// TestClearGoesOnPastALockedEntry: an entry whose lock another process
// holds (a refresh waiting for a code) is left, and said to be, once the
// lock timeout has passed; the other entries go all the same, and the
// status says that not everything went.
func TestClearGoesOnPastALockedEntry(t *testing.T) {
	home := emptyHome(t)
	dir := filepath.Join(home, "cache")
	cache := sessioncache.NewFileCache(dir)
	const locked, free = "0000000000000000000000000000000000000001", "ffffffffffffffffffffffffffffffffffffffff"
	for _, key := range []string{locked, free} {
		e := &sessioncache.Entry{Credentials: sessioncache.EntryCredentials{
			AccessKeyID: "ASIAEXAMPLEEXAMPLE01", SecretAccessKey: "fake-secret", SessionToken: "fake-token", Expiration: time.Now().Add(time.Hour),
		}}
		if err := cache.Set(key, e); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := cache.Lock(context.Background(), locked)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	var out, errOut bytes.Buffer
	code := Main([]string{"clear", "--all", "--cache-dir", dir, "--lock-timeout", "100ms"}, strings.NewReader(""), &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "left 1 cache entry that another process holds") {
		t.Errorf("status %d, stderr %q; want 1 and that one entry was left in use", code, errOut.String())
	}
	if !regexp.MustCompile(`(?m)^left +- +`+locked+`\.json +\(in use by `).MatchString(out.String()) || !strings.Contains(out.String(), "Removed 1 cache entry") {
		t.Errorf("clear said:\n%s\nwant the locked entry left and the other removed", out.String())
	}
	if _, err := os.Stat(cache.Path(locked)); err != nil {
		t.Errorf("the locked entry is gone: %v", err)
	}
	if _, err := os.Stat(cache.Path(free)); !os.IsNotExist(err) {
		t.Errorf("the entry no one held is still there (%v)", err)
	}
}

// emptyHome is a HOME with no AWS files, and no cache directory set in
// the environment.
func emptyHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	t.Setenv("SESSIONCACHE_DIR", "")
	return home
}
