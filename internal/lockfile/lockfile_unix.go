//go:build unix

package lockfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sessioncache/sessioncache/internal/safefile"
	"golang.org/x/sys/unix"
)

// openLockFile opens, creating it if need be, the lock file name in dir.
// The directory is opened without following a link and checked before
// anything is made in it, and the file is opened relative to it, so that
// neither can be swapped between the check and the use. O_NONBLOCK keeps a
// FIFO from hanging open(2); the file must then prove to be a regular
// file of this user with one link, so that nothing is written into a file
// someone linked there.
func openLockFile(dir, name string) (*os.File, error) {
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			return nil, fmt.Errorf("%w: directory %s is a symbolic link", safefile.ErrUntrusted, dir)
		}
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	d := os.NewFile(uintptr(dfd), dir)
	defer d.Close()
	info, err := d.Stat()
	if err != nil {
		return nil, err
	}
	if err := safefile.CheckOwner(info, dir, true); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name)
	fd, err := unix.Openat(dfd, name, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EMLINK) {
			return nil, fmt.Errorf("%w: %s is a symbolic link", safefile.ErrUntrusted, path)
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	// Regular files never block; clear the flag for plain I/O.
	_ = unix.SetNonblock(fd, false)
	f := os.NewFile(uintptr(fd), path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		err = fmt.Errorf("%w: %s is not a regular file", safefile.ErrUntrusted, path)
	case st.Nlink != 1:
		err = fmt.Errorf("%w: %s has %d hard links", safefile.ErrUntrusted, path, st.Nlink)
	default:
		if info, serr := f.Stat(); serr != nil {
			err = serr
		} else if terr := safefile.CheckOwner(info, path, false); terr != nil {
			err = terr
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// tryLockFile takes f's exclusive lock if no other process holds it.
func tryLockFile(f *os.File) (bool, error) {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, unix.EINTR):
			continue
		}
		return false, err
	}
}

func unlockFile(f *os.File) { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }

// removed reports whether f's file is no longer in any directory.
func removed(f *os.File) bool {
	var st unix.Stat_t
	return unix.Fstat(int(f.Fd()), &st) == nil && st.Nlink == 0
}

// removeLockFile removes the file f holds the lock of, when it is still
// the one at its path (it is: only a holder of the lock removes it).
func removeLockFile(f *os.File) error {
	held, err := f.Stat()
	if err != nil {
		return err
	}
	at, err := os.Lstat(f.Name())
	if err != nil || !os.SameFile(held, at) {
		return err
	}
	return os.Remove(f.Name())
}
