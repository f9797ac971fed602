//go:build unix

package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mode returns the permission bits of path, not following a link.
func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func TestNewFilesArePrivateUnderAnyUmask(t *testing.T) {
	for _, umask := range []int{0o000, 0o002, 0o022, 0o077} {
		t.Run(fmt.Sprintf("umask %03o", umask), func(t *testing.T) {
			// The umask is the process's: no other test runs meanwhile.
			old := syscall.Umask(umask)
			defer syscall.Umask(old)

			root := t.TempDir()
			dir := filepath.Join(root, "home", ".aws", "cli", "cache")
			c := NewFileCache(dir)
			unlock, err := c.Lock(context.Background(), testKey)
			if err != nil {
				t.Fatal(err)
			}
			putEntry(t, c, testKey, testEntry("ASIANEW", time.Now().Add(time.Hour)))
			unlock()

			for path, want := range map[string]os.FileMode{
				filepath.Join(root, "home"):                0o700,
				filepath.Join(root, "home", ".aws"):        0o700,
				filepath.Join(root, "home", ".aws", "cli"): 0o700,
				dir:                                 0o700,
				c.Path(testKey):                     0o600,
				filepath.Join(dir, testKey+".lock"): 0o600,
			} {
				if got := mode(t, path); got != want {
					t.Errorf("%s: mode %04o, want %04o", strings.TrimPrefix(path, root), got, want)
				}
			}
		})
	}
}

func TestEntryOthersCanReadIsTightenedOnRead(t *testing.T) {
	for _, perm := range []os.FileMode{0o644, 0o640, 0o604, 0o400} {
		t.Run(fmt.Sprintf("%04o", perm), func(t *testing.T) {
			c := newTestCache(t, nil)
			putEntry(t, c, testKey, testEntry("ASIAOLD", time.Now().Add(time.Hour)))
			if err := os.Chmod(c.Path(testKey), perm); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Get(testKey); err != nil {
				t.Fatalf("Get: %v", err)
			}
			want := os.FileMode(0o600)
			if perm&0o077 == 0 {
				want = perm // only the owner's bits: left as they are
			}
			if got := mode(t, c.Path(testKey)); got != want {
				t.Errorf("mode after a read %04o, want %04o", got, want)
			}
		})
	}
}

func TestUntrustedEntriesAreMissesWithWarning(t *testing.T) {
	tests := map[string]struct {
		root  bool // needs to give a file away
		plant func(t *testing.T, c *FileCache)
	}{
		"entry owned by another user": {root: true, plant: func(t *testing.T, c *FileCache) {
			chown(t, c.Path(testKey))
		}},
		"directory owned by another user": {root: true, plant: func(t *testing.T, c *FileCache) {
			chown(t, c.Dir())
		}},
		"world-writable entry": {plant: func(t *testing.T, c *FileCache) {
			chmod(t, c.Path(testKey), 0o602)
		}},
		"symlinked entry": {plant: func(t *testing.T, c *FileCache) {
			elsewhere := filepath.Join(t.TempDir(), "planted.json")
			if err := os.Rename(c.Path(testKey), elsewhere); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(elsewhere, c.Path(testKey)); err != nil {
				t.Fatal(err)
			}
		}},
		"group-writable directory of another group": {root: true, plant: func(t *testing.T, c *FileCache) {
			chgrp(t, c.Dir())
			chmod(t, c.Dir(), 0o770)
		}},
		"group-writable entry of another group": {root: true, plant: func(t *testing.T, c *FileCache) {
			chgrp(t, c.Path(testKey))
			chmod(t, c.Path(testKey), 0o660)
		}},
		"world-writable directory": {plant: func(t *testing.T, c *FileCache) {
			chmod(t, c.Dir(), 0o777)
		}},
		"world-writable sticky directory": {plant: func(t *testing.T, c *FileCache) {
			chmod(t, c.Dir(), 0o777|os.ModeSticky)
		}},
		"symlinked directory": {plant: func(t *testing.T, c *FileCache) {
			elsewhere := filepath.Join(t.TempDir(), "planted")
			if err := os.Rename(c.Dir(), elsewhere); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(elsewhere, c.Dir()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if tt.root && os.Geteuid() != 0 {
				t.Skip("giving a file to another user needs root")
			}
			logger, logs := newLogger()
			c := newTestCache(t, logger)
			putEntry(t, c, testKey, testEntry("ASIAPLANTED", time.Now().Add(time.Hour)))
			tt.plant(t, c)

			_, err := c.Get(testKey)
			if !errors.Is(err, ErrUntrustedEntry) {
				t.Fatalf("Get error = %v, want ErrUntrustedEntry", err)
			}
			w := logs.warnings()
			if len(w) != 1 || !strings.Contains(w[0], "not using the cached credentials") {
				t.Errorf("warnings %q, want one", w)
			}
			// The warning says what to do about it.
			if len(w) == 1 && !strings.Contains(w[0], "chmod ") && !strings.Contains(w[0], "rm ") && !strings.Contains(w[0], "of your own") && !strings.Contains(w[0], "of its own") {
				t.Errorf("warning %q does not say how to fix it", w[0])
			}

			f := &fakeFetcher{key: testKey}
			creds, err := newTestProvider(f, c, logger).Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if creds.AccessKeyID == "ASIAPLANTED" || f.calls.Load() != 1 {
				t.Errorf("Retrieve served the untrusted entry (%d fetches)", f.calls.Load())
			}
			// A run reads the entry several times; it warns once.
			if w := logs.warnings(); len(w) != 1 {
				t.Errorf("%d warnings after Retrieve, want the first one only: %q", len(w), w)
			}
		})
	}
}

func chown(t *testing.T, path string) {
	t.Helper()
	if err := os.Lchown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
}

func chgrp(t *testing.T, path string) {
	t.Helper()
	if err := os.Lchown(path, -1, 65534); err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, path string, m os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, m); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(path, 0o700) })
}

