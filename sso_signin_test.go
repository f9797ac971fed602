package sessioncache

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/internal/tty"
	"github.com/sessioncache/sessioncache/ststest"
)

// An SSO profile with no token signs in on the terminal, saying so there,
// and gets its role credentials; without a terminal it fails at once.
func TestSSOSignInOnlyOnATerminal(t *testing.T) {
	w := newKindsWorld(t)
	oidc := ststest.NewOIDCServer(func(o *ststest.OIDCOptions) { o.Portal = w.sso })
	t.Cleanup(oidc.Close)
	t.Setenv("AWS_ENDPOINT_URL_SSO_OIDC", oidc.URL)
	t.Setenv(EnvSSOSignIn, "")
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	removeSSOToken(t, kindsSSOStartURL)

	t.Run("no terminal", func(t *testing.T) {
		old := tty.Path
		tty.Path = filepath.Join(t.TempDir(), "no-tty")
		t.Cleanup(func() { tty.Path = old })
		_, err := w.load(t, "sso-legacy")
		var login *SSOLoginError
		if !errors.As(err, &login) {
			t.Fatalf("error %v, want an SSOLoginError", err)
		}
		if n := len(oidc.Requests()); n != 0 {
			t.Errorf("%d calls to SSO OIDC without a terminal", n)
		}
	})

	t.Run("terminal", func(t *testing.T) {
		term := newTerminal(t)
		go func() {
			code, err := oidc.WaitForUserCode(20 * time.Second)
			if err == nil {
				term.waitFor(code, 1)
				err = oidc.Approve(code)
			}
			if err != nil {
				t.Error(err)
			}
		}()
		creds, err := w.load(t, "sso-legacy")
		if err != nil {
			t.Fatal(err)
		}
		if creds.SessionToken == "" {
			t.Error("no role credentials")
		}
		term.waitFor("has expired or is missing; signing in.", 1)
		term.waitFor("Then enter the code:", 1)
		if oidc.Calls("StartDeviceAuthorization") != 1 || w.sso.Calls("GetRoleCredentials") != 1 {
			t.Errorf("%d sign-ins, %d GetRoleCredentials calls, want 1 and 1", oidc.Calls("StartDeviceAuthorization"), w.sso.Calls("GetRoleCredentials"))
		}
	})
}
