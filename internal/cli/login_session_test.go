package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/loginsession"
	"github.com/sessioncache/sessioncache/ststest"
)

const cliLoginARN = "arn:aws:iam::111122223333:user/carol"

// loginCLIWorld is a HOME whose config file holds config, a local
// sign-in service that approves every sign-in, and a local STS.
func loginCLIWorld(t *testing.T, config string) (*ststest.SigninServer, *ststest.Server, string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "SESSIONCACHE_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	srv := ststest.NewSigninServer(func(o *ststest.SigninOptions) {
		o.AutoApprove = true
		o.Session = cliLoginARN
	})
	t.Cleanup(srv.Close)
	sts := ststest.NewServer()
	t.Cleanup(sts.Close)
	home := t.TempDir()
	configFile := filepath.Join(home, ".aws", "config")
	if err := os.MkdirAll(filepath.Dir(configFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"HOME": home, "AWS_CONFIG_FILE": configFile, "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, ".aws", "credentials"),
		"AWS_ENDPOINT_URL_SIGNIN": srv.URL, "AWS_ENDPOINT_URL_STS": sts.URL, "AWS_EC2_METADATA_DISABLED": "true",
		"DISPLAY": "", "WAYLAND_DISPLAY": "",
	} {
		t.Setenv(k, v)
	}
	return srv, sts, home
}

// loginWithBrowser runs `sessioncache args...`, which prints a sign-in
// URL, and plays the browser: it visits forged (a callback with another
// state) when set, then the URL, whose redirect reaches the command.
func loginWithBrowser(t *testing.T, srv *ststest.SigninServer, forged bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	pr, pw := io.Pipe()
	var errBuf bytes.Buffer
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(args, strings.NewReader(""), &out, io.MultiWriter(pw, &errBuf))
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, srv.URL+"/v1/authorize?") {
			continue
		}
		u, _ := url.Parse(line)
		if forged {
			callback := u.Query().Get("redirect_uri") + "?code=stolen&state=forged"
			resp, err := http.Get(callback)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("a callback with a forged state got %d, want 400", resp.StatusCode)
			}
			if n := srv.Calls("CreateOAuth2Token"); n != 0 {
				t.Errorf("a forged state led to %d code exchanges", n)
			}
		}
		resp, err := http.Get(line)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		break
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	select {
	case code = <-done:
	case <-time.After(time.Minute):
		t.Fatal("login did not finish")
	}
	return code, out.String(), errBuf.String()
}

