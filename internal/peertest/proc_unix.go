//go:build unix

package peertest

import (
	"os"
	"os/exec"
	"syscall"
)

// setGroup starts cmd in a new session, so that it has no controlling
// terminal: the AWS CLI and boto3 ask for MFA codes on the terminal when
// they have one, and would wait there for a developer who runs the tests
// instead of reading the code the test feeds on standard input. The
// session's leader also leads a new process group, which killGroup
// reaches.
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}

// killGroup kills the process group that p leads.
func killGroup(p *os.Process) error {
	return syscall.Kill(-p.Pid, syscall.SIGKILL)
}
