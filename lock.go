package sessioncache

import (
	"context"
	"log/slog"

	"github.com/sessioncache/sessioncache/internal/lockfile"
	"github.com/sessioncache/sessioncache/internal/tty"
)

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

// tellWaiting says on the terminal, or else in a warning, whom this
// process waits for.
func tellWaiting(logger *slog.Logger, h LockHolder) {
	msg := "waiting for " + h.String() + " to finish with the cached credentials"
	if !tty.Tell("sessioncache: " + msg) {
		logger.Warn(msg)
	}
}
