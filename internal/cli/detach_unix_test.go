//go:build unix

package cli

import "syscall"

// detachTerminal starts a new session, which has no controlling terminal,
// so that /dev/tty cannot be opened.
func detachTerminal() { _, _ = syscall.Setsid() }
