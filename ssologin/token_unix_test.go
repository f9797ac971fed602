//go:build unix

package ssologin

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A FIFO planted where a token belongs is a damaged token, replaced by the
// next sign-in; it must not hang the reader in open(2).
func TestReadTokenPlantedFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ReadToken(path)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrDamaged) {
			t.Fatalf("ReadToken of a FIFO: %v, want ErrDamaged", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadToken hangs on a FIFO")
	}
	tok := &Token{AccessToken: "a", ExpiresAt: time.Now().Add(time.Hour)}
	if err := WriteToken(path, tok); err != nil {
		t.Fatalf("replacing the FIFO: %v", err)
	}
	if got, err := ReadToken(path); err != nil || got.AccessToken != "a" {
		t.Fatalf("after the write: %v", err)
	}
}
