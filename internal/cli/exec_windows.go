package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
)

// runCommand runs the command as a child, since Windows cannot replace a
// process, and ends with its exit status.
func runCommand(argv, env []string, g *globals) error {
	path, err := lookCommand(argv[0])
	if err != nil {
		return err
	}
	cmd := childCommand(path, argv, env, g)
	// Ctrl+C reaches every process of the console; the child decides what
	// it means, and this process waits for its exit status.
	signal.Ignore(os.Interrupt)
	defer signal.Reset(os.Interrupt)
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return &statusError{code: ee.ExitCode()}
		}
		return &statusError{code: exitCannotRun, err: fmt.Errorf("exec: run %s: %w", path, err)}
	}
	return nil
}

// runChild runs the command as a child; on Windows, runCommand already
// does.
func runChild(argv, env []string, g *globals) error {
	return runCommand(argv, env, g)
}
