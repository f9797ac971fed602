package loopback

import (
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/pkg/browser"
)

// HasDisplay reports whether a browser can be shown: always on macOS and
// Windows, elsewhere only with an X11 or Wayland display.
func HasDisplay() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

var quietBrowser sync.Once

// OpenBrowser opens url in the system browser. What the opener prints is
// dropped: standard output may be carrying credentials.
func OpenBrowser(url string) error {
	quietBrowser.Do(func() {
		browser.Stdout = io.Discard
		browser.Stderr = io.Discard
	})
	return browser.OpenURL(url)
}
