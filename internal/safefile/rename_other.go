//go:build !windows

package safefile

import "os"

func renameReplace(from, to string) error { return os.Rename(from, to) }
