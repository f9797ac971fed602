package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
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
		// left is the time left of a cached session: its refresh, in
		// the background, asks for the code.
		left time.Duration
	}{
		"serve, refreshing": {args: []string{"serve", "-p", "mfa"}, left: 17 * time.Minute},
		// The command gets the Ctrl-C too; sh ends with 130.
		"exec server, refreshing": {args: []string{"exec", "--server", "-p", "mfa", "--", "sh", "-c", `touch "$READY"; exec sleep 30`}, left: 17 * time.Minute},
		"serve":                   {args: []string{"serve", "-p", "mfa"}},
		"exec server":             {args: []string{"exec", "--server", "-p", "mfa", "--", "true"}},
		"login":                   {args: []string{"login", "-p", "dev", "--use-device-code", "--no-browser"}, sso: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			home, env := testHome(t)
			if tt.left != 0 {
				cacheEntry(t, home, "mfa", time.Now().Add(tt.left))
			}
			// The command says when it runs, so that the Ctrl-C reaches it.
			ready := filepath.Join(t.TempDir(), "ready")
			env = append(env, "AWS_ENDPOINT_URL=http://127.0.0.1:1", "SESSIONCACHE_NO_DIALOG=1", "READY="+ready)
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
			// stopped ends the program, whose output may be read then.
			stopped := func() string {
				cmd.Process.Kill()
				<-exited
				return stderr.String()
			}
			if tt.sso {
				if _, err := oidc.WaitForUserCode(10 * time.Second); err != nil {
					t.Fatalf("no sign-in started: %v (stderr %q)", err, stopped())
				}
			} else {
				term.WaitFor(mfaPrompt, 1)
				term.WaitEchoOff()
			}
			if strings.Contains(strings.Join(tt.args, " "), "READY") {
				waitForFile(t, ready, stopped)
			}
			term.Type("\x03")
			var err error
			select {
			case err = <-exited:
			case <-time.After(20 * time.Second):
				t.Fatalf("still running after Ctrl-C; stderr %q", stopped())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Errorf("exit = %v, want status 130", err)
			}
			all := stderr.String()
			if tt.left != 0 && !strings.Contains(all, "are due for refresh") {
				t.Errorf("stderr %q lacks the refresh's note", all)
			}
			// Besides the notes made before the prompt (the refresh's, and
			// serve's own line, in either order), nothing is said.
			for _, line := range strings.Split(all, "\n") {
				line = strings.TrimSpace(line)
				switch {
				case line == "", tt.sso,
					tt.left != 0 && strings.Contains(line, "are due for refresh"),
					tt.left != 0 && strings.HasPrefix(line, "sessioncache: serving the credentials of profile"):
				default:
					t.Errorf("stderr says %q, want nothing", line)
				}
			}
			for _, bad := range []string{"context canceled", "could not refresh", "prompt interrupted"} {
				if strings.Contains(all, bad) {
					t.Errorf("stderr says %q", bad)
				}
			}
			if term.EchoOff() {
				t.Error("the terminal was left without echo")
			}
			if stdout.Len() > 0 && tt.left == 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
		})
	}
}

// cacheEntry writes the cache entry of a profile's role in home, expiring
// at exp.
func cacheEntry(t *testing.T, home, profile string, exp time.Time) {
	t.Helper()
	aws := filepath.Join(home, ".aws")
	dir := filepath.Join(aws, "cli", "cache")
	l := &sessioncache.Loader{CacheDir: dir}
	pes, err := l.ProfileEntries(context.Background(), config.WithSharedConfigProfile(profile),
		config.WithSharedConfigFiles([]string{filepath.Join(aws, "config")}),
		config.WithSharedCredentialsFiles([]string{filepath.Join(aws, "credentials")}))
	if err != nil || len(pes) == 0 {
		t.Fatalf("the entries of %s: %v", profile, err)
	}
	e := &sessioncache.Entry{Credentials: sessioncache.EntryCredentials{
		AccessKeyID: "ASIAEXAMPLECACHED001", SecretAccessKey: "fake-secret", SessionToken: "fake-token",
		Expiration: exp.Truncate(time.Second),
	}}
	if err := sessioncache.NewFileCache(dir).Set(pes[len(pes)-1].Key, e); err != nil {
		t.Fatal(err)
	}
}

// waitForFile waits until path exists; stopped ends the program under
// test and gives its standard error.
func waitForFile(t *testing.T, path string, stopped func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command did not start; stderr %q", stopped())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
