package ssologin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// LockDir returns the directory of the lock files of the tokens in
// cacheDir. They are kept out of cacheDir itself because `aws sso logout`
// loads every file there as JSON and fails on one that holds a number,
// such as a lock holder's pid.
func LockDir(cacheDir string) string { return filepath.Join(cacheDir, "locks") }

// fileLocker is the default Locker: an flock(2) (LockFileEx on Windows)
// of <key>.lock in LockDir. The kernel frees the lock of a process that
// dies.
type fileLocker struct{ dir string }

func (l fileLocker) Lock(ctx context.Context, key string) (func(), error) {
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return nil, fmt.Errorf("make the SSO cache directory: %w", err)
	}
	fl := flock.New(filepath.Join(l.dir, key+".lock"), flock.SetPermissions(0o600))
	if _, err := fl.TryLockContext(ctx, 20*time.Millisecond); err != nil {
		return nil, err
	}
	return func() { _ = fl.Unlock() }, nil
}
