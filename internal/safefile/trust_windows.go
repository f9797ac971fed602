//go:build windows

package safefile

import (
	"fmt"
	"io"
	"os"
)

// ReadFileIn reads a regular file of at most limit bytes in a directory
// already checked, and returns when it was last written and its
// permissions. Windows protects the profile directory with ACLs, so no
// owner or mode checks are made.
func ReadFileIn(path string, limit int) ([]byte, Info, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, Info{}, err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		return nil, Info{}, fmt.Errorf("%w: %s is a symbolic link: remove it", ErrUntrusted, path)
	}
	if !info.Mode().IsRegular() {
		return nil, Info{}, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, Info{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, Info{}, err
	}
	if len(data) > limit {
		return nil, Info{}, tooLarge(path, limit)
	}
	return data, Info{ModTime: info.ModTime(), Perm: info.Mode().Perm()}, nil
}

// Tighten does nothing: Windows protects the profile directory with ACLs.
func Tighten(path string) error { return nil }

// CheckDir refuses a directory that is a symbolic link; Windows protects
// the profile directory with ACLs, so nothing else is checked.
func CheckDir(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%w: the directory %s is a symbolic link: make it a directory of its own", ErrUntrusted, dir)
	}
	return nil
}
