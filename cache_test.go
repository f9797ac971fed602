package sessioncache

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "0123456789abcdef0123456789abcdef01234567"

// tempFiles returns the names of the temporary files in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

func TestSetWritesPrivateFileThroughExclusiveTemp(t *testing.T) {
	c := newTestCache(t, nil)
	var temps []string
	old := testHookWriteStep
	testHookWriteStep = func(step string) {
		if step != "create" {
			return
		}
		for _, name := range tempFiles(t, c.Dir()) {
			info, err := os.Lstat(filepath.Join(c.Dir(), name))
			if err != nil {
				t.Fatal(err)
			}
			if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
				t.Errorf("temporary file mode %04o, want 0600", info.Mode().Perm())
			}
			temps = append(temps, name)
		}
	}
	defer func() { testHookWriteStep = old }()

	for _, akid := range []string{"ASIAFIRST", "ASIASECOND"} {
		putEntry(t, c, testKey, testEntry(akid, time.Now().Add(time.Hour)))
	}
	if len(temps) != 2 || temps[0] == temps[1] {
		t.Fatalf("temporary files %q, want two with different names", temps)
	}
	for _, name := range temps {
		if !strings.HasPrefix(name, testKey+".json.") {
			t.Errorf("temporary file %q is not beside the entry", name)
		}
	}
	if left := tempFiles(t, c.Dir()); len(left) != 0 {
		t.Errorf("temporary files left after a write: %q", left)
	}
	e, err := c.Get(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if e.Credentials.AccessKeyID != "ASIASECOND" {
		t.Errorf("AccessKeyID = %q, want the last written", e.Credentials.AccessKeyID)
	}
}

func TestConcurrentWritersNeverTearAnEntry(t *testing.T) {
	c := newTestCache(t, nil)
	putEntry(t, c, testKey, testEntry("ASIAWRITER0", time.Now().Add(time.Hour)))
	// Padding makes a torn write likely to show if writes were in place.
	big := func(akid string) *Entry {
		e := testEntry(akid, time.Now().Add(time.Hour))
		e.AssumedRoleUser.AssumedRoleID = strings.Repeat("x", 64<<10)
		return e
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	var reads, bad int
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			e, err := c.Get(testKey)
			reads++
			if err != nil || !strings.HasPrefix(e.Credentials.AccessKeyID, "ASIAWRITER") {
				bad++
			}
		}
	})
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for range 25 {
				if err := c.Set(testKey, big("ASIAWRITER"+string(rune('1'+w)))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	if bad != 0 {
		t.Errorf("%d of %d reads saw a missing or partial entry", bad, reads)
	}
	if left := tempFiles(t, c.Dir()); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func TestCrashedWriterLeavesTheOldEntry(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a process cannot kill itself mid-call on Windows the way the helper does")
	}
	for _, step := range []string{"create", "write", "sync", "close"} {
		t.Run("killed after "+step, func(t *testing.T) {
			c := newTestCache(t, nil)
			putEntry(t, c, testKey, testEntry("ASIAOLD", time.Now().Add(time.Hour)))
			before, err := os.ReadFile(c.Path(testKey))
			if err != nil {
				t.Fatal(err)
			}

			h := startHelper(t, "crash-write", envHelperDir+"="+c.Dir(), envHelperKey+"="+testKey, envHelperStep+"="+step)
			h.stdin.Close()
			err = h.cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Exited() {
				t.Fatalf("the writer was not killed: %v", err)
			}

			after, err := os.ReadFile(c.Path(testKey))
			if err != nil || !bytes.Equal(before, after) {
				t.Fatalf("the old entry changed (%v)", err)
			}
			e, err := c.Get(testKey)
			if err != nil || e.Credentials.AccessKeyID != "ASIAOLD" {
				t.Fatalf("Get after the crash: %v", err)
			}
			left := tempFiles(t, c.Dir())
			if len(left) != 1 {
				t.Fatalf("temporary files %q, want the crashed writer's one", left)
			}
			listed, err := c.List()
			if err != nil || len(listed) != 1 || listed[0].Key != testKey {
				t.Errorf("List = %v (%v), want only the entry", listed, err)
			}

			// A fresh leftover may be a live writer's: the next write keeps it.
			putEntry(t, c, testKey, testEntry("ASIANEXT", time.Now().Add(time.Hour)))
			if got := tempFiles(t, c.Dir()); !slices.Equal(got, left) {
				t.Errorf("temporary files after the next write %q, want %q kept", got, left)
			}
			// Ten minutes on, it is a crashed writer's: the next write removes it.
			setClock(t, time.Now().Add(staleTempAge+time.Minute))
			putEntry(t, c, testKey, testEntry("ASIALAST", time.Now().Add(time.Hour)))
			if got := tempFiles(t, c.Dir()); len(got) != 0 {
				t.Errorf("temporary files after a write ten minutes on: %q, want none", got)
			}
		})
	}
}

func TestStaleTemporaryFilesAreRemovedOnWrite(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		name        string
		age         time.Duration
		dir         bool
		wantRemoved bool
	}{
		"ours, ten minutes old is kept":           {name: testKey + ".json.0011223344556677.tmp", age: staleTempAge},
		"ours, a nanosecond older is removed":     {name: testKey + ".json.0011223344556677.tmp", age: staleTempAge + 1, wantRemoved: true},
		"ours, an hour old is removed":            {name: testKey + ".json.0011223344556677.tmp", age: time.Hour, wantRemoved: true},
		"ours, just written is kept":              {name: testKey + ".json.0011223344556677.tmp", age: 0},
		"botocore's, an hour old is removed":      {name: "tmpk2j4_x9a.tmp", age: time.Hour, wantRemoved: true},
		"botocore's, a minute old is kept":        {name: "tmpk2j4_x9a.tmp", age: time.Minute},
		"a directory is never removed":            {name: "old.tmp", age: time.Hour, dir: true},
		"another key's stale file is removed too": {name: "ffff.json.0011223344556677.tmp", age: time.Hour, wantRemoved: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			setClock(t, now)
			c := newTestCache(t, nil)
			if err := os.MkdirAll(c.Dir(), 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(c.Dir(), tt.name)
			var err error
			if tt.dir {
				err = os.Mkdir(path, 0o700)
			} else {
				err = os.WriteFile(path, []byte(`{"Credentials": {"AccessKeyId": "ASIAPART`), 0o600)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, now.Add(-tt.age), now.Add(-tt.age)); err != nil {
				t.Fatal(err)
			}
			putEntry(t, c, testKey, testEntry("ASIANEW", now.Add(time.Hour)))
			_, err = os.Lstat(path)
			if removed := errors.Is(err, fs.ErrNotExist); removed != tt.wantRemoved {
				t.Errorf("removed = %v, want %v", removed, tt.wantRemoved)
			}
		})
	}
}

