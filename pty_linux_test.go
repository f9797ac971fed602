package sessioncache

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// openPTY opens a new pseudo-terminal and returns its master side and the
// path of its slave, /dev/pts/N.
func openPTY(t *testing.T) (master *os.File, slavePath string) {
	t.Helper()
	// Non-blocking, so that closing the master ends a pending read.
	fd, err := syscall.Open("/dev/ptmx", syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		syscall.Close(fd)
		t.Skipf("unlock the pseudo-terminal: %v", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		syscall.Close(fd)
		t.Skipf("number the pseudo-terminal: %v", errno)
	}
	master = os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() { master.Close() })
	return master, fmt.Sprintf("/dev/pts/%d", n)
}

// echoOff reports whether the terminal has echo turned off, as it has
// while a password is read. On Linux the master side reads the slave's
// settings.
func echoOff(master *os.File) bool {
	rc, err := master.SyscallConn()
	if err != nil {
		return false
	}
	var tio syscall.Termios
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&tio)))
	}); err != nil {
		return false
	}
	return errno == 0 && tio.Lflag&syscall.ECHO == 0
}

const noCTTY = syscall.O_NOCTTY
