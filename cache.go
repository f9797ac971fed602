package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessioncache/sessioncache/internal/lockfile"
	"github.com/sessioncache/sessioncache/internal/safefile"
)

// Errors a FileCache returns. All of them mean a cache miss to a provider.
var (
	// ErrNotCached is wrapped when there is no entry for a key.
	ErrNotCached = errors.New("no cache entry")
	// ErrUntrustedEntry is wrapped when an entry or the directory could
	// have been written by someone else: owned by another user, writable
	// by group or others, or a symbolic link.
	ErrUntrustedEntry = safefile.ErrUntrusted
)

// EnvCacheDir names the environment variable that overrides the default
// cache directory.
const EnvCacheDir = "SESSIONCACHE_DIR"

// DefaultCacheDir returns $SESSIONCACHE_DIR when it is set, and otherwise
// the AWS CLI's cache directory, ~/.aws/cli/cache.
func DefaultCacheDir() (string, error) {
	if dir := os.Getenv(EnvCacheDir); dir != "" {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("sessioncache: find the cache directory: %w", err)
	}
	return filepath.Join(home, ".aws", "cli", "cache"), nil
}

// FileCacheOptions configure a FileCache.
type FileCacheOptions struct {
	// Logger receives a warning when an entry cannot be trusted or written,
	// and debug lines about hits and misses. Secrets are never logged.
	// Default: a logger that discards everything.
	Logger *slog.Logger
	// OnWait is called once when Lock has waited a second for another
	// process, with what that process says of itself. Default: nothing.
	OnWait func(holder LockHolder)
	// LockTimeout is how long Lock waits for another process before it
	// gives up with a *LockTimeoutError; a context's deadline ends the
	// wait too. A negative value waits until the context is done.
	// Default: DefaultLockTimeout (5 minutes).
	LockTimeout time.Duration
}

// FileCache is the AWS CLI's JSON file cache: one <key>.json file per
// entry in a directory, read and written exactly as botocore does. It is
// safe for concurrent use by goroutines and by processes.
type FileCache struct {
	dir  string
	opts FileCacheOptions
}

