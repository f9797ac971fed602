package sessioncache

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// ProcessTokenProvider returns a TokenProvider that runs command, as
// aws-vault runs a profile's mfa_process, and returns what it writes to
// standard output, trimmed: for example
//
//	ykman oath accounts code --single my-aws
//
// The command runs with sh -c (cmd.exe /C on Windows), once per code
// needed. Its standard error is the program's, so that a note such as
// "Touch your YubiKey" reaches the person; its standard input is empty.
// What it prints is never logged or shown in an error.
func ProcessTokenProvider(command string) TokenProvider {
	return func(ctx context.Context, serial string) (string, error) {
		return runMFAProcess(ctx, command)
	}
}

// ProfileProcessTokenProvider runs the mfa_process of the profile whose
// code is needed, as ProcessTokenProvider does. A Loader tells it the
// profile's setting (or, when the profile has none, the nearest one along
// its source_profile chain); anywhere else, or for a profile without
// mfa_process, it returns *MFACodeUnavailableError. It is the first
// source of DefaultTokenProvider.
func ProfileProcessTokenProvider(ctx context.Context, serial string) (string, error) {
	command, _ := ctx.Value(mfaProcessKey{}).(string)
	if command == "" {
		return "", &MFACodeUnavailableError{Serial: serial}
	}
	return runMFAProcess(ctx, command)
}

// mfaProcessKey is the context key of the mfa_process of the profile
// whose code is asked for.
type mfaProcessKey struct{}

func withMFAProcess(ctx context.Context, command string) context.Context {
	return context.WithValue(ctx, mfaProcessKey{}, command)
}

func runMFAProcess(ctx context.Context, command string) (string, error) {
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd.exe", "/C", command)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		// The command line may hold a TOTP seed: name only its program.
		return "", fmt.Errorf("sessioncache: the profile's mfa_process (%s): %w", firstWord(command), err)
	}
	return strings.TrimSpace(out.String()), nil
}

// firstWord returns the program of a command line, for messages.
func firstWord(command string) string {
	if f := strings.Fields(command); len(f) > 0 {
		return f[0]
	}
	return ""
}
