//go:build !linux && !freebsd

package proc

import "os/exec"

// DieWithParent does nothing here: macOS, the other BSDs, Solaris and
// Windows have no parent-death signal. There, a child whose parent was
// killed with SIGKILL lives on, and its credential URL answers nothing
// (connection refused) until another process binds the port; a parent
// that ends in any other way stops the child first.
func DieWithParent(cmd *exec.Cmd) {}
