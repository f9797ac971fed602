package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// TokenProvider returns a code from the MFA device serial. It is called
// only when STS must be called, never for a cache hit.
type TokenProvider func(ctx context.Context, serial string) (string, error)

// MFACodeUnavailableError is returned when an MFA code is needed but there
// is no terminal to ask and nothing on standard input. The caller can pass
// a code another way (a TokenProvider) or run in a terminal.
type MFACodeUnavailableError struct {
	// Serial is the MFA device the code is for.
	Serial string
}

func (e *MFACodeUnavailableError) Error() string {
	return fmt.Sprintf("an MFA code for %s is needed, but there is no terminal to ask and no code on standard input", e.Serial)
}

// InvalidMFACodeError is returned for a code that is not six digits. STS
// is not called with it.
type InvalidMFACodeError struct {
	Serial string
}

func (e *InvalidMFACodeError) Error() string {
	return fmt.Sprintf("the MFA code for %s must be 6 digits", e.Serial)
}

// ttyPath is the controlling terminal; a variable so tests can point it
// at a file that does not exist.
var ttyPath = "/dev/tty"

// TerminalPrompt is the default TokenProvider. It writes
// "Enter MFA code for <serial>: " to the controlling terminal and reads the
// code there without echo, so it works while standard output and error
// are captured (as when another SDK runs a credential_process). With no
// terminal, it reads one line from standard input.
func TerminalPrompt(ctx context.Context, serial string) (string, error) {
	code, _, err := prompt(serial, os.Stdin, os.Stderr)
	return code, err
}

// prompt asks for a code and reports whether a person was asked at a
// terminal, the only case where a rejected code is asked for again.
func prompt(serial string, stdin io.Reader, stderr io.Writer) (code string, interactive bool, err error) {
	msg := "Enter MFA code for " + serial + ": "
	if tty, err := os.OpenFile(ttyPath, os.O_RDWR, 0); err == nil {
		defer tty.Close()
		if term.IsTerminal(int(tty.Fd())) {
			fmt.Fprint(tty, msg)
			b, err := term.ReadPassword(int(tty.Fd()))
			fmt.Fprintln(tty)
			if err != nil {
				return "", true, fmt.Errorf("read MFA code: %w", err)
			}
			return strings.TrimSpace(string(b)), true, nil
		}
	}
	if stdin == nil {
		return "", false, &MFACodeUnavailableError{Serial: serial}
	}
	fmt.Fprint(stderr, msg)
	line, err := readLine(stdin)
	if line == "" && err != nil {
		fmt.Fprintln(stderr)
		if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
			return "", false, &MFACodeUnavailableError{Serial: serial}
		}
		return "", false, fmt.Errorf("read MFA code: %w", err)
	}
	return strings.TrimSpace(line), false, nil
}

// readLine reads up to a newline one byte at a time, so that nothing after
// the code is taken from a standard input that a child process inherits.
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	var c [1]byte
	for b.Len() < 256 {
		n, err := r.Read(c[:])
		if n == 1 {
			if c[0] == '\n' {
				return b.String(), nil
			}
			b.WriteByte(c[0])
		}
		if err != nil {
			return b.String(), err
		}
	}
	return b.String(), nil
}

// validMFACode reports whether code is the six digits every virtual and
// hardware MFA device shows.
func validMFACode(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
