//go:build unix

package cli

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/peertest"
)

// startServe runs `sessioncache serve` with args in env and returns the
// two variables it sets, as "NAME=VALUE". The server is stopped with
// SIGTERM when the test ends, and must exit 0.
func startServe(t *testing.T, bin string, env []string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, stderr.String())
		}
	})
	r := bufio.NewReader(out)
	var vars []string
	for len(vars) < 2 {
		line, err := r.ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			t.Fatalf("serve printed no variables: %v", err)
		}
		// The unset lines of the variables that would override these.
		if v, ok := strings.CutPrefix(line, "export "); ok {
			vars = append(vars, strings.TrimSuffix(v, "\n"))
		}
	}
	return vars
}

// serveMFA starts moto and, under a new home, serve of the mfa profile.
func serveMFA(t *testing.T) (*peertest.MotoServer, string, *peertest.Home, []string) {
	t.Helper()
	moto := peertest.Moto(t)
	bin := buildBinary(t)
	home := peertest.NewHome(t, peerConfig(bin), peerCredentials)
	return moto, bin, home, startServe(t, bin, home.Env(moto), "-p", "mfa", "--mfa-token", "123456")
}

// botoScript prints the access key boto3 resolves without a profile, and
// the caller identity STS gives it.
const botoScript = `import boto3, json
s = boto3.Session()
c = s.get_credentials().get_frozen_credentials()
arn = s.client("sts").get_caller_identity()["Arn"]
print(json.dumps({"AccessKeyId": c.access_key, "Arn": arn}))
`

// The AWS CLI, boto3 and the Go SDK, given only the two variables, get
// the role's credentials from the server: the session of the cache, made
// with one AssumeRole for all of them.
func TestPeerServe(t *testing.T) {
	t.Parallel()
	moto, bin, home, vars := serveMFA(t)
	wantCalls(t, moto, "AssumeRole", 1)
	entry, err := sessioncache.NewFileCache(home.CacheDir()).Get(strings.TrimSuffix(mfaEntry, ".json"))
	if err != nil {
		t.Fatalf("no cache entry after serve: %v", err)
	}
	key := entry.Credentials.AccessKeyID
	env := home.Env(moto, vars...)

	out, stderr, err := peertest.AWS(t, env, "", "sts", "get-caller-identity")
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "assumed-role/admin/") {
		t.Errorf("the AWS CLI is %s, want the admin role", out)
	}

	out, stderr, err = peertest.Python(t, env, botoScript, "")
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, stderr)
	}
	var boto struct{ AccessKeyID, Arn string }
	if err := json.Unmarshal([]byte(out), &struct {
		AccessKeyID *string `json:"AccessKeyId"`
		Arn         *string
	}{&boto.AccessKeyID, &boto.Arn}); err != nil {
		t.Fatalf("boto3 output: %v", err)
	}
	if boto.AccessKeyID != key || !strings.Contains(boto.Arn, "assumed-role/admin/") {
		t.Errorf("boto3 got the key of the cache: %v; identity %s", boto.AccessKeyID == key, boto.Arn)
	}

	// sessioncache export with no profile resolves its credentials with
	// the Go SDK's own chain, which reaches the server.
	out, stderr, err = runBinary(t, bin, env, "export", "--format", "env-no-export")
	if err != nil {
		t.Fatalf("the Go SDK: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "AWS_ACCESS_KEY_ID="+key+"\n") {
		t.Errorf("the Go SDK's credentials are not the cache's")
	}
	wantCalls(t, moto, "AssumeRole", 1)
}

// An entry inside its 15-minute window is refreshed by the server with
// one AssumeRole, and the AWS CLI then uses the entry the server wrote.
func TestPeerServeRefreshes(t *testing.T) {
	t.Parallel()
	moto := peertest.Moto(t)
	bin := buildBinary(t)
	home := peertest.NewHome(t, peerConfig(bin), peerCredentials)
	plain := home.Env(moto)
	if _, stderr, err := peertest.AWS(t, plain, "123456\n", "sts", "get-caller-identity", "--profile", "mfa"); err != nil {
		t.Fatalf("aws --profile mfa: %v\n%s", err, stderr)
	}
	wantCalls(t, moto, "AssumeRole", 1)
	path := filepath.Join(home.CacheDir(), mfaEntry)
	setExpiration(t, path, time.Now().Add(10*time.Minute))

	vars := startServe(t, bin, plain, "-p", "mfa", "--mfa-token", "123456")
	wantCalls(t, moto, "AssumeRole", 2)
	entry, err := sessioncache.NewFileCache(home.CacheDir()).Get(strings.TrimSuffix(mfaEntry, ".json"))
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(entry.Credentials.Expiration); left < 50*time.Minute {
		t.Fatalf("the entry expires in %v after serve started, want about an hour", left)
	}
	// The AWS CLI, with no MFA code to give (it would need one to refresh
	// the old entry), uses the server's entry: no AssumeRole.
	if _, stderr, err := peertest.AWS(t, plain, "", "sts", "get-caller-identity", "--profile", "mfa"); err != nil {
		t.Fatalf("aws --profile mfa after the refresh: %v\n%s", err, stderr)
	}
	if _, stderr, err := peertest.AWS(t, home.Env(moto, vars...), "", "sts", "get-caller-identity"); err != nil {
		t.Fatalf("aws through the server: %v\n%s", err, stderr)
	}
	// boto3 gets the key of the entry the server wrote.
	out, stderr, err := peertest.Python(t, home.Env(moto, vars...), botoScript, "")
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, `"AccessKeyId": "`+entry.Credentials.AccessKeyID+`"`) {
		t.Errorf("the server does not serve the entry it wrote")
	}
	wantCalls(t, moto, "AssumeRole", 2)
	wantCalls(t, moto, "GetCallerIdentity", 4)
}

// setExpiration rewrites the Expiration of a cache entry in place.
func setExpiration(t *testing.T, path string, exp time.Time) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	v["Credentials"].(map[string]any)["Expiration"] = exp.UTC().Format(time.RFC3339)
	b, _ = json.Marshal(v)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A wrong token gets 403 from the server, and an error in every client.
func TestPeerServeWrongToken(t *testing.T) {
	t.Parallel()
	moto, bin, home, vars := serveMFA(t)
	url := strings.TrimPrefix(vars[0], "AWS_CONTAINER_CREDENTIALS_FULL_URI=")
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d for a wrong token, want 403", resp.StatusCode)
	}
	env := home.Env(moto, vars[0], "AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong")
	if _, _, err := peertest.AWS(t, env, "", "sts", "get-caller-identity"); err == nil {
		t.Error("the AWS CLI succeeded with a wrong token")
	}
	if _, stderr, err := peertest.Python(t, env, botoScript, ""); err == nil {
		t.Error("boto3 succeeded with a wrong token")
	} else if !strings.Contains(stderr, "403") && !strings.Contains(stderr, "AccessDenied") && !strings.Contains(stderr, "Error retrieving") {
		t.Errorf("boto3's error does not tell of the refusal:\n%s", stderr)
	}
	if _, stderr, err := runBinary(t, bin, env, "export"); err == nil {
		t.Error("the Go SDK succeeded with a wrong token")
	} else if !strings.Contains(stderr, "AccessDenied") {
		t.Errorf("the Go SDK's error does not tell of the refusal:\n%s", stderr)
	}
	wantCalls(t, moto, "GetCallerIdentity", 0)
}
