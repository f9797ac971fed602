//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/sessioncache/sessioncache/internal/proc"
	"github.com/sessioncache/sessioncache/internal/tty"
)

// runCommand replaces this process with the command, so that signals sent
// to sessioncache reach the command and its exit status is the one the
// caller sees. It returns only when the command cannot be started.
func runCommand(argv, env []string, _ *globals) error {
	path, err := lookCommand(argv[0])
	if err != nil {
		return err
	}
	err = syscall.Exec(path, argv, env)
	return &statusError{code: exitCannotRun, err: fmt.Errorf("exec: run %s: %w", path, err)}
}

// forwardedSignals are passed on to the child of runChild.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// runChild runs the command as a child of this process, which must stay
// to serve it, forwards SIGINT, SIGTERM and SIGHUP to it, and ends with its
// exit status (128 plus the signal's number when a signal ended it, as in
// a shell).
func runChild(argv, env []string, g *globals) error {
	path, err := lookCommand(argv[0])
	if err != nil {
		return err
	}
	cmd := childCommand(path, argv, env, g)
	// Killed, this process could not stop the child, which would live on
	// pointed at a port anyone may bind next: where the kernel can, it
	// kills the child then. Linux sends the signal when the thread that
	// started the child ends, so that thread stays until Wait returns.
	proc.DieWithParent(cmd)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return &statusError{code: exitCannotRun, err: fmt.Errorf("exec: run %s: %w", path, err)}
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case s := <-sigs:
				// Ctrl+C reaches the whole foreground process group, the
				// child included; a second interrupt would mean "stop now"
				// to programs such as terraform.
				if s == syscall.SIGINT && tty.Foreground() {
					continue
				}
				cmd.Process.Signal(s)
			}
		}
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &statusError{code: 128 + int(ws.Signal())}
		}
		return &statusError{code: ee.ExitCode()}
	}
	if err != nil {
		return &statusError{code: exitCannotRun, err: fmt.Errorf("exec: run %s: %w", path, err)}
	}
	return nil
}
