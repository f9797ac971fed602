//go:build !windows

package atomicfile

import "os"

func renameReplace(from, to string) error { return os.Rename(from, to) }