// NewFileCache returns the cache kept in dir. The directory is made, mode
// 0700, on the first write.
func NewFileCache(dir string, optFns ...func(*FileCacheOptions)) *FileCache {
	c := &FileCache{dir: dir}
	for _, fn := range optFns {
		fn(&c.opts)
	}
	if c.opts.Logger == nil {
		c.opts.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Dir returns the cache directory.
func (c *FileCache) Dir() string { return c.dir }

// Path returns the file that holds key's entry.
func (c *FileCache) Path(key string) string {
	return filepath.Join(c.dir, sanitizeKey(key)+".json")
}

// Get returns the entry for key. A missing entry is an error wrapping
// ErrNotCached, a file that is not a usable entry one wrapping
// ErrDamagedEntry, one that someone else could have planted one wrapping
// ErrUntrustedEntry.
func (c *FileCache) Get(key string) (*Entry, error) {
	path := c.Path(key)
	data, info, err := readEntryFile(c.dir, path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sessioncache: %s: %w", key, ErrNotCached)
		}
		if errors.Is(err, ErrUntrustedEntry) {
			// The error names the file and the fix.
			err = fmt.Errorf("sessioncache: not using the cached credentials: %w", err)
			c.warnOnce(err.Error(), err.Error())
			return nil, err
		}
		return nil, fmt.Errorf("sessioncache: read %s: %w", path, err)
	}
	e, err := DecodeEntry(data)
	if err != nil {
		return nil, fmt.Errorf("sessioncache: %s: %w", path, err)
	}
	tighten(path, info)
	return e, nil
}

// Set writes e as key's entry. The write is atomic: readers see the old
// entry or the new one, never a part, and a failed write leaves the old
// entry in place.
func (c *FileCache) Set(key string, e *Entry) error {
	data, err := e.Encode()
	if err != nil {
		return err
	}
	if err := c.mkdir(); err != nil {
		return err
	}
	// An entry written where it would not be read is lost, and a linked
	// directory would take the write elsewhere.
	if err := safefile.CheckDir(c.dir); err != nil {
		return fmt.Errorf("sessioncache: write cache entry: %w", err)
	}
	path := c.Path(key)
	if info, err := os.Lstat(path); err == nil && info.IsDir() {
		return fmt.Errorf("sessioncache: write cache entry: %s is a directory, so nothing is cached for this key and every run fetches again: remove it (rmdir %s)", path, path)
	}
	if err := safefile.WriteFile(path, data, writeStep); err != nil {
		return fmt.Errorf("sessioncache: write cache entry: %w", err)
	}
	c.removeStaleTemp()
	return nil
}

// Delete removes key's entry. Removing an entry that does not exist is an
// error wrapping fs.ErrNotExist.
func (c *FileCache) Delete(key string) error {
	if err := os.Remove(c.Path(key)); err != nil {
		return fmt.Errorf("sessioncache: delete cache entry: %w", err)
	}
	return nil
}

// DeleteIf removes key's entry when remove is nil or, read again under
// the entry's lock, remove reports that it should go (e is nil when err
// is set, as from Get). Deciding from an earlier read would remove an
// entry that another process refreshed meanwhile. It reports whether it
// removed the entry; a missing entry is not an error. It leaves no lock
// file: a process waiting for the lock then locks a new one (see
// lockfile.Lock.Remove).
func (c *FileCache) DeleteIf(ctx context.Context, key string, remove func(e *Entry, err error) bool) (removed bool, err error) {
	l, err := c.lock(ctx, key, "removing the entry")
	switch {
	case err == nil:
		defer func() { err = errors.Join(err, l.Remove()) }()
	case remove != nil:
		return false, err
	}
	if remove != nil {
		e, err := c.Get(key)
		if errors.Is(err, ErrNotCached) || !remove(e, err) {
			return false, nil
		}
	}
	testHookBeforeDelete(key)
	if err := c.Delete(key); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// testHookBeforeDelete is called by DeleteIf after its decision, so that
// tests can race it.
var testHookBeforeDelete = func(key string) {}

// ListedEntry is one file of the cache directory.
type ListedEntry struct {
	// Key is the file's name without ".json".
	Key string
	// Entry is nil when Err is set.
	Entry *Entry
	// Err wraps ErrDamagedEntry or ErrUntrustedEntry for a file that is
	// not a usable entry.
	Err error
	// ModTime is when the file was last written.
	ModTime time.Time
}

// List returns every entry of the cache, in the order of their keys. Lock
// files, temporary files and other files are not entries and are left
// out. A missing directory is an empty cache.
func (c *FileCache) List() ([]ListedEntry, error) {
	dirents, err := os.ReadDir(c.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("sessioncache: list cache: %w", err)
	}
	var keys []string
	for _, d := range dirents {
		key, ok := strings.CutSuffix(d.Name(), ".json")
		if ok && key != "" && !d.IsDir() {
			keys = append(keys, key)
		}
	}
	// The directory is checked once, not once per entry.
	dirErr := safefile.CheckDir(c.dir)
	out := make([]ListedEntry, len(keys))
	found := make([]bool, len(keys))
	// Reading is mostly waiting for the file system: share it out.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 8) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(keys) {
					return
				}
				out[i], found[i] = c.listed(keys[i], dirErr)
			}
		})
	}
	wg.Wait()
	n := 0
	for i := range out {
		if found[i] {
			out[n] = out[i]
			n++
		}
	}
	return out[:n], nil
}

// listed reads key's entry for List; ok is false when it has gone since
// the directory was read.
func (c *FileCache) listed(key string, dirErr error) (le ListedEntry, ok bool) {
	le.Key = key
	path := c.Path(key)
	if dirErr != nil {
		le.Err = fmt.Errorf("sessioncache: %w", dirErr)
		return le, true
	}
	data, info, err := readEntryIn(path)
	le.ModTime = info.ModTime
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return le, false
	case errors.Is(err, ErrUntrustedEntry):
		le.Err = fmt.Errorf("sessioncache: %w", err)
	case err != nil:
		le.Err = fmt.Errorf("sessioncache: read %s: %w", path, err)
	default:
		if le.Entry, err = DecodeEntry(data); err != nil {
			le.Err = fmt.Errorf("sessioncache: %s: %w; the next refresh replaces it", path, err)
		} else {
			tighten(path, info)
		}
	}
	return le, true
}

