//go:build !linux

package ptytest

import (
	"errors"
	"os"
	"os/exec"
)

const noCTTY = 0

// OpenPTY fails: the pseudo-terminal tests open /dev/ptmx the Linux way.
func OpenPTY() (master *os.File, slavePath string, err error) {
	return nil, "", errors.New("the pseudo-terminal tests open /dev/ptmx the Linux way")
}

// EchoOff reports false.
func EchoOff(*os.File) bool { return false }

// Attach does nothing.
func (term *Terminal) Attach(*exec.Cmd) {}