// breakDir makes writes into dir fail as the named failure does, or skips
// the test when this machine cannot arrange it.
func breakDir(t *testing.T, failure, dir string) {
	t.Helper()
	switch failure {
	case "read-only directory":
		if os.Geteuid() != 0 {
			if err := os.Chmod(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
			return
		}
		// Root writes through mode bits: remount the test's file system.
		if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
			t.Skipf("cannot make %s read-only as root: mount: %v: %s", dir, err, out)
		}
	case "disk full":
		// Take every block left; the lock file has its pid already.
		f, err := os.Create(filepath.Join(dir, "filler"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		block := make([]byte, 4096)
		for {
			if _, err := f.Write(block); err != nil {
				break
			}
		}
	}
}

// mountTmpfs mounts a small tmpfs on a new directory, or skips the test.
func mountTmpfs(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("a full or read-only file system is made with a Linux tmpfs")
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs to fill or make read-only needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func TestFailedWriteKeepsEntryAndCredentials(t *testing.T) {
	tests := map[string]struct {
		tmpfs bool // needs its own file system
	}{
		"read-only directory":              {tmpfs: os.Geteuid() == 0},
		"disk full":                        {tmpfs: true},
		"a directory in the entry's place": {},
	}
	for failure, tt := range tests {
		t.Run(failure, func(t *testing.T) {
			if runtime.GOOS == "windows" {
				t.Skip("Windows has no read-only directories by mode")
			}
			dir := filepath.Join(t.TempDir(), "cache")
			if tt.tmpfs {
				dir = mountTmpfs(t)
			}
			logger, logs := newLogger()
			c := NewFileCache(dir, func(o *FileCacheOptions) { o.Logger = logger })
			f := &fakeFetcher{key: testKey}
			hasOld := failure != "a directory in the entry's place"
			if hasOld {
				// Good, but too close to its expiry to serve: Retrieve fetches.
				putEntry(t, c, testKey, testEntry("ASIAOLD", time.Now().Add(5*time.Minute)))
			} else if err := os.MkdirAll(c.Path(testKey), 0o700); err != nil {
				t.Fatal(err)
			}
			unlock, err := c.Lock(context.Background(), testKey)
			if err != nil {
				t.Fatal(err)
			}
			unlock()
			before, _ := os.ReadFile(c.Path(testKey))
			breakDir(t, failure, dir)

			if err := c.Set(testKey, testEntry("ASIANEW", time.Now().Add(time.Hour))); err == nil {
				t.Fatal("Set succeeded")
			}
			p := newTestProvider(f, c, logger)
			for i := range 2 {
				creds, err := p.Retrieve(context.Background())
				if err != nil {
					t.Fatalf("Retrieve %d: %v", i, err)
				}
				if !strings.HasPrefix(creds.AccessKeyID, "ASIAFETCHED") {
					t.Errorf("Retrieve %d returned %q, want the fetched credentials", i, creds.AccessKeyID)
				}
			}
			if n := f.calls.Load(); n != 2 {
				t.Errorf("%d fetches, want 2", n)
			}
			if w := logs.warnings(); len(w) != 1 || !strings.Contains(w[0], "could not save the new credentials") {
				t.Errorf("warnings %q, want one about the write", w)
			}
			if w := logs.warnings(); !hasOld && len(w) == 1 && !strings.Contains(w[0], "is a directory, so nothing is cached") {
				t.Errorf("warning %q does not say that a directory is in the entry's place", w[0])
			}
			if hasOld {
				after, err := os.ReadFile(c.Path(testKey))
				if err != nil || !bytes.Equal(before, after) {
					t.Errorf("the old entry changed (%v)", err)
				}
				if e, err := c.Get(testKey); err != nil || e.Credentials.AccessKeyID != "ASIAOLD" {
					t.Errorf("the old entry no longer reads: %v", err)
				}
			}
			if left := tempFiles(t, dir); len(left) != 0 {
				t.Errorf("temporary files left: %q", left)
			}
		})
	}
}

func TestListSkipsWhatIsNotAnEntry(t *testing.T) {
	c := newTestCache(t, nil)
	exp := time.Now().Add(time.Hour)
	for _, key := range []string{"bbbb", "aaaa", "cccc"} {
		putEntry(t, c, key, testEntry("ASIA"+strings.ToUpper(key), exp))
	}
	for name, data := range map[string]string{
		"dddd.json":                      "not json",
		"aaaa.lock":                      "123\n",
		"aaaa.json.0011223344556677.tmp": "{",
		"notes.txt":                      "hello",
		".json":                          "{}",
	} {
		if err := os.WriteFile(filepath.Join(c.Dir(), name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(c.Dir(), "eeee.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	got, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, le := range got {
		keys = append(keys, le.Key)
		switch {
		case le.Key == "dddd" && !errors.Is(le.Err, ErrDamagedEntry):
			t.Errorf("dddd: Err = %v, want ErrDamagedEntry", le.Err)
		case le.Key != "dddd" && (le.Err != nil || le.Entry == nil):
			t.Errorf("%s: Err = %v", le.Key, le.Err)
		case le.ModTime.IsZero():
			t.Errorf("%s: no ModTime", le.Key)
		}
	}
	if want := []string{"aaaa", "bbbb", "cccc", "dddd"}; !slices.Equal(keys, want) {
		t.Errorf("List keys = %q, want %q", keys, want)
	}
}

func TestListAndGetOfMissingDirectory(t *testing.T) {
	c := NewFileCache(filepath.Join(t.TempDir(), "nowhere"))
	if got, err := c.List(); err != nil || len(got) != 0 {
		t.Errorf("List = %v, %v; want an empty cache", got, err)
	}
	if _, err := c.Get(testKey); !errors.Is(err, ErrNotCached) {
		t.Errorf("Get error = %v, want ErrNotCached", err)
	}
	if err := c.Delete(testKey); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Delete error = %v, want fs.ErrNotExist", err)
	}
}
