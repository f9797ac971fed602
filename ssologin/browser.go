package ssologin

import (
	"fmt"

	"github.com/sessioncache/sessioncache/internal/loopback"
)

// prompt tells the user where to sign in and opens the browser there, in
// the words of `aws sso login`. userCode is "" for the authorization code
// flow.
func (ts *TokenSource) prompt(uri, uriComplete, userCode string) {
	w := ts.opts.Output
	open := !ts.opts.NoBrowser && loopback.HasDisplay()
	switch {
	case !open:
		fmt.Fprintf(w, "Browser will not be automatically opened.\nPlease visit the following URL:\n\n%s\n", uri)
		if userCode != "" {
			fmt.Fprintf(w, "\nThen enter the code:\n\n%s\n\nAlternatively, you may visit the following URL which will autofill the code upon loading:\n%s\n", userCode, uriComplete)
		}
	case userCode != "":
		fmt.Fprintf(w, "Attempting to open your default browser.\nIf the browser does not open or you wish to use a different device to authorize this request, open the following URL:\n\n%s\n\nThen enter the code:\n\n%s\n", uri, userCode)
	default:
		fmt.Fprintf(w, "Attempting to open your default browser. If the browser does not open, open the following URL.\nIf you are unable to open the URL on this device, run this command again with the '--use-device-code' option.\n\n%s\n\n", uri)
	}
	if open {
		if err := ts.opts.OpenBrowser(uriComplete); err != nil {
			ts.debug("could not open the browser", "error", err.Error())
		}
	}
}
