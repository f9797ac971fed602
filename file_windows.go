//go:build windows

package sessioncache

import (
	"io"
	"os"
)

// readEntryFile reads an entry. Windows protects the profile directory
// with ACLs, so no owner or mode checks are made here.
func readEntryFile(dir, path string) ([]byte, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		return nil, ErrUntrustedEntry
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxEntrySize+1))
}

// oNoFollow is zero: Windows has no such open flag; as for reads, the
// profile directory's ACLs keep others from planting links in it.
const oNoFollow = 0

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
