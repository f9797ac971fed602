//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package tty

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

const defaultPath = "/dev/tty"

// IsTerminal reports whether f is a terminal, without making f blocking
// as f.Fd would.
func IsTerminal(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	_ = rc.Control(func(fd uintptr) {
		_, err := unix.IoctlGetTermios(int(fd), ioctlGetTermios)
		ok = err == nil
	})
	return ok
}

// ReadHidden reads a line from the terminal f with echo off. The line
// discipline keeps its editing keys, Ctrl-C and Ctrl-D. Whatever ends the
// read (a line, end of input, a signal, ctx), the terminal's settings are
// restored before ReadHidden returns: a Ctrl-C never leaves a terminal
// that does not echo. The signals that would end the process are caught
// while it waits, so that the restore happens; the process is not
// stopped, ReadHidden returns ErrInterrupted.
func ReadHidden(ctx context.Context, f *os.File) (string, error) {
	reading.Add(1)
	defer reading.Done()
	rc, err := f.SyscallConn()
	if err != nil {
		return "", err
	}
	// Catch the signals before echo goes off, so that none can end the
	// process while the terminal is changed.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	var saved *unix.Termios
	var serr error
	if err := rc.Control(func(fd uintptr) {
		saved, serr = unix.IoctlGetTermios(int(fd), ioctlGetTermios)
		if serr != nil {
			return
		}
		t := *saved
		t.Lflag &^= unix.ECHO
		t.Lflag |= unix.ICANON | unix.ISIG
		t.Iflag |= unix.ICRNL
		serr = unix.IoctlSetTermios(int(fd), ioctlSetTermios, &t)
	}); err != nil {
		return "", err
	}
	if serr != nil {
		return "", fmt.Errorf("turn off the terminal's echo: %w", serr)
	}
	restore := func() {
		_ = rc.Control(func(fd uintptr) { _ = unix.IoctlSetTermios(int(fd), ioctlSetTermios, saved) })
	}

	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := ReadLine(f)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		restore()
		if r.line == "" && errors.Is(r.err, io.EOF) {
			return "", ErrNoInput
		}
		if r.err != nil && !errors.Is(r.err, io.EOF) {
			return "", r.err
		}
		return r.line, nil
	case <-sigs:
		restore()
		return "", ErrInterrupted
	case <-ctx.Done():
		restore()
		return "", ctx.Err()
	}
	// The caller closes f, which ends the pending read.
}