func TestWritesNeverFollowPlantedSymlinks(t *testing.T) {
	tests := map[string]struct {
		suffix       string
		targetExists bool
	}{
		"entry link to an existing file": {suffix: ".json", targetExists: true},
		"entry link to nothing":          {suffix: ".json"},
		"lock link to an existing file":  {suffix: ".lock", targetExists: true},
		"lock link to nothing":           {suffix: ".lock"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := newTestCache(t, nil)
			if err := os.MkdirAll(c.Dir(), 0o700); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(t.TempDir(), "x", "target")
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				t.Fatal(err)
			}
			const content = "precious\n"
			if tt.targetExists {
				if err := os.WriteFile(target, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			link := filepath.Join(c.Dir(), testKey+tt.suffix)
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}

			f := &fakeFetcher{key: testKey}
			if _, err := newTestProvider(f, c, nil).Retrieve(context.Background()); err != nil {
				t.Fatal(err)
			}
			putEntry(t, c, testKey, testEntry("ASIASECOND", time.Now().Add(time.Hour)))

			b, err := os.ReadFile(target)
			switch {
			case tt.targetExists && (err != nil || string(b) != content):
				t.Errorf("the link's target changed: %q (%v)", b, err)
			case tt.targetExists && mode(t, target) != 0o644:
				t.Errorf("the link's target's mode changed to %04o", mode(t, target))
			case !tt.targetExists && !errors.Is(err, os.ErrNotExist):
				t.Errorf("the link's target was created (%v)", err)
			}
			if info, err := os.Lstat(c.Path(testKey)); err != nil || !info.Mode().IsRegular() {
				t.Errorf("the entry is not a regular file after the write (%v)", err)
			}
		})
	}
}

func TestSpecialFileInEntryPlaceDoesNotBlock(t *testing.T) {
	c := newTestCache(t, nil)
	if err := os.MkdirAll(c.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	// Opening a FIFO for reading would wait for a writer forever.
	if err := unix.Mkfifo(c.Path(testKey), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	f := &fakeFetcher{key: testKey}
	go func() {
		_, err := newTestProvider(f, c, nil).Retrieve(context.Background())
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Retrieve blocked on a FIFO in the entry's place")
	}
	if e, err := c.Get(testKey); err != nil || e.Credentials.AccessKeyID != "ASIAFETCHED00000001" {
		t.Errorf("the FIFO was not replaced by the fetched entry: %v", err)
	}
}

func TestSetRefusesAnUntrustedDirectory(t *testing.T) {
	target := t.TempDir()
	link := filepath.Join(t.TempDir(), "cache")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	e := &Entry{Credentials: EntryCredentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "s", SessionToken: "t", Expiration: time.Now().Add(time.Hour)}}
	err := NewFileCache(link).Set(testKey, e)
	if !errors.Is(err, ErrUntrustedEntry) {
		t.Errorf("Set through a linked directory: error %v, want ErrUntrustedEntry", err)
	}
	if names, _ := os.ReadDir(target); len(names) != 0 {
		t.Errorf("Set wrote %d files through the link", len(names))
	}
}
