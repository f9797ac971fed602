//go:build unix

package proc

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
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

// Alive reports whether process pid runs: it exists and is not a zombie
// waiting for a parent to reap it.
func Alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: a zombie counts as alive
	}
	_, rest, _ := strings.Cut(string(data), ") ")
	return !strings.HasPrefix(rest, "Z")
}
