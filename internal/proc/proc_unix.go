//go:build unix

package proc

import (
	"os/exec"
	"syscall"
)

// KillGroupOnCancel starts cmd in a process group of its own, and makes
// the cancellation of its context kill the whole group: a child the
// program left behind, holding its output open, goes with it.
func KillGroupOnCancel(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
