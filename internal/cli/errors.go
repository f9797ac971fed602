package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sessioncache/sessioncache"
	"github.com/spf13/cobra"
)

// usageError is a mistake on the command line, or a name on it that the
// configuration does not define: exit status 2.
type usageError struct {
	err error
	// config is set when the configuration is what the user must look
	// at, not the command's usage.
	config bool
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// configErrorf is a usageError about the configuration: the help text
// would not help.
func configErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...), config: true}
}

// statusError ends the run with an exit status of its own, and a message
// when err is set.
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *statusError) Unwrap() error { return e.err }

// report writes err, if any, to stderr and returns the exit status.
func report(stderr io.Writer, cmd *cobra.Command, err error, started bool) int {
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ue *usageError
	var se *statusError
	switch {
	case errors.As(err, &se):
		code = se.code
		if se.err == nil {
			return code
		}
	case errors.As(err, &ue) || !started:
		code = exitUsage
	case errors.Is(err, sessioncache.ErrMFAPromptInterrupted):
		// As the AWS CLI and shells report an interrupt.
		code = exitInterrupted
	}
	fmt.Fprintln(stderr, "sessioncache: "+message(err))
	if code == exitUsage && cmd != nil && (ue == nil || !ue.config) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// message is err's text with the library's "sessioncache: " prefixes
// removed, since the whole line gets one.
func message(err error) string {
	return strings.ReplaceAll(err.Error(), "sessioncache: ", "")
}

// noArgs refuses arguments with a usage error that names the command.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}
