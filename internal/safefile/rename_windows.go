//go:build windows

package safefile

import (
	"errors"
	"os"
	"time"
)

// renameReplace retries briefly: on Windows a rename fails while another
// process has the target open for reading.
func renameReplace(from, to string) error {
	var err error
	for i := 0; i < 20; i++ {
		if err = os.Rename(from, to); err == nil || !errors.Is(err, os.ErrPermission) {
			return err
		}
		time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
	}
	return err
}
