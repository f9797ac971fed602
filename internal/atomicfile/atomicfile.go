// Package atomicfile writes files that readers see whole or not at all,
// and reads them without being hung by what was planted in their place,
// for the credential cache and the SSO token cache.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// WriteFile writes data to a new file beside path, mode 0600, and renames
// it over path. The temporary file is created exclusively, so no symbolic
// link planted in its place is followed, and the rename replaces a link at
// path rather than writing through it. A failed write leaves the old file
// in place. step, when not nil, is called after each step ("create",
// "write", "sync", "close"), so that tests can crash a writer between any
// two.
func WriteFile(path string, data []byte, step func(string)) (err error) {
	if step == nil {
		step = func(string) {}
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := path + "." + hex.EncodeToString(rnd[:]) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	step("create")
	// The umask may have removed bits; set exactly owner read and write.
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	step("write")
	if err = f.Sync(); err != nil {
		return err
	}
	step("sync")
	if err = f.Close(); err != nil {
		return err
	}
	step("close")
	return renameReplace(tmp, path)
}

// ErrNotRegular is returned by ReadFile for a path that holds something
// other than a regular file, such as a planted FIFO or a directory.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is returned by ReadFile for a file larger than its limit.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads a regular file of at most limit bytes. It opens the file
// without blocking, so a FIFO planted in its place cannot hang the reader,
// and refuses anything but a regular file.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", path, ErrTooLarge, limit)
	}
	return data, nil
}
