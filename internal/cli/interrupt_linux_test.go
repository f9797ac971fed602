package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/internal/ptytest"
	"github.com/sessioncache/sessioncache/ststest"
)

const ssoProfile = `
[profile dev]
sso_session = signin
sso_account_id = 111122223333
sso_role_name = Developer

[sso-session signin]
sso_start_url = https://d-123.awsapps.com/start
sso_region = eu-west-1
`

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// Ctrl-C at a prompt of serve, exec --server or login ends the program
// quietly with status 130, the terminal restored: no "context canceled",
// no error at all.
func TestCtrlCAtPrompts(t *testing.T) {
	bin := buildBinary(t)
	const mfaPrompt = "Enter MFA code for arn:aws:iam::123456789012:mfa/alice: "
	tests := map[string]struct {
		args []string
		sso  bool
	}{
		"serve":       {args: []string{"serve", "-p", "mfa"}},
		"exec server": {args: []string{"exec", "--server", "-p", "mfa", "--", "true"}},
		"login":       {args: []string{"login", "-p", "dev", "--use-device-code", "--no-browser"}, sso: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			home, env := testHome(t)
			env = append(env, "AWS_ENDPOINT_URL=http://127.0.0.1:1", "SESSIONCACHE_NO_DIALOG=1")
			var oidc *ststest.OIDCServer
			if tt.sso {
				oidc = ststest.NewOIDCServer()
				t.Cleanup(oidc.Close)
				env = append(env, "AWS_ENDPOINT_URL_SSO_OIDC="+oidc.URL)
				appendFile(t, filepath.Join(home, ".aws", "config"), ssoProfile)
			}
			term := ptytest.Open(t)
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			term.Attach(cmd)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			if tt.sso {
				if _, err := oidc.WaitForUserCode(10 * time.Second); err != nil {
					t.Fatalf("no sign-in started: %v (stderr %q)", err, stderr.String())
				}
			} else {
				term.WaitFor(mfaPrompt, 1)
				term.WaitEchoOff()
			}
			term.Type("\x03")
			var err error
			select {
			case err = <-exited:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running after Ctrl-C; stderr %q", stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Errorf("exit = %v, want status 130", err)
			}
			if text := strings.TrimSpace(stderr.String()); strings.Contains(text, "sessioncache:") && !tt.sso || strings.Contains(text, "context canceled") || strings.Contains(text, "interrupted") {
				t.Errorf("stderr says %q, want nothing", text)
			}
			if term.EchoOff() {
				t.Error("the terminal was left without echo")
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
		})
	}
}
