//go:build unix

package cli

import (
	"bufio"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// exec replaces the sessioncache process with the command, so a signal
// sent to sessioncache's pid reaches the command, and the command's exit
// status is the one its parent sees.
func TestExecSignalReachesCommand(t *testing.T) {
	bin := buildBinary(t)
	_, env := testHome(t)
	cmd := exec.Command(bin, "exec", "-p", "base", "--", "sh", "-c",
		`trap "exit 42" TERM; echo "ready $$"; while :; do sleep 0.05; done`)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
	}()

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read the command's first line: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "ready "))
	if pid != cmd.Process.Pid {
		t.Errorf("the command runs as pid %d, sessioncache was pid %d: the process was not replaced", pid, cmd.Process.Pid)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 42 {
		t.Errorf("exit = %v, want status 42 from the command's TERM trap", err)
	}
}
