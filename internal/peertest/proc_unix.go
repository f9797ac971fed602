//go:build unix

package peertest

import (
	"os"
	"os/exec"
	"syscall"
)

// setGroup makes cmd the leader of a new process group, so that killGroup
// reaches whatever it starts.
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the process group that p leads.
func killGroup(p *os.Process) error {
	return syscall.Kill(-p.Pid, syscall.SIGKILL)
}
