//go:build unix

package safefile

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ReadFileIn reads a regular file of at most limit bytes in a directory
// already checked, and returns when it was last written and its
// permissions. It refuses symbolic links and files owned by another user
// or writable by others or by a group other than the user's private
// group. It changes nothing: the caller, once it knows the file holds a
// credential, calls Tighten when others may read it. It makes the system
// calls itself (open, fstat, read, close): list reads thousands of
// entries, and the os package's poller registration would add one for
// each.
func ReadFileIn(path string, limit int) ([]byte, Info, error) {
	var fd int
	var err error
	for {
		// O_NONBLOCK: a FIFO planted here must not hang open(2).
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		perr := &os.PathError{Op: "open", Path: path, Err: err}
		if isSymlinkErr(perr) {
			return nil, Info{}, fmt.Errorf("%w: %s is a symbolic link, which anyone able to write the directory could have planted: remove it (rm %s)", ErrUntrusted, path, path)
		}
		return nil, Info{}, perr
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, Info{}, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, Info{}, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	perm := os.FileMode(st.Mode & 0o777)
	if err := trustedIDs(st.Uid, st.Gid, perm, path, false); err != nil {
		return nil, Info{}, err
	}
	buf := make([]byte, min(int(st.Size), limit)+1)
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, Info{}, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
		if n == len(buf) && len(buf) <= limit {
			// Larger than fstat said: read on, up to the limit.
			buf = append(buf, make([]byte, min(len(buf), limit+1-len(buf)))...)
		}
	}
	if n > limit {
		return nil, Info{}, tooLarge(path, limit)
	}
	return buf[:n], Info{ModTime: time.Unix(st.Mtim.Unix()), Perm: perm}, nil
}

// Tighten sets the file at path, a credential that others may read, to
// mode 0600. It changes nothing that is not a regular file of the current
// user, nor through a symbolic link.
func Tighten(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || int(st.Uid) != euid() {
		return nil
	}
	if err := unix.Fchmod(fd, 0o600); err != nil {
		return &os.PathError{Op: "chmod", Path: path, Err: err}
	}
	return nil
}

// CheckDir checks that only the current user can write in dir: not a
// symbolic link, owned by the user, not writable by group or others
// (unless the group is the user's private one).
func CheckDir(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%w: the directory %s is a symbolic link, which could lead reads and writes elsewhere: make it a directory of its own", ErrUntrusted, dir)
	}
	return CheckOwner(info, dir, true)
}

// CheckOwner checks that info, of path, belongs to the current user and
// that no one else can write it; its errors say what to do about it.
func CheckOwner(info os.FileInfo, path string, isDir bool) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return trustedIDs(st.Uid, st.Gid, info.Mode().Perm(), path, isDir)
}

// euid is the process's effective user id, asked of the kernel once: list
// checks thousands of files.
var euid = sync.OnceValue(os.Geteuid)

// trustedIDs is CheckOwner for a file's owner, group and permissions.
func trustedIDs(uid, gid uint32, perm os.FileMode, path string, isDir bool) error {
	what, mode, remove := "file", "600", "remove it (rm "+path+")"
	if isDir {
		what, mode, remove = "directory", "700", "use a directory of your own"
	}
	if int(uid) != euid() {
		return fmt.Errorf("%w: the %s %s belongs to uid %d, not to you: %s", ErrUntrusted, what, path, uid, remove)
	}
	if perm&0o002 != 0 || (perm&0o020 != 0 && !privateGroup(gid)) {
		return fmt.Errorf("%w: the %s %s is writable by group or others (mode %04o): run chmod %s %s", ErrUntrusted, what, path, perm, mode, path)
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
