//go:build windows

package lockfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sessioncache/sessioncache/internal/safefile"
	"golang.org/x/sys/windows"
)

// openLockFile opens, creating it if need be, the lock file name in dir,
// refusing a linked directory and anything but a regular file.
func openLockFile(dir, name string) (*os.File, error) {
	if err := safefile.CheckDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name)
	if info, err := os.Lstat(path); err == nil && !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", safefile.ErrUntrusted, path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// lockOffset is the byte locked: beyond any note, so that waiters can
// still read the holder's.
const lockOffset = 1 << 30

func tryLockFile(f *os.File) (bool, error) {
	ol := &windows.Overlapped{Offset: lockOffset}
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION), errors.Is(err, windows.ERROR_IO_PENDING):
		return false, nil
	}
	return false, err
}

func unlockFile(f *os.File) {
	ol := &windows.Overlapped{Offset: lockOffset}
	_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
}

// removed reports false: a file open here cannot be removed.
func removed(*os.File) bool { return false }

// removeLockFile leaves the file: Windows cannot remove a file that is
// open, and waiting processes have it open.
func removeLockFile(*os.File) error { return nil }
