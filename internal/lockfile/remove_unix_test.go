//go:build unix

package lockfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A holder that removes the lock file as it lets go leaves no file behind,
// and a process that was waiting for it does not end up holding a lock on
// the removed file while another locks the new one.
func TestRemoveWhileWaiting(t *testing.T) {
	dir := t.TempDir()
	old := WaitNotice
	WaitNotice = 0
	t.Cleanup(func() { WaitNotice = old })

	a, err := Acquire(context.Background(), dir, "k.lock", Options{})
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	got := make(chan *Lock, 1)
	go func() {
		b, err := Acquire(context.Background(), dir, "k.lock", Options{
			Timeout: 10 * time.Second,
			OnWait:  func(Holder) { close(waiting) },
		})
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	<-waiting // b has the file open and waits on it
	if err := a.Remove(); err != nil {
		t.Fatal(err)
	}
	b := <-got
	if b == nil {
		return
	}
	defer b.Release()
	c, err := Acquire(context.Background(), dir, "k.lock", Options{Timeout: 100 * time.Millisecond})
	var timeout *TimeoutError
	if !errors.As(err, &timeout) {
		if c != nil {
			c.Release()
		}
		t.Fatalf("a third process took the lock (%v) while the waiter held it: the waiter locked the removed file", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "k.lock")); err != nil {
		t.Errorf("the waiter holds no lock file at the path: %v", err)
	}
}

func TestRemoveLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(context.Background(), dir, "k.lock", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := l.Remove(); err != nil {
		t.Errorf("a second Remove: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "k.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file is still there: %v", err)
	}
}
