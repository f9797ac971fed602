//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
)

// runCommand replaces this process with the command, so that signals sent
// to sessioncache reach the command and its exit status is the one the
// caller sees. It returns only when the command cannot be started.
func runCommand(argv, env []string, _ *globals) error {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return &statusError{code: exitNotFound, err: fmt.Errorf("exec: %s: command not found (exit status %d)", argv[0], exitNotFound)}
		}
		return &statusError{code: exitCannotRun, err: fmt.Errorf("exec: %w", err)}
	}
	err = syscall.Exec(path, argv, env)
	return &statusError{code: exitCannotRun, err: fmt.Errorf("exec: run %s: %w", path, err)}
}
