package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteFileReplacesWithMode0600(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var steps []string
	if err := WriteFile(path, []byte("new"), func(s string) { steps = append(steps, s) }); err != nil {
		t.Fatal(err)
	}
	data, err := ReadFile(dir, path, 10)
	if err != nil || string(data) != "new" {
		t.Fatalf("ReadFile = %q, %v; want new", data, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if len(steps) != 4 {
		t.Errorf("steps %v, want create, write, sync, close", steps)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestReadFileRefuses(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 11), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(dir, big, 10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFile of 11 bytes with a limit of 10: %v, want ErrTooLarge", err)
	}
	if _, err := ReadFile(dir, big, 11); err != nil {
		t.Errorf("ReadFile of 11 bytes with a limit of 11: %v", err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(dir, sub, 10); !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadFile of a directory: %v, want ErrNotRegular", err)
	}
	if _, err := ReadFile(dir, filepath.Join(dir, "missing"), 10); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v, want ErrNotExist", err)
	}
}

func TestReadFileRefusesALinkedDirectory(t *testing.T) {
	target := t.TempDir()
	if err := os.WriteFile(filepath.Join(target, "token.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "cache")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlink: %v", err)
	}
	if _, err := ReadFile(link, filepath.Join(link, "token.json"), 10); !errors.Is(err, ErrUntrusted) {
		t.Errorf("ReadFile through a linked directory: %v, want ErrUntrusted", err)
	}
}
