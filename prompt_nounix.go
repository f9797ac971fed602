//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package sessioncache

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/term"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// readHidden reads a line from the terminal (on Windows, the console) with
// echo off.
func readHidden(ctx context.Context, tty *os.File) (string, error) {
	b, err := term.ReadPassword(int(tty.Fd()))
	if err != nil {
		return "", fmt.Errorf("sessioncache: read MFA code: %w", err)
	}
	return string(b), ctx.Err()
}