func TestLoginSessionCLISignInExportLogout(t *testing.T) {
	srv, sts, home := loginCLIWorld(t, "[profile dev]\nlogin_session = "+cliLoginARN+"\nregion = eu-west-1\n\n[profile admin]\nrole_arn = arn:aws:iam::111122223333:role/admin\nsource_profile = dev\n")
	code, stdout, stderr := loginWithBrowser(t, srv, true, "login", "-p", "dev", "--no-browser")
	if code != 0 {
		t.Fatalf("login failed: %s", stderr)
	}
	if !strings.Contains(stderr, "Browser will not be automatically opened.") || !strings.Contains(stdout, "Signed in as "+cliLoginARN+" for profile dev") {
		t.Fatalf("login said:\n%s%s", stdout, stderr)
	}
	q := srv.Requests()[0].Params
	if q.Get("redirectUri") == "" || !strings.HasSuffix(q.Get("redirectUri"), "/oauth/callback") {
		t.Errorf("authorize request %v", q)
	}
	path := loginsession.Path(filepath.Join(home, ".aws", "login", "cache"), cliLoginARN)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no token file: %v", err)
	}
	tok, err := loginsession.Parse(data)
	if err != nil || tok.AccountID != "111122223333" || tok.ClientID != loginsession.SameDeviceClientID || tok.IDToken == "" {
		t.Fatalf("token file: %v", err)
	}
	for _, secret := range []string{tok.SecretAccessKey, tok.SessionToken, tok.RefreshToken, tok.IDToken, "PRIVATE KEY"} {
		if strings.Contains(stdout+stderr, secret) {
			t.Fatal("login's output holds a secret")
		}
	}

	var out, errOut bytes.Buffer
	if code := Main([]string{"status", "-p", "dev"}, strings.NewReader(""), &out, &errOut); code != 0 || !regexp.MustCompile(`^1[45]m\n$`).MatchString(out.String()) {
		t.Errorf("status -p dev printed %q (%s), want the 15 minutes the login credentials have", out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	out.Reset()
	errOut.Reset()
	if code := Main([]string{"export", "-p", "admin"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("export -p admin: %s", errOut.String())
	}
	if reqs := sts.Requests(); len(reqs) != 1 || reqs[0].AccessKeyID != tok.AccessKeyID {
		t.Fatalf("the role was not assumed with the login session's credentials")
	}
	roleKey := sessioncache.AssumeRoleKey(sessioncache.AssumeRoleKeyInput{RoleARN: "arn:aws:iam::111122223333:role/admin"})
	rolePath := filepath.Join(home, ".aws", "cli", "cache", roleKey+".json")
	if _, err := os.Stat(rolePath); err != nil {
		t.Fatalf("the role session is not cached: %v", err)
	}

	for _, args := range [][]string{{"list"}, {"list", "-p", "admin"}} {
		out.Reset()
		if code := Main(args, strings.NewReader(""), &out, &errOut); code != 0 || !regexp.MustCompile(`(?m)^dev +login-session +`+regexp.QuoteMeta(cliLoginARN)+` +111122223333 .* valid$`).MatchString(out.String()) {
			t.Errorf("%v printed:\n%s%s\nwant a valid login-session row of profile dev", args, out.String(), errOut.String())
		}
		if strings.Contains(out.String(), tok.AccessKeyID) {
			t.Error("list shows the whole access key id")
		}
	}
	out.Reset()
	errOut.Reset()
	if code := Main([]string{"logout", "-p", "dev"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("logout: %s", errOut.String())
	}
	if !strings.Contains(out.String(), "removed the login session token and 1 cached role credential") {
		t.Errorf("logout said %q", out.String())
	}
	for _, p := range []string{path, rolePath} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there", p)
		}
	}
	out.Reset()
	errOut.Reset()
	Main([]string{"export", "-p", "dev"}, strings.NewReader(""), &out, &errOut)
	if msg := errOut.String(); !strings.Contains(msg, "sessioncache login -p dev") {
		t.Errorf("export after logout said %q, want the command that signs in again", msg)
	}
}

func TestLoginSessionCLIAddsTheProfile(t *testing.T) {
	srv, _, home := loginCLIWorld(t, "[profile other]\nregion = us-east-1\n")
	code, _, stderr := loginWithBrowser(t, srv, false, "login", "-p", "fresh", "--login-session", "--no-browser")
	if code != 0 {
		t.Fatalf("login --login-session: %s", stderr)
	}
	b, _ := os.ReadFile(filepath.Join(home, ".aws", "config"))
	if want := "[profile other]\nregion = us-east-1\n\n[profile fresh]\nlogin_session = " + cliLoginARN + "\n"; string(b) != want {
		t.Fatalf("config file:\n%s\nwant:\n%s", b, want)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"export", "-p", "fresh", "--format", "process"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("export: %s", errOut.String())
	}
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil || v["AccessKeyId"] == "" || v["Expiration"] == nil {
		t.Fatalf("export printed %v (%v)", v, err)
	}
}

func TestLoginSessionCLIRoleSignsInForItsSource(t *testing.T) {
	srv, _, home := loginCLIWorld(t, "[profile dev]\nlogin_session = "+cliLoginARN+"\n\n[profile admin]\nrole_arn = arn:aws:iam::111122223333:role/admin\nsource_profile = dev\n")
	code, stdout, stderr := loginWithBrowser(t, srv, false, "login", "-p", "admin", "--no-browser")
	if code != 0 {
		t.Fatalf("login -p admin: %s", stderr)
	}
	if !strings.Contains(stderr, `profile "admin" takes its credentials from profile "dev", which uses aws login: signing in for that`) || !strings.Contains(stdout, "for profile dev") {
		t.Errorf("login -p admin said:\n%s%s", stdout, stderr)
	}
	if _, err := os.Stat(loginsession.Path(filepath.Join(home, ".aws", "login", "cache"), cliLoginARN)); err != nil {
		t.Fatal(err)
	}
}

// Signing in again for a profile leaves its login_session as it is: a
// second login_session line would make botocore refuse the whole file.
func TestSetLoginSession(t *testing.T) {
	const other = "arn:aws:iam::111122223333:user/dave"
	tests := map[string]struct {
		config, want string
		wantErr      bool
	}{
		"same session":            {config: "[profile dev]\nlogin_session = " + cliLoginARN + "\nregion = eu-west-1\n", want: "[profile dev]\nlogin_session = " + cliLoginARN + "\nregion = eu-west-1\n"},
		"same session, last line": {config: "[profile dev]\nlogin_session = " + cliLoginARN, want: "[profile dev]\nlogin_session = " + cliLoginARN},
		"same session, CRLF":      {config: "[profile dev]\r\nlogin_session = " + cliLoginARN + "\r\n[profile x]\r\n", want: "[profile dev]\r\nlogin_session = " + cliLoginARN + "\r\n[profile x]\r\n"},
		"another session":         {config: "[profile dev]\nlogin_session = " + other + "\nregion = eu-west-1\n", want: "[profile dev]\nlogin_session = " + other + "\nregion = eu-west-1\n", wantErr: true},
		"no login_session yet":    {config: "[profile dev]\nregion = eu-west-1\n", want: "[profile dev]\nlogin_session = " + cliLoginARN + "\nregion = eu-west-1\n"},
		"no such profile":         {config: "[profile x]\nregion = eu-west-1", want: "[profile x]\nregion = eu-west-1\n\n[profile dev]\nlogin_session = " + cliLoginARN + "\n"},
		"header with a comment":   {config: "[profile dev] # mine\nregion = eu-west-1\n", want: "[profile dev] # mine\nlogin_session = " + cliLoginARN + "\nregion = eu-west-1\n"},
		"header spaced out":       {config: "[ profile  dev ]\nregion = eu-west-1\n", want: "[ profile  dev ]\nlogin_session = " + cliLoginARN + "\nregion = eu-west-1\n"},
		"another profile's key":   {config: "[profile x]\nlogin_session = " + other + "\n[profile dev]\n", want: "[profile x]\nlogin_session = " + other + "\n[profile dev]\nlogin_session = " + cliLoginARN + "\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			configFile := filepath.Join(t.TempDir(), "config")
			t.Setenv("AWS_CONFIG_FILE", configFile)
			if err := os.WriteFile(configFile, []byte(tt.config), 0o600); err != nil {
				t.Fatal(err)
			}
			err := setLoginSession("dev", cliLoginARN)
			if (err != nil) != tt.wantErr {
				t.Errorf("setLoginSession: %v, want error %v", err, tt.wantErr)
			}
			got, _ := os.ReadFile(configFile)
			if string(got) != tt.want {
				t.Errorf("config file:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestLoginSessionCLILogoutTakesEachEntrysLock: logout of an aws login
// session removes the role credentials cached from it under each entry's
// lock, as for an SSO session, so that a refresh running meanwhile cannot
// leave one behind; it waits for a holder and gives up at --lock-timeout,
// and leaves no lock file.
func TestLoginSessionCLILogoutTakesEachEntrysLock(t *testing.T) {
	srv, _, home := loginCLIWorld(t, "[profile dev]\nlogin_session = "+cliLoginARN+"\nregion = eu-west-1\n\n[profile admin]\nrole_arn = arn:aws:iam::111122223333:role/admin\nsource_profile = dev\n")
	if code, _, stderr := loginWithBrowser(t, srv, false, "login", "-p", "dev", "--no-browser"); code != 0 {
		t.Fatalf("login failed: %s", stderr)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"export", "-p", "admin"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("export -p admin: %s", errOut.String())
	}
	dir := filepath.Join(home, ".aws", "cli", "cache")
	roleKey := sessioncache.AssumeRoleKey(sessioncache.AssumeRoleKeyInput{RoleARN: "arn:aws:iam::111122223333:role/admin"})
	rolePath := filepath.Join(dir, roleKey+".json")

	unlock, err := sessioncache.NewFileCache(dir).Lock(context.Background(), roleKey)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	code := Main([]string{"logout", "-p", "dev", "--lock-timeout", "200ms"}, strings.NewReader(""), &out, &errOut)
	unlock()
	if code == 0 || !strings.Contains(errOut.String(), "which holds the lock") {
		t.Errorf("logout while the role entry was locked: status %d, %q; want it to wait for the lock and give up", code, errOut.String())
	}
	if _, err := os.Stat(rolePath); err != nil {
		t.Errorf("logout removed a locked entry: %v", err)
	}

	out.Reset()
	errOut.Reset()
	if code := Main([]string{"logout", "-p", "dev"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("logout: %s", errOut.String())
	}
	if !strings.Contains(out.String(), "removed 1 cached role credential") {
		t.Errorf("logout said %q", out.String())
	}
	for _, p := range []string{rolePath, filepath.Join(dir, roleKey+".lock")} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there after logout", filepath.Base(p))
		}
	}
}

// TestLoginSessionCLIConsole checks that a role whose source is an aws
// login session, which the SDK refuses, signs in to the console and signs
// EKS tokens with the role's session in the role profile's region: cached
// once, then used with no STS call.
func TestLoginSessionCLIConsole(t *testing.T) {
	srv, sts, _ := loginCLIWorld(t, "[profile dev]\nlogin_session = "+cliLoginARN+"\nregion = eu-west-1\n\n[profile admin]\nrole_arn = arn:aws:iam::111122223333:role/admin\nsource_profile = dev\nregion = us-west-2\n")
	fed := ststest.NewFederationServer(sts)
	t.Cleanup(fed.Close)
	t.Setenv(federationEndpointEnv, fed.URL+"/federation")
	if code, _, stderr := loginWithBrowser(t, srv, true, "login", "-p", "dev", "--no-browser"); code != 0 {
		t.Fatalf("login failed: %s", stderr)
	}
	for i := range 2 {
		var out, errOut bytes.Buffer
		if code := Main([]string{"console", "-p", "admin", "--print"}, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("console -p admin: %s", errOut.String())
		}
		u, err := url.Parse(strings.TrimSuffix(out.String(), "\n"))
		if err != nil || strings.Count(out.String(), "\n") != 1 || u.Host != "signin.aws.amazon.com" {
			t.Fatalf("console --print printed %d bytes, want the login URL alone", out.Len())
		}
		arn, ok := fed.SigninIdentity(u.Query().Get("SigninToken"))
		if !ok || !strings.HasPrefix(arn, "arn:aws:sts::111122223333:assumed-role/admin/") {
			t.Errorf("run %d signed in as %q (known token: %v), want the admin role's session", i+1, arn, ok)
		}
		if d := u.Query().Get("Destination"); !strings.HasSuffix(d, "?region=us-west-2") {
			t.Errorf("run %d lands on %s, want the role profile's region", i+1, d)
		}
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"eks-token", "-p", "admin", "--cluster-name", "prod"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("eks-token -p admin: %s", errOut.String())
	}
	if u := tokenURL(must(decodeJSON(out.Bytes()))); u == nil || !strings.Contains(u.Query().Get("X-Amz-Credential"), "/us-west-2/sts/") {
		t.Errorf("eks-token signed for %v, want us-west-2 with the role's session", u)
	}
	if n := sts.Calls("AssumeRole"); n != 1 {
		t.Errorf("STS answered %d AssumeRole calls, want 1: the second sign-in uses the cached session", n)
	}
}

func decodeJSON(b []byte) (map[string]any, error) {
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}
