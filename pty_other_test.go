//go:build !linux

package sessioncache

import (
	"os"
	"testing"
)

func openPTY(t *testing.T) (master *os.File, slavePath string) {
	t.Helper()
	t.Skip("the pseudo-terminal tests open /dev/ptmx the Linux way")
	return nil, ""
}

func echoOff(*os.File) bool { return false }

const noCTTY = 0
