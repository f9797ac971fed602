package sessioncache_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/peertest"
)

// webPeerRole is the role of the web identity profile; moto knows no
// roles and assumes any.
const webPeerRole = "arn:aws:iam::123456789012:role/ci"

// webPeerToken is a made-up JWT; moto does not check it.
const webPeerToken = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl"

// webPeerWorld starts moto and makes a HOME whose profile wi assumes a
// role with a token file, and points this process at them as a Go program
// run in that HOME, with AWS_PROFILE=wi, would be.
func webPeerWorld(t *testing.T) (*peertest.MotoServer, *peertest.Home, []string) {
	t.Helper()
	m := peertest.Moto(t)
	h := peertest.NewHome(t, "", "")
	token := filepath.Join(h.Dir, "token")
	if err := os.WriteFile(token, []byte(webPeerToken), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := "[profile wi]\nrole_arn = " + webPeerRole + "\nweb_identity_token_file = " + token + "\nregion = us-east-1\n"
	if err := os.WriteFile(h.ConfigFile(), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := h.Env(m, "AWS_PROFILE=wi")
	adoptEnv(t, env)
	return m, h, env
}

// goWebIdentity loads the wi profile as a new Go process would, and checks
// that the credentials work against moto.
func goWebIdentity(t *testing.T) aws.Credentials {
	t.Helper()
	return loadAndCall(t, &sessioncache.Loader{}, "assumed-role/ci/")
}

// webPeerEntry returns the access key of the web identity entry.
func webPeerEntry(t *testing.T, h *peertest.Home) string {
	t.Helper()
	key := sessioncache.WebIdentityKey(webPeerRole, "")
	e, err := sessioncache.NewFileCache(h.CacheDir()).Get(key)
	if err != nil {
		t.Fatalf("no usable entry %s.json: %v", key, err)
	}
	return e.Credentials.AccessKeyID
}

func TestInteropWebIdentityAWSCLIFillsGoReads(t *testing.T) {
	m, h, env := webPeerWorld(t)
	out, stderr, err := peertest.AWS(t, env, "", "sts", "get-caller-identity", "--profile", "wi")
	if err != nil {
		t.Fatalf("aws: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "assumed-role/ci/") {
		t.Fatalf("the AWS CLI is not the ci role: %s", out)
	}
	if got := m.Calls(t, "AssumeRoleWithWebIdentity"); got != 1 {
		t.Fatalf("the AWS CLI made %d AssumeRoleWithWebIdentity calls, want 1", got)
	}

	creds := goWebIdentity(t)
	if got := m.Calls(t, "AssumeRoleWithWebIdentity"); got != 1 {
		t.Errorf("Go called AssumeRoleWithWebIdentity (%d calls in all); it should have used the CLI's entry", got)
	}
	if creds.AccessKeyID != webPeerEntry(t, h) {
		t.Error("Go's credentials are not those the AWS CLI cached")
	}
}

func TestInteropWebIdentityGoFillsAWSCLIReads(t *testing.T) {
	m, h, env := webPeerWorld(t)
	creds := goWebIdentity(t)
	if got := m.Calls(t, "AssumeRoleWithWebIdentity"); got != 1 {
		t.Fatalf("Go made %d AssumeRoleWithWebIdentity calls, want 1", got)
	}
	if creds.AccessKeyID != webPeerEntry(t, h) {
		t.Fatal("the entry Go wrote does not hold Go's credentials")
	}

	// Without the token file the CLI can only use Go's entry.
	if err := os.Remove(filepath.Join(h.Dir, "token")); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := peertest.AWS(t, env, "", "sts", "get-caller-identity", "--profile", "wi")
	if err != nil {
		t.Fatalf("aws did not use Go's entry: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "assumed-role/ci/") {
		t.Errorf("aws output %q: want the ci role", out)
	}
	if got := m.Calls(t, "AssumeRoleWithWebIdentity"); got != 1 {
		t.Errorf("%d AssumeRoleWithWebIdentity calls in all, want 1: the AWS CLI ignored Go's entry", got)
	}
}
