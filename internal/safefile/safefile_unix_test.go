//go:build unix

package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A FIFO planted in a file's place is refused at once, not waited on.
func TestReadFilePlantedFIFO(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ReadFile(dir, path, 10)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Fatalf("ReadFile of a FIFO: %v, want ErrNotRegular", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadFile hangs on a FIFO")
	}
}

func TestReadFileTrust(t *testing.T) {
	tests := map[string]struct {
		dirMode, fileMode os.FileMode
		link              bool
		want              error
	}{
		"private":                  {dirMode: 0o700, fileMode: 0o600},
		"file writable by others":  {dirMode: 0o700, fileMode: 0o666, want: ErrUntrusted},
		"directory others write":   {dirMode: 0o777, fileMode: 0o600, want: ErrUntrusted},
		"symbolic link to a token": {dirMode: 0o700, fileMode: 0o600, link: true, want: ErrUntrusted},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "token.json")
			target := path
			if tt.link {
				target = filepath.Join(t.TempDir(), "elsewhere.json")
				if err := os.Symlink(target, path); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(target, []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(target, tt.fileMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.dirMode); err != nil {
				t.Fatal(err)
			}
			_, err := ReadFile(dir, path, 10)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("ReadFile: %v, want %v", err, tt.want)
			}
		})
	}
}

// On systems that give each user a private group the umask is 002, and the
// AWS CLI makes its cache directory 0775: that must stay trusted.
func TestPrivateGroupWritableIsTrusted(t *testing.T) {
	if !privateGroup(uint32(os.Getegid())) {
		t.Skip("the current group is not a private group named after the user")
	}
	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(dir, 0o775); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "entry.json")
	if err := os.WriteFile(path, []byte("{}"), 0o660); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o775)
	_ = os.Chmod(path, 0o660)
	if _, err := ReadFile(dir, path, 10); err != nil {
		t.Errorf("a file in a private-group-writable directory refused: %v", err)
	}
}
