package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultLockTimeout is how long Lock waits for another process by
// default: long enough for a person to find their MFA device and type a
// code, short enough that a holder stopped with Ctrl-Z, or prompting where
// nobody answers, does not block everyone else for ever.
const DefaultLockTimeout = 5 * time.Minute

// LockHolder is the process that holds an entry's lock, as it describes
// itself in the lock file.
type LockHolder struct {
	// PID is the holder's process id; 0 when unknown.
	PID int
	// Doing says what the holder does, such as "sessioncache: waiting for
	// an MFA code for arn:aws:iam::123456789012:mfa/alice"; empty when
	// unknown.
	Doing string
}

// String describes the holder for people: "pid 123 (sessioncache:
// waiting for an MFA code for ...)".
func (h LockHolder) String() string {
	switch {
	case h.PID == 0:
		return "another process"
	case h.Doing == "":
		return "pid " + strconv.Itoa(h.PID)
	}
	return fmt.Sprintf("pid %d (%s)", h.PID, h.Doing)
}

// LockTimeoutError is returned by Lock when another process held the lock
// for longer than the lock timeout, or past the context's deadline.
type LockTimeoutError struct {
	// Path is the lock file.
	Path string
	// Holder is the process that held the lock when Lock gave up.
	Holder LockHolder
	// Waited is how long Lock waited.
	Waited time.Duration
	// Err is context.DeadlineExceeded when the context's deadline ended
	// the wait, and nil when the lock timeout did.
	Err error
}

func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("sessioncache: gave up after %v waiting for %s, which holds the lock %s: let it finish or stop it, then try again",
		e.Waited.Round(time.Millisecond), e.Holder, e.Path)
}

func (e *LockTimeoutError) Unwrap() error { return e.Err }

// lockWaitNotice is how long Lock waits before it calls OnWait: long
// enough that a holder that only reads and writes the cache is never
// reported, short enough that a person waiting learns why.
var lockWaitNotice = time.Second

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
	return l.release, nil
}

// heldLock is a lock this process holds, with the note that tells waiting
// processes what it does.
type heldLock struct {
	mu   sync.Mutex
	f    *os.File
	prog string
}

func (c *FileCache) lock(ctx context.Context, key, doing string) (*heldLock, error) {
	if err := c.mkdir(); err != nil {
		return nil, err
	}
	path := filepath.Join(c.dir, sanitizeKey(key)+".lock")
	f, err := openLockFile(c.dir, filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("sessioncache: lock cache entry: %w", err)
	}
	start := time.Now()
	timeout := c.opts.LockTimeout
	if timeout == 0 {
		timeout = DefaultLockTimeout
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	delay := 5 * time.Millisecond
	notified := false
	for {
		ok, err := tryLockFile(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("sessioncache: lock cache entry: %w", err)
		}
		if ok {
			break
		}
		if !notified && time.Since(start) >= lockWaitNotice {
			notified = true
			if c.opts.OnWait != nil {
				c.opts.OnWait(readHolder(f))
			}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			holder := readHolder(f)
			f.Close()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, &LockTimeoutError{Path: path, Holder: holder, Waited: time.Since(start), Err: ctx.Err()}
			}
			return nil, fmt.Errorf("sessioncache: wait for cache lock: %w", ctx.Err())
		case <-expired:
			t.Stop()
			holder := readHolder(f)
			f.Close()
			return nil, &LockTimeoutError{Path: path, Holder: holder, Waited: time.Since(start)}
		case <-t.C:
		}
		delay = min(delay*2, 100*time.Millisecond)
	}
	l := &heldLock{f: f, prog: filepath.Base(os.Args[0])}
	l.note(doing)
	return l, nil
}

// note records, through the locked file itself, this process's pid and
// what it does, so that waiting processes can say whom they wait for. The
// command line is not recorded: it may hold an MFA code.
func (l *heldLock) note(doing string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	desc := l.prog
	if doing != "" {
		desc += ": " + doing
	}
	desc = strings.Map(func(r rune) rune {
		if r < ' ' {
			return ' '
		}
		return r
	}, desc)
	_ = l.f.Truncate(0)
	_, _ = l.f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"+desc+"\n"), 0)
}

func (l *heldLock) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	unlockFile(l.f)
	l.f.Close()
	l.f = nil
}

// maxLockNote bounds what is read of a lock file.
const maxLockNote = 512

// readHolder reads the note of the lock's holder through f, the waiter's
// own handle on the lock file.
func readHolder(f *os.File) LockHolder {
	buf := make([]byte, maxLockNote)
	n, _ := f.ReadAt(buf, 0)
	pidText, doing, _ := strings.Cut(string(buf[:n]), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(pidText))
	if err != nil || pid <= 0 {
		return LockHolder{}
	}
	return LockHolder{PID: pid, Doing: strings.TrimSpace(doing)}
}

// lockNoteKey is the context key of the function that updates the note
// of the lock a Provider holds while it fetches.
type lockNoteKey struct{}

// setLockNote tells processes waiting for the lock held for this fetch
// what it does now. Without such a lock it does nothing.
func setLockNote(ctx context.Context, doing string) {
	if fn, ok := ctx.Value(lockNoteKey{}).(func(string)); ok {
		fn(doing)
	}
}

// tellWaiting says on the terminal, or else in a warning, whom this
// process waits for.
func tellWaiting(logger *slog.Logger, h LockHolder) {
	msg := "waiting for " + h.String() + " to finish with the cached credentials"
	if !tellTerminal("sessioncache: " + msg) {
		logger.Warn(msg)
	}
}
