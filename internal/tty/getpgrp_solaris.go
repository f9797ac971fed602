package tty

import "golang.org/x/sys/unix"

// getpgrp is the process group of this process; on Solaris and illumos
// the system call can report an error.
func getpgrp() int {
	pgrp, err := unix.Getpgrp()
	if err != nil {
		return -1
	}
	return pgrp
}
