//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package tty

import (
	"context"
	"os"

	"golang.org/x/term"
)

// IsTerminal reports whether f is a terminal (on Windows, a console).
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// ReadHidden reads a line from the terminal (on Windows, the console) with
// echo off.
func ReadHidden(ctx context.Context, f *os.File) (string, error) {
	reading.Add(1)
	defer reading.Done()
	b, err := term.ReadPassword(int(f.Fd()))
	if err != nil {
		return "", err
	}
	return string(b), ctx.Err()
}