// warned holds the topics of the warnings given so far.
var warned sync.Map

// warnOnce gives the logger msg as a warning, once per process and topic:
// a run reads an entry several times, through several caches, and one
// warning says it all.
func (c *FileCache) warnOnce(topic, msg string) {
	if _, dup := warned.LoadOrStore(topic, true); !dup {
		c.opts.Logger.Warn(msg)
	}
}

func (c *FileCache) mkdir() error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("sessioncache: make cache directory: %w", err)
	}
	return nil
}

// staleTempAge is how old a temporary file must be before it is taken for
// the leftover of a crashed writer; a live write takes milliseconds.
const staleTempAge = 10 * time.Minute

// removeStaleTemp removes temporary files that crashed writers (this
// package's or botocore's) left behind.
func (c *FileCache) removeStaleTemp() {
	matches, _ := filepath.Glob(filepath.Join(c.dir, "*.tmp"))
	for _, m := range matches {
		info, err := os.Lstat(m)
		if err == nil && info.Mode().IsRegular() && timeNow().Sub(info.ModTime()) > staleTempAge {
			_ = os.Remove(m)
		}
	}
}

// testHookWriteStep, when set, is called after each step of an entry's
// atomic write, so that tests can crash a writer between any two.
var testHookWriteStep func(step string)

func writeStep(step string) {
	if testHookWriteStep != nil {
		testHookWriteStep(step)
	}
}

// tighten sets an entry that others may read to 0600. Only a file that
// decoded as an entry: another program's file, read because a cache
// directory was mistaken, keeps its mode.
func tighten(path string, info safefile.Info) {
	if info.OthersMayRead() {
		_ = safefile.Tighten(path)
	}
}

// DefaultLockTimeout is how long Lock waits for another process by
// default: long enough for a person to find their MFA device and type a
// code, short enough that a holder stopped with Ctrl-Z, or prompting where
// nobody answers, does not block everyone else for ever.
const DefaultLockTimeout = lockfile.DefaultTimeout

// LockHolder is the process that holds an entry's lock, as it describes
// itself in the lock file: its PID (0 when unknown) and what it does
// (Doing, empty when unknown).
type LockHolder = lockfile.Holder

// LockTimeoutError is returned by Lock when another process held the lock
// for longer than the lock timeout, or past the context's deadline. It
// names the lock file (Path), the holder, and how long Lock waited; its Err
// is context.DeadlineExceeded when the context's deadline ended the wait.
type LockTimeoutError = lockfile.TimeoutError

// Lock takes the cross-process lock of key, a <key>.lock file beside the
// entry, waiting until its holder releases it, the lock timeout passes
// (FileCacheOptions.LockTimeout) or ctx is done. A timeout, or ctx's
// deadline, is a *LockTimeoutError naming the holder. The kernel frees the
// lock of a process that dies, so a crashed holder never blocks anyone.
//
// The lock file gets the care an entry gets: in a directory that is not
// trusted, or when <key>.lock is not a regular file of the current user
// with a single link (a FIFO, a hard link, a symbolic link), Lock creates
// and waits on nothing and returns an error wrapping ErrUntrustedEntry.
// The caller must call unlock.
func (c *FileCache) Lock(ctx context.Context, key string) (unlock func(), err error) {
	l, err := c.lock(ctx, key, "")
	if err != nil {
		return nil, err
	}
	return l.Release, nil
}

func (c *FileCache) lock(ctx context.Context, key, doing string) (*lockfile.Lock, error) {
	if err := c.mkdir(); err != nil {
		return nil, err
	}
	return lockfile.Acquire(ctx, c.dir, sanitizeKey(key)+".lock", lockfile.Options{
		Timeout: c.opts.LockTimeout,
		OnWait:  c.opts.OnWait,
		Doing:   doing,
	})
}
