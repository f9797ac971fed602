package tty

import (
	"sync"
	"time"
)

// reading counts the calls of ReadHidden under way.
var reading sync.WaitGroup

// Settle waits, for at most d, until every ReadHidden under way has
// returned, and so restored the terminal: a process that ends on Ctrl-C
// calls it first, since the read it interrupted may run in a goroutine
// that it no longer waits for (the SDK's credential cache gives up on a
// cancelled context at once).
func Settle(d time.Duration) {
	done := make(chan struct{})
	go func() {
		reading.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}
