//go:build unix

package sessioncache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/ststest"
	"golang.org/x/sys/unix"
)

// lockWithin runs Lock and fails the test if it does not return within d.
func lockWithin(t *testing.T, c *FileCache, key string, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		unlock, err := c.Lock(context.Background(), key)
		if err == nil {
			unlock()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("Lock still blocked after %v", d)
		return nil
	}
}

// otherUID is a user id that is not the current user's.
const otherUID = 54321

func TestLockRefusesWhatOthersPlanted(t *testing.T) {
	const victimText = "do not overwrite\n"
	tests := map[string]struct {
		// plant puts something at lock, in the cache directory dir, and
		// returns the file it must not change (or create), if any.
		plant    func(t *testing.T, dir, lock string) (victim string)
		needRoot bool
	}{
		"a FIFO": {plant: func(t *testing.T, dir, lock string) string {
			if err := unix.Mkfifo(lock, 0o600); err != nil {
				t.Fatal(err)
			}
			return ""
		}},
		"a hard link": {plant: func(t *testing.T, dir, lock string) string {
			victim := filepath.Join(t.TempDir(), "victim")
			if err := os.WriteFile(victim, []byte(victimText), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(victim, lock); err != nil {
				t.Fatal(err)
			}
			return victim
		}},
		"a symbolic link to a file": {plant: func(t *testing.T, dir, lock string) string {
			victim := filepath.Join(t.TempDir(), "victim")
			if err := os.WriteFile(victim, []byte(victimText), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(victim, lock); err != nil {
				t.Fatal(err)
			}
			return victim
		}},
		"a symbolic link to nothing": {plant: func(t *testing.T, dir, lock string) string {
			victim := filepath.Join(t.TempDir(), "created")
			if err := os.Symlink(victim, lock); err != nil {
				t.Fatal(err)
			}
			return victim
		}},
		"another user's file": {needRoot: true, plant: func(t *testing.T, dir, lock string) string {
			if err := os.WriteFile(lock, []byte(victimText), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(lock, otherUID, otherUID); err != nil {
				t.Fatal(err)
			}
			return lock
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if tt.needRoot && os.Geteuid() != 0 {
				t.Skip("making another user's file needs root")
			}
			c := newTestCache(t, nil)
			if err := os.MkdirAll(c.Dir(), 0o700); err != nil {
				t.Fatal(err)
			}
			lock := filepath.Join(c.Dir(), testKey+".lock")
			victim := tt.plant(t, c.Dir(), lock)

			err := lockWithin(t, c, testKey, 5*time.Second)
			if !errors.Is(err, ErrUntrustedEntry) {
				t.Fatalf("Lock error = %v, want one wrapping ErrUntrustedEntry", err)
			}
			if victim != "" {
				b, err := os.ReadFile(victim)
				switch {
				case name == "a symbolic link to nothing" && !errors.Is(err, os.ErrNotExist):
					t.Errorf("Lock created the link's target %s", victim)
				case name != "a symbolic link to nothing" && string(b) != victimText:
					t.Errorf("Lock changed the planted file's target to %q", b)
				}
			}

			// A provider still serves credentials, without the lock.
			p := newTestProvider(&fakeFetcher{key: testKey}, c, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := p.Retrieve(ctx); err != nil {
				t.Errorf("Retrieve: %v", err)
			}
		})
	}
}

func TestLockCreatesNothingInAnUntrustedDirectory(t *testing.T) {
	tests := map[string]struct {
		// setup makes the cache directory dir and returns the directory
		// where a lock file must not appear.
		setup    func(t *testing.T, dir string) string
		needRoot bool
	}{
		"a symbolic link": {setup: func(t *testing.T, dir string) string {
			target := t.TempDir()
			if err := os.Symlink(target, dir); err != nil {
				t.Fatal(err)
			}
			return target
		}},
		"writable by others": {setup: func(t *testing.T, dir string) string {
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o777); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
		"another user's": {needRoot: true, setup: func(t *testing.T, dir string) string {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(dir, otherUID, otherUID); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if tt.needRoot && os.Geteuid() != 0 {
				t.Skip("making another user's directory needs root")
			}
			dir := filepath.Join(t.TempDir(), "cache")
			watched := tt.setup(t, dir)
			c := NewFileCache(dir)
			err := lockWithin(t, c, testKey, 5*time.Second)
			if !errors.Is(err, ErrUntrustedEntry) {
				t.Fatalf("Lock error = %v, want one wrapping ErrUntrustedEntry", err)
			}
			if names, _ := filepath.Glob(filepath.Join(watched, "*")); len(names) != 0 {
				t.Errorf("Lock made %v", names)
			}
		})
	}
}

// TestForeignHolderCannotFreezeExport is the attack the directory check
// stops: the owner of a cache directory holds a lock on the key forever.
func TestForeignHolderCannotFreezeExport(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making another user's directory needs root")
	}
	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := NewFileCache(dir)
	unlock, err := c.Lock(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	// The directory now belongs to someone else, who holds the lock.
	if err := os.Chown(dir, otherUID, otherUID); err != nil {
		t.Fatal(err)
	}
	p := newTestProvider(&fakeFetcher{key: testKey}, NewFileCache(dir), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := p.Retrieve(ctx); err != nil {
		t.Errorf("Retrieve: %v", err)
	}
}

func TestLockTimeoutNamesTheHolder(t *testing.T) {
	setLockWaitNotice(t, 10*time.Millisecond)
	dir := filepath.Join(t.TempDir(), "cache")
	holderCache := NewFileCache(dir)
	srv := ststest.NewServer(func(o *ststest.Options) {
		o.RequireMFA = true
		o.MFACode = testCode
	})
	defer srv.Close()

	// The holder sits at the MFA prompt until the test lets it go.
	prompting := make(chan struct{})
	answer := make(chan string)
	f := NewAssumeRoleFetcher(newSTSClient(srv.URL, nil), testRoleARN, func(o *AssumeRoleOptions) {
		o.SerialNumber = testSerial
		o.TokenProvider = func(context.Context, string) (string, error) {
			close(prompting)
			return <-answer, nil
		}
	})
	held := make(chan error, 1)
	go func() {
		_, err := newTestProvider(f, holderCache, nil).Retrieve(context.Background())
		held <- err
	}()
	<-prompting

	var waitedFor []LockHolder
	c := NewFileCache(dir, func(o *FileCacheOptions) {
		o.LockTimeout = 200 * time.Millisecond
		o.OnWait = func(h LockHolder) { waitedFor = append(waitedFor, h) }
	})
	start := time.Now()
	_, err := c.Lock(context.Background(), f.CacheKey())
	waited := time.Since(start)
	var te *LockTimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Lock error = %v, want a *LockTimeoutError", err)
	}
	if waited < 200*time.Millisecond || waited > 3*time.Second {
		t.Errorf("Lock gave up after %v, want the 200ms timeout", waited)
	}
	wantDoing := "waiting for an MFA code for " + testSerial
	if te.Holder.PID != os.Getpid() || !strings.HasSuffix(te.Holder.Doing, wantDoing) {
		t.Errorf("Holder = %+v, want pid %d %q", te.Holder, os.Getpid(), wantDoing)
	}
	for _, want := range []string{"pid " + strconv.Itoa(os.Getpid()), wantDoing, "gave up after"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if len(waitedFor) != 1 || waitedFor[0] != te.Holder {
		t.Errorf("OnWait got %+v, want once the holder %+v", waitedFor, te.Holder)
	}
	if strings.Contains(err.Error(), testCode) {
		t.Errorf("error %q holds the MFA code", err)
	}

	// The context's deadline ends the wait the same way.
	c = NewFileCache(dir, func(o *FileCacheOptions) { o.LockTimeout = -1 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.Lock(ctx, f.CacheKey())
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || te.Holder.PID != os.Getpid() {
		t.Errorf("Lock error = %v, want a *LockTimeoutError wrapping the deadline", err)
	}

	answer <- testCode
	if err := <-held; err != nil {
		t.Fatalf("the holder's Retrieve: %v", err)
	}
}

func TestProviderFailsWhenTheLockTimesOut(t *testing.T) {
	c := newTestCache(t, nil)
	unlock, err := c.Lock(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	f := &fakeFetcher{key: testKey}
	waiter := NewFileCache(c.Dir(), func(o *FileCacheOptions) { o.LockTimeout = 100 * time.Millisecond })
	_, err = newTestProvider(f, waiter, nil).Retrieve(context.Background())
	var te *LockTimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Retrieve error = %v, want a *LockTimeoutError", err)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("%d fetches after the lock timed out, want none", n)
	}
}
