package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/peertest"
	"github.com/sessioncache/sessioncache/ssologin"
	"github.com/sessioncache/sessioncache/ststest"
)

// ssoConfig has roles r0..r(n-1) of one sso-session, corp.
func ssoConfig(n int) string {
	var b strings.Builder
	b.WriteString("[sso-session corp]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n")
	for i := range n {
		fmt.Fprintf(&b, "\n[profile r%d]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Role%d\nregion = eu-west-1\n", i, i)
	}
	return b.String()
}

// ssoWorld is a local IAM Identity Center and a HOME whose config has
// roles of one sso-session.
type ssoWorld struct {
	oidc   *ststest.OIDCServer
	portal *ststest.SSOServer
	home   *peertest.Home
	env    []string
}

func newSSOWorld(t *testing.T, roles int, oidcOpts ...func(*ststest.OIDCOptions)) *ssoWorld {
	t.Helper()
	w := &ssoWorld{portal: ststest.NewSSOServer()}
	t.Cleanup(w.portal.Close)
	w.oidc = ststest.NewOIDCServer(append([]func(*ststest.OIDCOptions){func(o *ststest.OIDCOptions) {
		o.Portal = w.portal
	}}, oidcOpts...)...)
	t.Cleanup(w.oidc.Close)
	w.home = peertest.NewHome(t, ssoConfig(roles), "")
	w.env = w.home.Env(nil,
		"AWS_ENDPOINT_URL_SSO_OIDC="+w.oidc.URL,
		"AWS_ENDPOINT_URL_SSO="+w.portal.URL,
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
		"DISPLAY", "WAYLAND_DISPLAY")
	return w
}

func (w *ssoWorld) tokenPath() string {
	return filepath.Join(w.home.Dir, ".aws", "sso", "cache", ssologin.CacheKey("corp", "")+".json")
}

func (w *ssoWorld) wantCalls(t *testing.T, op string, want int) {
	t.Helper()
	if got := w.oidc.Calls(op) + w.portal.Calls(op); got != want {
		t.Errorf("%d %s calls, want %d", got, op, want)
	}
}

// fakeBrowser puts an xdg-open in a directory first on PATH that records
// each URL it is asked to open and follows it with curl, as a browser in
// which the user is signed in to the portal would.
func fakeBrowser(t *testing.T, env []string) ([]string, string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the fake browser is an xdg-open shell script")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is needed to follow the sign-in redirects")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "opened")
	script := "#!/bin/sh\necho \"$1\" >> " + log + "\nexec " + curl + " -s -L -o /dev/null \"$1\"\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	path := dir + string(os.PathListSeparator) + os.Getenv("PATH")
	return append(env, "PATH="+path, "DISPLAY=:0"), log
}

// stampede runs n `sessioncache export` processes at once, spread over
// roles profiles, and checks that every one printed credentials.
func stampede(t *testing.T, bin string, env []string, n, roles int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for i := range n {
		cmd := exec.Command(bin, "export", "-p", fmt.Sprintf("r%d", i%roles))
		cmd.Env = env
		outs[i] = &bytes.Buffer{}
		cmd.Stdout = outs[i]
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmds[i] = cmd
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				errs[i] = fmt.Errorf("%v: %s", err, stderr.String())
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v", i, err)
		} else if !strings.Contains(outs[i].String(), `"SessionToken"`) {
			t.Errorf("process %d printed no credentials", i)
		}
	}
}

// Fifty processes that find no SSO token make one sign-in, in one browser
// tab, and all get credentials; when the token then nears its expiry, they
// make one refresh.
func TestSSOStampedeSignsInOnceAndRefreshesOnce(t *testing.T) {
	const n, roles = 50, 5
	w := newSSOWorld(t, roles, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	env, opened := fakeBrowser(t, append(w.env, sessioncache.EnvSSOSignIn+"=always"))
	bin := buildBinary(t)

	stampede(t, bin, env, n, roles)
	tabs, _ := os.ReadFile(opened)
	if got := strings.Count(string(tabs), "\n"); got != 1 {
		t.Errorf("%d browser tabs opened, want 1", got)
	}
	w.wantCalls(t, "RegisterClient", 1)
	w.wantCalls(t, "Authorize", 1)
	w.wantCalls(t, "CreateToken", 1)
	w.wantCalls(t, "GetRoleCredentials", roles)

	// Ten minutes left: the token is refreshed, once, and the role
	// credentials, whose cache is emptied, fetched with the new one.
	tok, err := ssologin.ReadToken(w.tokenPath())
	if err != nil {
		t.Fatal(err)
	}
	tok.ExpiresAt = time.Now().Add(10 * time.Minute)
	if err := ssologin.WriteToken(w.tokenPath(), tok); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(w.home.CacheDir()); err != nil {
		t.Fatal(err)
	}
	stampede(t, bin, env, n, roles)
	w.wantCalls(t, "CreateToken", 2)
	w.wantCalls(t, "RegisterClient", 1)
	w.wantCalls(t, "Authorize", 1)
	w.wantCalls(t, "GetRoleCredentials", 2*roles)
	refreshed, err := ssologin.ReadToken(w.tokenPath())
	if err != nil {
		t.Fatal(err)
	}
	if refreshed.AccessToken == tok.AccessToken || time.Until(refreshed.ExpiresAt) < 50*time.Minute {
		t.Errorf("the token was not refreshed: %v", refreshed)
	}
}

// What login writes, botocore and the Go SDK use as it is: role
// credentials with no other step.
func TestPeerSDKsUseTheLoginToken(t *testing.T) {
	w := newSSOWorld(t, 1, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	bin := buildBinary(t)
	if _, stderr, err := runBinary(t, bin, w.env, "login", "-p", "r0", "--use-device-code", "--no-browser"); err != nil {
		t.Fatalf("login: %v\n%s", err, stderr)
	}

	t.Run("botocore", func(t *testing.T) {
		before := w.portal.Calls("GetRoleCredentials")
		script := `
import botocore.session
s = botocore.session.Session(profile="r0")
c = s.get_credentials().get_frozen_credentials()
print("ok" if c.access_key.startswith("ASIA") and c.token else "no credentials")
`
		out, stderr, err := peertest.Python(t, w.env, script, "")
		if err != nil || strings.TrimSpace(out) != "ok" {
			t.Fatalf("botocore: %v\n%s%s", err, out, stderr)
		}
		if got := w.portal.Calls("GetRoleCredentials"); got != before+1 {
			t.Errorf("botocore made %d GetRoleCredentials calls, want 1", got-before)
		}
	})

	t.Run("Go SDK", func(t *testing.T) {
		for _, kv := range w.env {
			if k, v, ok := strings.Cut(kv, "="); ok && (k == "HOME" || strings.HasPrefix(k, "AWS_")) {
				t.Setenv(k, v)
			}
		}
		cfg, err := config.LoadDefaultConfig(context.Background(), config.WithSharedConfigProfile("r0"))
		if err != nil {
			t.Fatal(err)
		}
		creds, err := cfg.Credentials.Retrieve(context.Background())
		if err != nil {
			t.Fatalf("the SDK's SSO provider: %v", err)
		}
		if creds.SessionToken == "" {
			t.Error("the SDK got no session token")
		}
	})
}
