//go:build unix && !solaris

package tty

import "golang.org/x/sys/unix"

// getpgrp is the process group of this process.
func getpgrp() int { return unix.Getpgrp() }
