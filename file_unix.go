//go:build unix

package sessioncache

import (
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"time"
)

// readEntryFile reads an entry that only the current user could have
// written. It refuses symbolic links and files or directories owned by
// another user or writable by others or by a group other than the user's
// private group, and tightens an entry that others may read to 0600.
func readEntryFile(dir, path string) ([]byte, error) {
	if err := checkTrusted(dir, true); err != nil {
		return nil, err
	}
	data, _, err := readEntryIn(path)
	return data, err
}

// readEntryIn is readEntryFile in a directory already checked. It also
// returns when the file was last written.
func readEntryIn(path string) ([]byte, time.Time, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if isSymlinkErr(err) {
			return nil, time.Time{}, fmt.Errorf("%w: %s is a symbolic link, which anyone able to write the directory could have planted: remove it (rm %s)", ErrUntrustedEntry, path, path)
		}
		return nil, time.Time{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	if !info.Mode().IsRegular() {
		return nil, time.Time{}, fmt.Errorf("%w: not a regular file", ErrDamagedEntry)
	}
	if err := trustedOwner(info, path, false); err != nil {
		return nil, time.Time{}, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		// Others could read it; it is still ours, so close that door.
		_ = f.Chmod(0o600)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxEntrySize+1))
	return data, info.ModTime(), err
}

func checkTrusted(dir string, isDir bool) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%w: the cache directory %s is a symbolic link, which could lead reads and writes elsewhere: make it a directory of its own", ErrUntrustedEntry, dir)
	}
	return trustedOwner(info, dir, isDir)
}

// trustedOwner checks the owner and mode of path; its errors say what to
// do about it.
func trustedOwner(info os.FileInfo, path string, isDir bool) error {
	what, mode, remove := "file", "600", "remove it (rm "+path+")"
	if isDir {
		what, mode, remove = "cache directory", "700", "use a cache directory of your own (--cache-dir or SESSIONCACHE_DIR)"
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%w: the %s %s belongs to uid %d, not to you: %s", ErrUntrustedEntry, what, path, st.Uid, remove)
	}
	perm := info.Mode().Perm()
	if perm&0o002 != 0 || (perm&0o020 != 0 && !(ok && privateGroup(st.Gid))) {
		return fmt.Errorf("%w: the %s %s is writable by group or others (mode %04o): run chmod %s %s", ErrUntrustedEntry, what, path, perm, mode, path)
	}
	return nil
}

// privateGroup reports whether gid is the current user's private group:
// the user's own primary group, named after the user. Systems that give
// each user such a group (Debian, Ubuntu, Fedora) set the umask to 002, so
// the AWS CLI makes its cache directory group-writable there; only the
// user is in that group, so it is as safe as 0755.
func privateGroup(gid uint32) bool {
	if int(gid) != os.Getegid() {
		return false
	}
	u, err := user.LookupId(strconv.Itoa(os.Geteuid()))
	if err != nil {
		return false
	}
	g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10))
	return err == nil && g.Name == u.Username
}

func isSymlinkErr(err error) bool {
	// open(2) with O_NOFOLLOW fails with ELOOP on a link (EMLINK on some BSDs).
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err == syscall.ELOOP || pe.Err == syscall.EMLINK
	}
	return false
}

func renameReplace(from, to string) error { return os.Rename(from, to) }

// oNoFollow makes open(2) fail on a symbolic link instead of following it.
const oNoFollow = syscall.O_NOFOLLOW
