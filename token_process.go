package sessioncache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sessioncache/sessioncache/internal/proc"
)

// DefaultMFAProcessTimeout is how long an MFA code program may run: long
// enough to find and touch a security key, short enough that a program
// that hangs does not hold the cache lock for ever. A profile changes it
// with mfa_process_timeout.
const DefaultMFAProcessTimeout = 2 * time.Minute

// Bounds of what an MFA code program may print: a code is a few bytes,
// and its error a line or two.
const (
	maxMFAProcessOutput = 1 << 10
	maxMFAProcessStderr = 512
)

// mfaProcessWaitDelay is how long, once the program has exited or been
// killed, its output is waited for: a background child it left holding
// the output open must not hang the wait.
const mfaProcessWaitDelay = 2 * time.Second

// ProcessOptions configure ProcessTokenProvider.
type ProcessOptions struct {
	// Timeout is how long the program may run before it is killed, with
	// its process group. Default: DefaultMFAProcessTimeout.
	Timeout time.Duration
}

// ProcessTokenProvider returns a TokenProvider that runs command, as
// aws-vault runs a profile's mfa_process, and returns what it writes to
// standard output, trimmed: for example
//
//	ykman oath accounts code --single my-aws
//
// The command runs with sh -c (cmd.exe /C on Windows), once per code
// needed, in a process group of its own that is killed when it runs
// past the timeout or ctx is done. Its standard error is the program's, so
// that a note such as "Touch your YubiKey" reaches the person; its
// standard input is empty. It must print a 6-digit code, and at most
// 1 KiB. What it prints on standard output, and the command line, are
// never logged or shown in an error; an error gives its exit status and
// the end of its standard error, with the words of the command line in it
// blanked out.
func ProcessTokenProvider(command string, optFns ...func(*ProcessOptions)) TokenProvider {
	var o ProcessOptions
	for _, fn := range optFns {
		fn(&o)
	}
	return func(ctx context.Context, serial string) (string, error) {
		return runMFAProcess(ctx, mfaProcess{command: command, timeout: o.Timeout})
	}
}

// ProfileProcessTokenProvider runs the mfa_process of the profile whose
// code is needed, as ProcessTokenProvider does, for at most the profile's
// mfa_process_timeout (seconds, or a duration such as "30s"; default
// DefaultMFAProcessTimeout). A Loader tells it the profile's setting (or,
// when the profile has none, the nearest one along its source_profile
// chain); anywhere else, or for a profile without mfa_process, it returns
// *MFACodeUnavailableError. It is the first source of DefaultTokenProvider.
func ProfileProcessTokenProvider(ctx context.Context, serial string) (string, error) {
	p, _ := ctx.Value(mfaProcessKey{}).(mfaProcess)
	if p.command == "" {
		return "", &MFACodeUnavailableError{Serial: serial}
	}
	if p.err != nil {
		return "", p.err
	}
	return runMFAProcess(ctx, p)
}

// mfaProcessKey is the context key of the mfa_process of the profile
// whose code is asked for.
type mfaProcessKey struct{}

// mfaProcess is a profile's MFA code program.
type mfaProcess struct {
	command string
	// profile is the profile that sets it; "" outside a profile.
	profile string
	// timeout is 0 for the default.
	timeout time.Duration
	// err is a bad mfa_process_timeout.
	err error
}

func withMFAProcess(ctx context.Context, p mfaProcess) context.Context {
	return context.WithValue(ctx, mfaProcessKey{}, p)
}

// profileMFAProcess is the mfa_process of profile, with its timeout,
// from the settings read by setting.
func profileMFAProcess(profile string, setting func(key string) string) mfaProcess {
	p := mfaProcess{command: setting("mfa_process"), profile: profile}
	if text := strings.TrimSpace(setting("mfa_process_timeout")); text != "" {
		d, err := parseTimeout(text)
		if err != nil {
			p.err = fmt.Errorf("sessioncache: profile %q: mfa_process_timeout = %s: %w", profile, text, err)
		}
		p.timeout = d
	}
	return p
}

