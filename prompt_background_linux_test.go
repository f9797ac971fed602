package sessioncache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// backgroundHelperEnv makes TestBackgroundJobHelper a job control shell:
// it starts the prompt in a process group of its own, as `cmd &` does, so
// that the prompt runs outside the terminal's foreground group.
const backgroundHelperEnv = "SESSIONCACHE_TEST_BACKGROUND_HELPER"

// TestBackgroundJobHelper is not a test: it is the shell of
// TestTerminalPromptInABackgroundJob.
func TestBackgroundJobHelper(t *testing.T) {
	switch os.Getenv(backgroundHelperEnv) {
	case "shell":
		cmd := exec.Command(os.Args[0], "-test.run=^TestBackgroundJobHelper$")
		cmd.Env = append(os.Environ(), backgroundHelperEnv+"=job")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Run(); err != nil {
			fmt.Printf("job: %v\n", err)
		}
		os.Exit(0)
	case "job":
		_, err := TerminalPrompt(context.Background(), testSerial)
		var unavailable *MFACodeUnavailableError
		fmt.Printf("no terminal: %v\n", errors.As(err, &unavailable))
		os.Exit(0)
	}
	t.Skip("run by TestTerminalPromptInABackgroundJob")
}

// A background job must not touch the terminal: changing its settings
// would stop the process with SIGTTOU. It has no terminal, and says so at
// once.
func TestTerminalPromptInABackgroundJob(t *testing.T) {
	term := newTerminal(t)
	var out bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^TestBackgroundJobHelper$")
	cmd.Env = append(os.Environ(), backgroundHelperEnv+"=shell")
	cmd.Stdin = term.slave
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Process.Kill()
		t.Fatalf("the background job was stopped or hangs; the terminal shows %q", term.output())
	}
	if got, want := out.String(), "no terminal: true\n"; got != want {
		t.Errorf("the job says %q, want %q", got, want)
	}
	if term.EchoOff() {
		t.Error("the terminal was left without echo")
	}
}
