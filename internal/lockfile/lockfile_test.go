package lockfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSecondAcquireWaitsAndNamesTheHolder(t *testing.T) {
	dir := t.TempDir()
	old := WaitNotice
	WaitNotice = 0
	t.Cleanup(func() { WaitNotice = old })

	held, err := Acquire(context.Background(), dir, "k.lock", Options{Doing: "waiting for an MFA code"})
	if err != nil {
		t.Fatal(err)
	}
	var told []Holder
	_, err = Acquire(context.Background(), dir, "k.lock", Options{
		Timeout: 50 * time.Millisecond,
		OnWait:  func(h Holder) { told = append(told, h) },
	})
	var timeout *TimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("second Acquire: %v, want a *TimeoutError", err)
	}
	want := Holder{PID: os.Getpid(), Doing: filepath.Base(os.Args[0]) + ": waiting for an MFA code"}
	if timeout.Holder != want || timeout.Path != filepath.Join(dir, "k.lock") {
		t.Errorf("TimeoutError names %+v at %s, want %+v", timeout.Holder, timeout.Path, want)
	}
	if len(told) != 1 || told[0] != want {
		t.Errorf("OnWait told %+v, want once %+v", told, want)
	}
	if !strings.Contains(err.Error(), "pid ") {
		t.Errorf("message %q does not name the holder", err)
	}

	held.Release()
	held.Release() // twice is harmless
	again, err := Acquire(context.Background(), dir, "k.lock", Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	again.Release()
}

func TestAcquireHonoursTheContext(t *testing.T) {
	dir := t.TempDir()
	held, err := Acquire(context.Background(), dir, "k.lock", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Acquire(ctx, dir, "k.lock", Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire with a cancelled context: %v, want context.Canceled", err)
	}
}
