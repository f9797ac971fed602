//go:build linux || freebsd

package proc

import (
	"os/exec"
	"syscall"
)

// DieWithParent has the kernel kill cmd when this process dies, however it
// dies (even by SIGKILL), so that cmd does not live on pointed at a port
// that no longer serves it. The signal goes when the thread that started
// cmd ends: the caller keeps its goroutine locked to its thread
// (runtime.LockOSThread) from Start until Wait returns. FreeBSD does it
// with procctl(PROC_PDEATHSIG_CTL).
func DieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
