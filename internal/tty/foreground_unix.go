//go:build unix

package tty

import (
	"os"

	"golang.org/x/sys/unix"
)

// foregroundGroup returns the process group in the foreground of the
// terminal f; ok is false when f is not this process's controlling
// terminal (the kernel answers ENOTTY).
func foregroundGroup(f *os.File) (pgrp int, ok bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { pgrp, ferr = unix.IoctlGetInt(int(fd), unix.TIOCGPGRP) }); err != nil || ferr != nil {
		return 0, false
	}
	return pgrp, true
}

// background reports whether f is this process's controlling terminal and
// another process group is in its foreground: then changing the
// terminal's settings or reading it would stop this process with SIGTTOU
// or SIGTTIN. A terminal that is not the controlling one cannot stop the
// process.
func background(f *os.File) bool {
	fg, ok := foregroundGroup(f)
	return ok && fg != getpgrp()
}

// Background reports whether this process runs in a background job of
// its controlling terminal: there is a terminal, but another process
// group is in its foreground, so the process may not use it.
func Background() bool {
	f, err := os.OpenFile(Path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	return background(f)
}

// Foreground reports whether this process belongs to the foreground
// process group of its controlling terminal, which receives the
// terminal's interrupts. Without a controlling terminal it is false.
func Foreground() bool {
	f, err := os.OpenFile(Path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	fg, ok := foregroundGroup(f)
	return ok && fg == getpgrp()
}
