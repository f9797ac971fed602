//go:build unix

package lockfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sessioncache/sessioncache/internal/safefile"
	"golang.org/x/sys/unix"
)

// What another user could plant in place of a lock file is refused, not
// locked, written or waited on.
func TestAcquireRefusesWhatOthersPlanted(t *testing.T) {
	tests := map[string]func(t *testing.T, dir, path string){
		"symbolic link": func(t *testing.T, dir, path string) {
			if err := os.Symlink(filepath.Join(t.TempDir(), "target"), path); err != nil {
				t.Fatal(err)
			}
		},
		"FIFO": func(t *testing.T, dir, path string) {
			if err := unix.Mkfifo(path, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		},
		"hard link": func(t *testing.T, dir, path string) {
			other := filepath.Join(dir, "other")
			if err := os.WriteFile(other, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(other, path); err != nil {
				t.Fatal(err)
			}
		},
		"directory others can write": func(t *testing.T, dir, path string) {
			if err := os.Chmod(dir, 0o777); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, plant := range tests {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "locks")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "k.lock")
			plant(t, dir, path)
			l, err := Acquire(context.Background(), dir, "k.lock", Options{})
			if err == nil {
				l.Release()
			}
			if !errors.Is(err, safefile.ErrUntrusted) {
				t.Errorf("Acquire: %v, want an error wrapping safefile.ErrUntrusted", err)
			}
		})
	}
}