// parseTimeout reads a timeout given in seconds ("30") or as a Go
// duration ("2m").
func parseTimeout(text string) (time.Duration, error) {
	d, err := time.ParseDuration(text)
	if n, nerr := strconv.Atoi(text); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d <= 0 {
		return 0, errors.New("give a positive number of seconds, such as 120, or a duration such as 2m")
	}
	return d, nil
}

func runMFAProcess(ctx context.Context, p mfaProcess) (string, error) {
	timeout := p.timeout
	if timeout <= 0 {
		timeout = DefaultMFAProcessTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", p.command)
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd.exe", "/C", p.command)
	}
	proc.KillGroupOnCancel(cmd)
	cmd.WaitDelay = mfaProcessWaitDelay
	out := &capWriter{max: maxMFAProcessOutput}
	errTail := &capWriter{max: maxMFAProcessStderr, keepTail: true}
	cmd.Stdout = out
	cmd.Stderr = io.MultiWriter(os.Stderr, errTail)
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		err = fmt.Errorf("gave no code within %v, and was stopped: make it answer sooner, or raise mfa_process_timeout in the profile", timeout)
	case ctx.Err() != nil:
		return "", ctx.Err()
	case out.over:
		err = fmt.Errorf("printed more than %d bytes, which is no MFA code: make it print only the code", maxMFAProcessOutput)
	case (err == nil || errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState.Success()) && !ValidMFACode(strings.TrimSpace(out.String())):
		// What it printed is not quoted: it may be anything, a secret too.
		err = errors.New("printed no 6-digit code: make it print only the code on standard output (notes go to standard error)")
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState.Success():
		// It exited with its code; what it left running only held the
		// output open.
		err = nil
	case errors.As(err, &exitErr):
		err = fmt.Errorf("failed with %s", exitErr.ProcessState)
		if tail := strings.TrimSpace(redactCommand(errTail.String(), p.command)); tail != "" {
			err = fmt.Errorf("%w: %s", err, tail)
		}
	case err != nil:
		// Only the error's kind: its text may quote the command line.
		err = fmt.Errorf("could not be run: %w", unwrapAll(err))
	}
	if err != nil {
		// The command line may hold a secret (TOKEN=... cmd, a TOTP
		// seed): the error names the setting, never the command.
		return "", fmt.Errorf("sessioncache: %s %w", p.what(), err)
	}
	return strings.TrimSpace(out.String()), nil
}

// redactCommand replaces in text, the end of what the program wrote on
// standard error, each word of its command line of six characters or
// more: a program that prints its arguments or environment on failure
// (usage: ... --seed SECRET) must not carry a secret of the command line
// into the error.
func redactCommand(text, command string) string {
	words := strings.FieldsFunc(command, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("'\"`$;&|()<>=", r)
	})
	words = slices.DeleteFunc(words, func(w string) bool { return len(w) < 6 })
	// The longest first, so that a word within another goes with it.
	slices.SortFunc(words, func(a, b string) int { return len(b) - len(a) })
	for _, w := range words {
		text = strings.ReplaceAll(text, w, "***")
	}
	return text
}

// what names the program in errors.
func (p mfaProcess) what() string {
	if p.profile == "" {
		return "the MFA code program"
	}
	return fmt.Sprintf("profile %q: its mfa_process", p.profile)
}

// unwrapAll returns the innermost error of a chain.
func unwrapAll(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// capWriter keeps at most max bytes: the first ones, or with keepTail
// the last ones. Past max, it keeps the head and fails the write, so that
// a program that prints on and on gets SIGPIPE.
type capWriter struct {
	buf      bytes.Buffer
	max      int
	keepTail bool
	over     bool
}

func (w *capWriter) Write(p []byte) (int, error) {
	if w.keepTail {
		w.buf.Write(p)
		if extra := w.buf.Len() - w.max; extra > 0 {
			w.buf.Next(extra)
		}
		return len(p), nil
	}
	if w.buf.Len()+len(p) > w.max {
		w.over = true
		return 0, errors.New("too much output")
	}
	return w.buf.Write(p)
}

func (w *capWriter) String() string { return w.buf.String() }
