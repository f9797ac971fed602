package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/tty"
)

// onInterrupt returns a context that SIGINT or SIGTERM cancels, with a
// function that tells which of them came (nil when none did) and one that
// stops catching them.
func onInterrupt(ctx context.Context) (_ context.Context, caught func() os.Signal, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var mu sync.Mutex
	var got os.Signal
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			mu.Lock()
			got = s
			mu.Unlock()
			cancel()
		case <-done:
		}
	}()
	caught = func() os.Signal {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancel()
		})
	}
	return ctx, caught, stop
}

// quietInterrupt turns the error of a command that Ctrl-C (or SIGTERM)
// stopped, at a prompt or while it waited, into its exit status alone,
// 128 plus the signal's number as a shell reports it: the person who
// pressed it needs no "context canceled". The terminal is already
// restored; a new line ends the prompt's.
func quietInterrupt(g *globals, sig os.Signal, err error) error {
	if err == nil {
		return nil
	}
	if sig == nil && !errors.Is(err, sessioncache.ErrMFAPromptInterrupted) {
		return err
	}
	code := exitInterrupted
	if s, ok := sig.(syscall.Signal); ok {
		code = 128 + int(s)
	}
	tty.Settle(time.Second)
	fmt.Fprintln(g.stderr)
	return &statusError{code: code}
}
