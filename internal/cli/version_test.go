package cli

import (
	"strings"
	"testing"
)

// TestVersionStamped checks that the version and commit a release build
// stamps with -ldflags -X are the ones printed.
func TestVersionStamped(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v1.2.3", "0123456789abcdef0123456789abcdef01234567"
	got := versionString()
	for _, want := range []string{"sessioncache v1.2.3\n", "commit 0123456789abcdef0123456789abcdef01234567\n", "built with go"} {
		if !strings.Contains(got, want) {
			t.Errorf("versionString() = %q, want it to hold %q", got, want)
		}
	}
}
