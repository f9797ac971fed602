package ptytest

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"unsafe"
)

const noCTTY = syscall.O_NOCTTY

// OpenPTY opens a new pseudo-terminal and returns its master side,
// non-blocking so that closing it ends a pending read, and the path of its
// slave, /dev/pts/N.
func OpenPTY() (master *os.File, slavePath string, err error) {
	fd, err := syscall.Open("/dev/ptmx", syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, "", err
	}
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		syscall.Close(fd)
		return nil, "", fmt.Errorf("unlock: %w", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		syscall.Close(fd)
		return nil, "", fmt.Errorf("number: %w", errno)
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx"), fmt.Sprintf("/dev/pts/%d", n), nil
}

// EchoOff reports whether the pseudo-terminal of master has echo turned
// off. On Linux the master side reads the slave's settings.
func EchoOff(master *os.File) bool {
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

// Attach makes the terminal cmd's controlling terminal and its standard
// input, in a session of its own: Ctrl-C signals it, as in a shell.
func (term *Terminal) Attach(cmd *exec.Cmd) {
	cmd.Stdin = term.Slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
}
