// Package lockfile is the one cross-process lock: an flock(2) (LockFileEx
// on Windows) of a file in a trusted directory, with bounded waits and a
// note through which the holder tells waiting processes what it does. The
// cache entries, the SSO tokens and their registrations, clear and logout
// all lock through it. The kernel frees the lock of a process that dies,
// so a crashed holder never blocks anyone.
package lockfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout is how long Acquire waits for another process by default:
// long enough for a person to find their MFA device and type a code, short
// enough that a holder stopped with Ctrl-Z, or prompting where nobody
// answers, does not block everyone else for ever.
const DefaultTimeout = 5 * time.Minute

// Holder is the process that holds a lock, as it describes itself in the
// lock file.
type Holder struct {
	// PID is the holder's process id; 0 when unknown.
	PID int
	// Doing says what the holder does, such as "sessioncache: waiting for
	// an MFA code for arn:aws:iam::123456789012:mfa/alice"; empty when
	// unknown.
	Doing string
}

// String describes the holder for people: "pid 123 (sessioncache:
// waiting for an MFA code for ...)".
func (h Holder) String() string {
	switch {
	case h.PID == 0:
		return "another process"
	case h.Doing == "":
		return "pid " + strconv.Itoa(h.PID)
	}
	return fmt.Sprintf("pid %d (%s)", h.PID, h.Doing)
}

// TimeoutError is returned by Acquire when another process held the lock
// for longer than the timeout, or past the context's deadline.
type TimeoutError struct {
	// Path is the lock file.
	Path string
	// Holder is the process that held the lock when Acquire gave up.
	Holder Holder
	// Waited is how long Acquire waited.
	Waited time.Duration
	// Err is context.DeadlineExceeded when the context's deadline ended
	// the wait, and nil when the lock timeout did.
	Err error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("sessioncache: gave up after %v waiting for %s, which holds the lock %s: let it finish or stop it, then try again",
		e.Waited.Round(time.Millisecond), e.Holder, e.Path)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Options configure Acquire.
type Options struct {
	// Timeout is how long Acquire waits for another process before it
	// gives up with a *TimeoutError; a negative value waits until the
	// context is done. Default: DefaultTimeout.
	Timeout time.Duration
	// OnWait is called once when Acquire has waited WaitNotice, with what
	// the holder says of itself. Default: nothing.
	OnWait func(Holder)
	// Doing is the first note of the holder. Default: none.
	Doing string
}

// WaitNotice is how long Acquire waits before it calls OnWait: long enough
// that a holder that only reads and writes a file is never reported,
// short enough that a person waiting learns why. A variable for tests.
var WaitNotice = time.Second

// TestHookRetry, when set, is called each time Acquire finds the lock held
// and waits to try again, so that tests can tell that it went on waiting
// without sleeping. Not for use outside tests.
var TestHookRetry func()

// Lock is a lock this process holds, with the note that tells waiting
// processes what it does.
type Lock struct {
	mu   sync.Mutex
	f    *os.File
	prog string
}

// Acquire takes the lock of the file name in dir, which must exist,
// waiting until its holder releases it, the timeout passes or ctx is
// done. A timeout, or ctx's deadline, is a *TimeoutError naming the
// holder.
//
// In a directory that is not trusted, or when the file is not a regular
// file of the current user with a single link (a FIFO, a hard link, a
// symbolic link), Acquire creates and waits on nothing and returns an
// error wrapping safefile.ErrUntrusted.
func Acquire(ctx context.Context, dir, name string, opts Options) (*Lock, error) {
	path := filepath.Join(dir, name)
	f, err := openLockFile(dir, name)
	if err != nil {
		return nil, fmt.Errorf("sessioncache: lock %s: %w", path, err)
	}
	start := time.Now()
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
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
			return nil, fmt.Errorf("sessioncache: lock %s: %w", path, err)
		}
		if ok && !removed(f) {
			break
		}
		if ok {
			// The holder removed the file as it let go: this lock guards
			// nothing. Lock the file at the path now, made anew if need be.
			unlockFile(f)
			f.Close()
			if f, err = openLockFile(dir, name); err != nil {
				return nil, fmt.Errorf("sessioncache: lock %s: %w", path, err)
			}
			continue
		}
		if !notified && time.Since(start) >= WaitNotice {
			notified = true
			if opts.OnWait != nil {
				opts.OnWait(readHolder(f))
			}
		}
		if TestHookRetry != nil {
			TestHookRetry()
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			holder := readHolder(f)
			f.Close()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, &TimeoutError{Path: path, Holder: holder, Waited: time.Since(start), Err: ctx.Err()}
			}
			return nil, fmt.Errorf("sessioncache: wait for the lock %s: %w", path, ctx.Err())
		case <-expired:
			t.Stop()
			holder := readHolder(f)
			f.Close()
			return nil, &TimeoutError{Path: path, Holder: holder, Waited: time.Since(start)}
		case <-t.C:
		}
		delay = min(delay*2, 100*time.Millisecond)
	}
	l := &Lock{f: f, prog: filepath.Base(os.Args[0])}
	l.Note(opts.Doing)
	return l, nil
}

// Note records, through the locked file itself, this process's pid and
// what it does, so that waiting processes can say whom they wait for. The
// command line is not recorded: it may hold an MFA code.
func (l *Lock) Note(doing string) {
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

// Release frees the lock; it may be called more than once.
func (l *Lock) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	unlockFile(l.f)
	l.f.Close()
	l.f = nil
}

// Remove deletes the lock file and then releases the lock, for a caller
// that has removed what the lock guards (a cache entry). A process that
// waited for the lock and then takes it on the removed file notices, and
// locks the file at the path instead, so the lock still excludes. On
// Windows, where an open file cannot be removed, it only releases the
// lock.
func (l *Lock) Remove() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := removeLockFile(l.f)
	unlockFile(l.f)
	l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("sessioncache: remove the lock file: %w", err)
	}
	return nil
}

// maxNote bounds what is read of a lock file.
const maxNote = 512

// readHolder reads the note of the lock's holder through f, the waiter's
// own handle on the lock file.
func readHolder(f *os.File) Holder {
	buf := make([]byte, maxNote)
	n, _ := f.ReadAt(buf, 0)
	pidText, doing, _ := strings.Cut(string(buf[:n]), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(pidText))
	if err != nil || pid <= 0 {
		return Holder{}
	}
	return Holder{PID: pid, Doing: strings.TrimSpace(doing)}
}
