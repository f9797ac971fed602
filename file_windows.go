//go:build windows

package sessioncache

import (
	"io"
	"os"
	"time"
)

// readEntryFile reads an entry. Windows protects the profile directory
// with ACLs, so no owner or mode checks are made here.
func readEntryFile(dir, path string) ([]byte, error) {
	data, _, err := readEntryIn(path)
	return data, err
}

// readEntryIn is readEntryFile; it also returns when the file was last
// written.
func readEntryIn(path string) ([]byte, time.Time, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		return nil, time.Time{}, ErrUntrustedEntry
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEntrySize+1))
	return data, info.ModTime(), err
}

// checkTrusted refuses a cache directory that is a symbolic link; Windows
// protects the profile directory with ACLs, so nothing else is checked.
func checkTrusted(dir string, isDir bool) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		return ErrUntrustedEntry
	}
	return nil
}
