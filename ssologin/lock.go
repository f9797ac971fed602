package ssologin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sessioncache/sessioncache/internal/lockfile"
)

// LockDir returns the directory of the lock files of the tokens in
// cacheDir. They are kept out of cacheDir itself because `aws sso logout`
// loads every file there as JSON and fails on one that holds a number,
// such as a lock holder's pid.
func LockDir(cacheDir string) string { return filepath.Join(cacheDir, "locks") }

// fileLocker is the default Locker: the cross-process lock of the
// credential cache, on <key>.lock in LockDir, with its rules (a trusted
// directory, no links, a bounded wait).
type fileLocker struct{ dir string }

func (l fileLocker) Lock(ctx context.Context, key string) (func(), error) {
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return nil, fmt.Errorf("ssologin: make the SSO lock directory: %w", err)
	}
	lk, err := lockfile.Acquire(ctx, l.dir, key+".lock", lockfile.Options{Doing: "signing in"})
	if err != nil {
		return nil, err
	}
	return lk.Release, nil
}
