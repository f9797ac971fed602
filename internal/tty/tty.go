// Package tty is every interaction with the terminal: opening the
// controlling terminal (on Windows, the console), reading a line without
// echo with Ctrl-C and Ctrl-D handled and the terminal restored, writing
// lines for the person at the terminal, and telling whether the process is
// in the terminal's foreground process group.
//
// A process in a background job (`sessioncache serve &`) is treated as
// having no terminal: touching the terminal's settings from there would
// stop it with SIGTTOU.
package tty

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Path is the controlling terminal (on Windows, the console's input); a
// variable so tests can point it at a file that does not exist, or at a
// pseudo-terminal.
var Path = defaultPath

var (
	// ErrInterrupted is returned by ReadHidden when the person at the
	// terminal presses Ctrl-C, or the process is asked to stop while it
	// waits. The terminal is restored first.
	ErrInterrupted = errors.New("interrupted")
	// ErrNoInput is returned by ReadHidden for end of input (Ctrl-D) on an
	// empty line.
	ErrNoInput = errors.New("end of input")
)

// OutPath is where lines for the person at the terminal are written: the
// terminal itself, or the console's output.
func OutPath() string {
	if Path == "CONIN$" {
		return "CONOUT$"
	}
	return Path
}

// Open opens the controlling terminal, if there is one and this process
// may use it: a process outside the terminal's foreground process group
// has none. The file is left non-blocking, so that closing it ends a
// pending read.
func Open() (*os.File, bool) {
	f, err := os.OpenFile(Path, os.O_RDWR, 0)
	if err != nil {
		return nil, false
	}
	if !IsTerminal(f) || background(f) {
		f.Close()
		return nil, false
	}
	return f, true
}

// Prompt writes prompt for the person at the controlling terminal, reads
// their answer there without echo (see ReadHidden), and ends the prompt's
// line. ok is false, and nothing is written, when this process has no
// terminal it may use.
func Prompt(ctx context.Context, prompt string) (line string, ok bool, err error) {
	t, ok := Open()
	if !ok {
		return "", false, nil
	}
	defer t.Close()
	out := io.Writer(t)
	if path := OutPath(); path != Path {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return "", false, nil
		}
		defer f.Close()
		out = f
	}
	fmt.Fprint(out, prompt)
	line, err = ReadHidden(ctx, t)
	fmt.Fprintln(out)
	return line, true, err
}

// Available reports whether the process has a controlling terminal it may
// use.
func Available() bool {
	f, ok := Open()
	if ok {
		f.Close()
	}
	return ok
}

// Writer writes to the controlling terminal, so that what it shows reaches
// the user while standard output and error are captured, as when an SDK
// runs a credential_process (on Windows, the console's output). A process
// in a background job has no terminal to write to.
type Writer struct{}

func (Writer) Write(p []byte) (int, error) {
	if !Available() {
		return 0, errors.New("no terminal")
	}
	f, err := os.OpenFile(OutPath(), os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.Write(p)
}

// Tell writes a line for the person at the terminal, if any, and reports
// whether there was one.
func Tell(msg string) bool {
	_, err := fmt.Fprintln(Writer{}, msg)
	return err == nil
}

// ReadLine reads up to a newline one byte at a time, so that nothing after
// the line is taken from an input a child process inherits. It stops at
// 256 bytes: no code is that long.
func ReadLine(r io.Reader) (string, error) {
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
