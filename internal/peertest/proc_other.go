//go:build !unix

package peertest

import (
	"os"
	"os/exec"
)

// setGroup does nothing where there are no process groups.
func setGroup(cmd *exec.Cmd) {}

// killGroup kills p alone where there are no process groups.
func killGroup(p *os.Process) error {
	return p.Kill()
}
