package peertest

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Peers run in a session of their own, without the terminal of whoever
// runs the tests, so that they read MFA codes from standard input at a
// terminal as in CI.
func TestPeersHaveNoControllingTerminal(t *testing.T) {
	cmd := exec.Command("cat", "/proc/self/stat")
	setGroup(cmd)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ppid pgrp session tty_nr ...; comm has no spaces here.
	f := strings.Fields(string(out))
	if len(f) < 7 {
		t.Fatalf("/proc/self/stat = %q", out)
	}
	pid, pgrp, session, tty := f[0], f[4], f[5], f[6]
	if session != pid || pgrp != pid {
		t.Errorf("the peer is in session %s and group %s, want its own (%s)", session, pgrp, pid)
	}
	if n, _ := strconv.Atoi(tty); n != 0 {
		t.Errorf("the peer has controlling terminal %s, want none", tty)
	}
}
