package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sessioncache/sessioncache/internal/tty"
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

// MFACodeRefusedError is returned when STS refuses an MFA code: a wrong
// one, or one already used (a code works once). The code is not sent
// again. Err is STS's error.
type MFACodeRefusedError struct {
	Serial string
	Err    error
}

func (e *MFACodeRefusedError) Error() string {
	return fmt.Sprintf("STS refused the MFA code for %s (a wrong code, or one already used): wait for the next code and try again", e.Serial)
}

func (e *MFACodeRefusedError) Unwrap() error { return e.Err }

var (
	// ErrMFAPromptInterrupted is returned when the person at the terminal
	// interrupts the prompt (Ctrl-C), or the process is asked to stop
	// while it waits for a code. The terminal is restored first.
	ErrMFAPromptInterrupted = errors.New("sessioncache: MFA prompt interrupted")
	// ErrNoMFACode is returned when the prompt ends with no code: end of
	// input (Ctrl-D) at the terminal, or a dialog that was cancelled.
	ErrNoMFACode = errors.New("sessioncache: no MFA code entered")
)

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
	line, ok, err := tty.Prompt(ctx, mfaPrompt(serial))
	if !ok {
		return "", &MFACodeUnavailableError{Serial: serial}
	}
	switch {
	case errors.Is(err, tty.ErrInterrupted):
		return "", ErrMFAPromptInterrupted
	case errors.Is(err, tty.ErrNoInput):
		return "", ErrNoMFACode
	case err != nil && ctx.Err() != nil:
		return "", err
	case err != nil:
		return "", fmt.Errorf("sessioncache: read MFA code: %w", err)
	}
	return strings.TrimSpace(line), nil
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
		line, err := tty.ReadLine(r)
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

// ChainTokenProviders returns a TokenProvider that asks each of providers
// in turn, passing over those that return *MFACodeUnavailableError, and
// returns the first code or other error. Because the order is fixed, a
// code STS refuses is asked for again from the source that gave it.
func ChainTokenProviders(providers ...TokenProvider) TokenProvider {
	return func(ctx context.Context, serial string) (string, error) {
		for _, p := range providers {
			code, err := p(ctx, serial)
			var unavailable *MFACodeUnavailableError
			if errors.As(err, &unavailable) {
				continue
			}
			return code, err
		}
		return "", &MFACodeUnavailableError{Serial: serial}
	}
}

// defaultTokenProvider is DefaultTokenProvider's chain, made once.
var defaultTokenProvider = ChainTokenProviders(ProfileProcessTokenProvider, TerminalPrompt, DialogTokenProvider)

// DefaultTokenProvider is the TokenProvider of a Loader, and of the
// fetchers, that set none: the profile's mfa_process
// (ProfileProcessTokenProvider), else the terminal (TerminalPrompt), else,
// with no terminal, a desktop dialog (DialogTokenProvider). Standard
// input is never read.
func DefaultTokenProvider(ctx context.Context, serial string) (string, error) {
	return defaultTokenProvider(ctx, serial)
}
