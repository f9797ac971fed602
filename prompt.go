package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// TokenProvider returns a code from the MFA device serial. It is called
// only when STS must be called, never for a cache hit, and again, up to
// DefaultMFAAttempts codes in all, when STS refuses the code it gave. A
// TokenProvider that has no way to get a code returns
// *MFACodeUnavailableError, so that ChainTokenProviders asks the next one.
type TokenProvider func(ctx context.Context, serial string) (string, error)

// MFACodeUnavailableError is returned when an MFA code is needed but there
// is no way to get one: no terminal to ask, no mfa_process, no dialog. The
// caller can pass a code another way (a TokenProvider) or run in a
// terminal.
type MFACodeUnavailableError struct {
	// Serial is the MFA device the code is for.
	Serial string
}

func (e *MFACodeUnavailableError) Error() string {
	return fmt.Sprintf("an MFA code for %s is needed, but there is no terminal or dialog to ask", e.Serial)
}

// InvalidMFACodeError is returned for a code that is not six digits. STS
// is not called with it.
type InvalidMFACodeError struct {
	Serial string
}

func (e *InvalidMFACodeError) Error() string {
	return fmt.Sprintf("the MFA code for %s must be 6 digits", e.Serial)
}

var (
	// ErrMFAPromptInterrupted is returned when the person at the terminal
	// interrupts the prompt (Ctrl-C), or the process is asked to stop
	// while it waits for a code. The terminal is restored first.
	ErrMFAPromptInterrupted = errors.New("sessioncache: MFA prompt interrupted")
	// ErrNoMFACode is returned when the prompt ends with no code: end of
	// input (Ctrl-D) at the terminal, or a dialog that was cancelled.
	ErrNoMFACode = errors.New("sessioncache: no MFA code entered")
)

// ttyPath is the controlling terminal (on Windows, the console's input);
// a variable so tests can point it at a file that does not exist, or at a
// pseudo-terminal.
var ttyPath = defaultTTYPath

// ttyOutPath is where the prompt and notes for the person at the terminal
// are written: the terminal itself, or the console's output.
func ttyOutPath() string {
	if ttyPath == "CONIN$" {
		return "CONOUT$"
	}
	return ttyPath
}

// mfaPrompt is the question every prompt asks.
func mfaPrompt(serial string) string { return "Enter MFA code for " + serial + ": " }

// TerminalPrompt writes "Enter MFA code for <serial>: " to the controlling
// terminal and reads the code there without echo, so it works while
// standard output and error are captured (as when another SDK runs a
// credential_process). Standard input is never read: it may be another
// program's data. With no terminal it returns *MFACodeUnavailableError.
//
// Ctrl-C (or SIGTERM or SIGHUP) restores the terminal and returns
// ErrMFAPromptInterrupted; Ctrl-D on an empty line returns ErrNoMFACode;
// a cancelled ctx returns its error.
func TerminalPrompt(ctx context.Context, serial string) (string, error) {
	tty, ok := openTerminal()
	if !ok {
		return "", &MFACodeUnavailableError{Serial: serial}
	}
	defer tty.Close()
	out := io.Writer(tty)
	if path := ttyOutPath(); path != ttyPath {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return "", &MFACodeUnavailableError{Serial: serial}
		}
		defer f.Close()
		out = f
	}
	fmt.Fprint(out, mfaPrompt(serial))
	line, err := readHidden(ctx, tty)
	fmt.Fprintln(out)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// openTerminal opens the controlling terminal, if there is one. The file
// is left non-blocking, so that closing it ends a pending read.
func openTerminal() (*os.File, bool) {
	tty, err := os.OpenFile(ttyPath, os.O_RDWR, 0)
	if err != nil {
		return nil, false
	}
	if !isTerminal(tty) {
		tty.Close()
		return nil, false
	}
	return tty, true
}

// LineTokenProvider returns a TokenProvider that reads one code per line
// from r, after writing the prompt to w when w is not nil. It reads one
// byte at a time, so that nothing after the code is taken from a standard
// input that a child process inherits. At the end of r, with nothing
// read, it returns *MFACodeUnavailableError.
//
// Use it only where r is clearly meant for the code, as for an explicit
// option: standard input is usually the program's data.
func LineTokenProvider(r io.Reader, w io.Writer) TokenProvider {
	var mu sync.Mutex
	return func(ctx context.Context, serial string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if w != nil {
			fmt.Fprint(w, mfaPrompt(serial))
		}
		line, err := readLine(r)
		if line == "" && err != nil {
			if w != nil {
				fmt.Fprintln(w)
			}
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
				return "", &MFACodeUnavailableError{Serial: serial}
			}
			return "", fmt.Errorf("sessioncache: read MFA code: %w", err)
		}
		return strings.TrimSpace(line), nil
	}
}

// readLine reads up to a newline one byte at a time. It stops at 256
// bytes: no code is that long.
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

// ValidMFACode reports whether code is the six digits every virtual and
// hardware MFA device shows. Codes of another form are refused before
// they reach STS.
func ValidMFACode(code string) bool {
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
