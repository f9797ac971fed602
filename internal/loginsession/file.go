package loginsession

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sessioncache/sessioncache/internal/lockfile"
	"github.com/sessioncache/sessioncache/internal/safefile"
)

// maxFileSize bounds what is read of a token file; they hold a few
// kilobytes.
const maxFileSize = 1 << 20

// Read reads and parses the token file at path in dir, with safefile's
// trust checks: a symbolic link, a file or directory another user owns or
// others may write is refused (safefile.ErrUntrusted), naming it. A
// missing file wraps fs.ErrNotExist; one that is not a token, ErrDamaged.
func Read(dir, path string) (*Token, error) {
	data, err := safefile.ReadFile(dir, path, maxFileSize)
	switch {
	case errors.Is(err, safefile.ErrNotRegular), errors.Is(err, safefile.ErrTooLarge):
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	case err != nil:
		return nil, err
	}
	return Parse(data)
}

// Write writes t to path atomically, mode 0600, making its directory
// (0700) if needed. step is safefile.WriteFile's.
func Write(path string, t *Token, step func(string)) error {
	data, err := t.Marshal()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("loginsession: make the login cache directory: %w", err)
	}
	if err := safefile.WriteFile(path, data, step); err != nil {
		return fmt.Errorf("loginsession: write %s: %w", path, err)
	}
	return nil
}

// Lock takes the cross-process lock of the token file at path. The lock
// files live in a locks directory beside the tokens, as the AWS CLI reads
// every file of the token directory as JSON.
func Lock(ctx context.Context, path string, opts lockfile.Options) (*lockfile.Lock, error) {
	dir := filepath.Join(filepath.Dir(path), "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("loginsession: make the lock directory: %w", err)
	}
	return lockfile.Acquire(ctx, dir, strings.TrimSuffix(filepath.Base(path), ".json")+".lock", opts)
}
