package sessioncache

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTerminalPromptHelper is not a test: it is the process of
// TestTerminalPromptInterrupted. It prompts on its controlling terminal
// and prints what came of it, never the code itself.
func TestTerminalPromptHelper(t *testing.T) {
	if os.Getenv(promptHelperEnv) != "1" {
		t.Skip("run by TestTerminalPromptInterrupted")
	}
	code, err := TerminalPrompt(context.Background(), testSerial)
	if err != nil {
		fmt.Printf("error: %v\n", err)
		os.Exit(3)
	}
	fmt.Printf("a code of %d characters, valid %v\n", len(code), code == testCode)
	os.Exit(0)
}

func TestTerminalPromptInterrupted(t *testing.T) {
	tests := map[string]struct {
		// act is what the person, or the system, does once the prompt
		// waits with echo off.
		act     func(term *terminal, p *os.Process)
		wantOut string
	}{
		"Ctrl-C": {
			act:     func(term *terminal, _ *os.Process) { term.typeRaw("\x03") },
			wantOut: "error: sessioncache: MFA prompt interrupted\n",
		},
		"Ctrl-C after some digits": {
			act:     func(term *terminal, _ *os.Process) { term.typeRaw("246"); term.typeRaw("\x03") },
			wantOut: "error: sessioncache: MFA prompt interrupted\n",
		},
		"SIGTERM": {
			act:     func(_ *terminal, p *os.Process) { _ = p.Signal(syscall.SIGTERM) },
			wantOut: "error: sessioncache: MFA prompt interrupted\n",
		},
		"Ctrl-D": {
			act:     func(term *terminal, _ *os.Process) { term.typeRaw("\x04") },
			wantOut: "error: sessioncache: no MFA code entered\n",
		},
		"Ctrl-D after a code ends the code": {
			act:     func(term *terminal, _ *os.Process) { term.typeRaw(testCode); term.typeRaw("\x04"); term.typeRaw("\r") },
			wantOut: "a code of 6 characters, valid true\n",
		},
		"a code": {
			act:     func(term *terminal, _ *os.Process) { term.typeLine(testCode) },
			wantOut: "a code of 6 characters, valid true\n",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			term := newTerminal(t)
			if term.EchoOff() {
				t.Fatal("a new terminal does not echo")
			}
			var out, errOut bytes.Buffer
			cmd := exec.Command(os.Args[0], "-test.run=^TestTerminalPromptHelper$")
			cmd.Env = append(os.Environ(), promptHelperEnv+"=1")
			cmd.Stdin = term.slave
			cmd.Stdout, cmd.Stderr = &out, &errOut
			// A session of its own, with the pseudo-terminal as its
			// controlling terminal: Ctrl-C signals it, as in a shell.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			term.waitFor("Enter MFA code for "+testSerial+": ", 1)
			term.waitEchoOff()
			tt.act(term, cmd.Process)
			select {
			case <-exited:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("the prompt did not end; the terminal shows %q", term.output())
			}
			if got := out.String(); got != tt.wantOut {
				t.Errorf("the program says %q, want %q (stderr %q)", got, tt.wantOut, errOut.String())
			}
			if term.EchoOff() {
				t.Error("the terminal was left without echo")
			}
			if strings.Contains(term.output(), testCode) {
				t.Error("a typed code was echoed on the terminal")
			}
		})
	}
}
