// Package ptytest gives tests a pseudo-terminal to run a program on, as a
// person's shell would: the program's prompts appear on it, and what the
// test types reaches the program, Ctrl-C included.
package ptytest

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Terminal is a pseudo-terminal whose output the test reads.
type Terminal struct {
	// Master is the side the test reads and types on.
	Master *os.File
	// Slave is the program's side; SlavePath is its /dev/pts/N.
	Slave     *os.File
	SlavePath string

	t       testing.TB
	mu      sync.Mutex
	out     bytes.Buffer
	changed chan struct{}
}

// Open opens a pseudo-terminal for the test, closed when it ends, or
// skips the test where there is none (anywhere but Linux).
func Open(t testing.TB) *Terminal {
	t.Helper()
	master, slavePath, err := OpenPTY()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	// Kept open, so that the master can be read between programs.
	slave, err := os.OpenFile(slavePath, os.O_RDWR|noCTTY, 0)
	if err != nil {
		t.Fatalf("open the pseudo-terminal's slave: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	term := &Terminal{Master: master, Slave: slave, SlavePath: slavePath, t: t, changed: make(chan struct{})}
	go term.read()
	return term
}

func (term *Terminal) read() {
	buf := make([]byte, 1024)
	for {
		n, err := term.Master.Read(buf)
		term.mu.Lock()
		term.out.Write(buf[:n])
		close(term.changed)
		term.changed = make(chan struct{})
		term.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Output is what the terminal has shown so far.
func (term *Terminal) Output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// WaitFor waits until s has appeared n times on the terminal.
func (term *Terminal) WaitFor(s string, n int) {
	term.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		term.mu.Lock()
		got, changed := strings.Count(term.out.String(), s), term.changed
		term.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			term.t.Fatalf("waited for %q to appear %d times; the terminal shows %q", s, n, term.Output())
		}
	}
}

// WaitEchoOff waits until the terminal stops echoing, as it does while a
// code is read.
func (term *Terminal) WaitEchoOff() {
	term.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !term.EchoOff(); {
		if time.Now().After(deadline) {
			term.t.Fatal("the terminal still echoes")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Type types s as keys, control characters such as Ctrl-C ("\x03")
// included.
func (term *Terminal) Type(s string) {
	term.t.Helper()
	if _, err := term.Master.Write([]byte(s)); err != nil {
		term.t.Fatalf("type on the terminal: %v", err)
	}
}

// EchoOff reports whether the terminal has echo turned off, as it has
// while a code is read.
func (term *Terminal) EchoOff() bool { return EchoOff(term.Master) }
