package sessioncache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// EnvNoDialog turns DialogTokenProvider off when set to anything but ""
// or "0": for programs that must never open a window.
const EnvNoDialog = "SESSIONCACHE_NO_DIALOG"

// DialogTokenProvider asks for the code in a desktop dialog with hidden
// input: osascript on macOS; zenity, else kdialog, where a graphical
// session (DISPLAY or WAYLAND_DISPLAY) has them installed. It returns
// *MFACodeUnavailableError where there is no such dialog, or when
// SESSIONCACHE_NO_DIALOG is set; a cancelled dialog returns ErrNoMFACode.
// It comes after TerminalPrompt in DefaultTokenProvider, for programs
// started without a terminal, such as an IDE's.
func DialogTokenProvider(ctx context.Context, serial string) (string, error) {
	args := dialogCommand(dialogGOOS, mfaPrompt(serial), os.Getenv, exec.LookPath)
	if args == nil {
		return "", &MFACodeUnavailableError{Serial: serial}
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout = &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return "", ctx.Err()
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		// What all three do when the person presses Cancel.
		return "", fmt.Errorf("%w: the dialog was cancelled", ErrNoMFACode)
	case err != nil:
		return "", fmt.Errorf("sessioncache: MFA dialog %s: %w", args[0], err)
	}
	code := strings.TrimSpace(out.String())
	if code == "" {
		return "", ErrNoMFACode
	}
	return code, nil
}

// dialogGOOS is the system whose dialog is shown; a variable so tests
// can run the macOS dialog's command elsewhere.
var dialogGOOS = runtime.GOOS

// osascriptDialog asks with hidden input; the prompt comes as an
// argument, so that no quoting can break the script.
var osascriptDialog = []string{
	"-e", "on run argv",
	"-e", `display dialog (item 1 of argv) default answer "" with hidden answer with title "sessioncache" buttons {"Cancel", "OK"} default button "OK"`,
	"-e", "return text returned of result",
	"-e", "end run",
}

// dialogCommand returns the command line of the dialog that asks msg on
// goos, or nil when there is none.
func dialogCommand(goos, msg string, getenv func(string) string, lookPath func(string) (string, error)) []string {
	if v := getenv(EnvNoDialog); v != "" && v != "0" {
		return nil
	}
	find := func(name string) (string, bool) {
		path, err := lookPath(name)
		return path, err == nil
	}
	switch goos {
	case "windows", "ios", "android":
		return nil
	case "darwin":
		if path, ok := find("osascript"); ok {
			return append(append([]string{path}, osascriptDialog...), msg)
		}
		return nil
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return nil
	}
	if path, ok := find("zenity"); ok {
		return []string{path, "--entry", "--hide-text", "--title=sessioncache", "--text=" + msg}
	}
	if path, ok := find("kdialog"); ok {
		return []string{path, "--title", "sessioncache", "--password", msg}
	}
	return nil
}
