// Package safefile reads and writes the files that hold credentials: cache
// entries, SSO tokens and client registrations, the token files of aws
// login sessions, and the credentials file exec --server hands its
// command. A read trusts only what the current user could have written
// (owner, mode, no symbolic link, a regular file, a size cap, in a
// directory others cannot write); a write is atomic, mode 0600, so readers
// see the old file or the new one, never a part.
package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"
)

var (
	// ErrUntrusted is wrapped when a file or its directory could have been
	// written by someone else: owned by another user, writable by group or
	// others, or a symbolic link.
	ErrUntrusted = errors.New("untrusted cache entry")
	// ErrNotRegular is wrapped for a path that holds something other than
	// a regular file, such as a planted FIFO or a directory.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge is wrapped for a file larger than its limit.
	ErrTooLarge = errors.New("file too large")
)

// Info is what ReadFileIn tells of the file it read.
type Info struct {
	// ModTime is when the file was last written.
	ModTime time.Time
	// Perm is the file's permission bits.
	Perm os.FileMode
}

// OthersMayRead reports whether someone other than the owner may read
// the file: a credential file then wants Tighten.
func (i Info) OthersMayRead() bool { return i.Perm&0o077 != 0 }

// ReadFile reads the file at path in dir, a file of credentials whatever
// it holds, checking dir first (see CheckDir), then the file (see
// ReadFileIn), and tightens it to 0600 when others may read it.
func ReadFile(dir, path string, limit int) ([]byte, error) {
	if err := CheckDir(dir); err != nil {
		return nil, err
	}
	data, info, err := ReadFileIn(path, limit)
	if err == nil && info.OthersMayRead() {
		// Others could read it; it is still ours, so close that door.
		_ = Tighten(path)
	}
	return data, err
}

// tooLarge is the error for a file over limit bytes.
func tooLarge(path string, limit int) error {
	return fmt.Errorf("%s: %w: more than %d bytes", path, ErrTooLarge, limit)
}

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
