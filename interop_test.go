package sessioncache_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/peertest"
)

const peerConfig = `[profile mfa]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
region = us-east-1
`

const peerCredentials = `[base]
aws_access_key_id = AKIAEXAMPLEBASE00001
aws_secret_access_key = base-secret-not-real
`

// The file name the AWS CLI gives the mfa profile's entry.
const peerKey = "c08bbcd61d2960e17757c33319b79219a44dea4e"

// peerWorld starts moto and makes a HOME with the mfa profile, and points
// this process at them as a Go program run in that HOME would be.
func peerWorld(t *testing.T) (*peertest.MotoServer, *peertest.Home, []string) {
	t.Helper()
	m := peertest.Moto(t)
	h := peertest.NewHome(t, peerConfig, peerCredentials)
	env := h.Env(m)
	adoptEnv(t, env)
	return m, h, env
}

// adoptEnv gives this process the HOME and AWS_* settings of env, and no
// other AWS_* setting.
func adoptEnv(t *testing.T, env []string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") || k == sessioncache.EnvCacheDir {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "HOME" || strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, v)
		}
	}
}

// goCredentials loads the mfa profile as a new Go process would. A prompt
// fails the test unless code is set.
func goCredentials(t *testing.T, code string) aws.Credentials {
	t.Helper()
	l := &sessioncache.Loader{TokenProvider: func(ctx context.Context, serial string) (string, error) {
		if code == "" {
			t.Errorf("asked for an MFA code for %s; the cache should have served", serial)
		}
		return code, nil
	}}
	return loadAndCall(t, l, "assumed-role/admin")
}

// loadAndCall loads the selected profile with l, retrieves its
// credentials, and checks that they work against the peer's STS as the
// role named by wantARN.
func loadAndCall(t *testing.T, l *sessioncache.Loader, wantARN string) aws.Credentials {
	t.Helper()
	cfg, err := l.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(out.Arn), wantARN) {
		t.Errorf("identity %s, want %s", aws.ToString(out.Arn), wantARN)
	}
	return creds
}

func cachedKeyID(t *testing.T, h *peertest.Home) string {
	t.Helper()
	e, err := sessioncache.NewFileCache(h.CacheDir()).Get(peerKey)
	if err != nil {
		t.Fatalf("no usable entry %s.json: %v", peerKey, err)
	}
	return e.Credentials.AccessKeyID
}

func TestInteropAWSCLIFillsGoReads(t *testing.T) {
	m, h, env := peerWorld(t)
	if _, stderr, err := peertest.AWS(t, env, "123456\n", "sts", "get-caller-identity", "--profile", "mfa"); err != nil {
		t.Fatalf("aws: %v\n%s", err, stderr)
	}
	if got := m.Calls(t, "AssumeRole"); got != 1 {
		t.Fatalf("the AWS CLI made %d AssumeRole calls, want 1", got)
	}
	t.Setenv("AWS_PROFILE", "mfa")
	creds := goCredentials(t, "")
	if got := m.Calls(t, "AssumeRole"); got != 1 {
		t.Errorf("Go called AssumeRole (%d calls in all); it should have used the CLI's entry", got)
	}
	if creds.AccessKeyID != cachedKeyID(t, h) {
		t.Error("Go's credentials are not those the AWS CLI cached")
	}
}

func TestInteropGoFillsAWSCLIAndBotocoreRead(t *testing.T) {
	m, h, env := peerWorld(t)
	t.Setenv("AWS_PROFILE", "mfa")
	creds := goCredentials(t, "123456")
	if got := m.Calls(t, "AssumeRole"); got != 1 {
		t.Fatalf("Go made %d AssumeRole calls, want 1", got)
	}
	if creds.AccessKeyID != cachedKeyID(t, h) {
		t.Fatal("the entry Go wrote does not hold Go's credentials")
	}

	// No code on stdin: a prompt would fail the run.
	out, stderr, err := peertest.AWS(t, env, "", "sts", "get-caller-identity", "--profile", "mfa")
	if err != nil {
		t.Fatalf("aws did not use Go's entry: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "assumed-role/admin") || strings.Contains(stderr, "Enter MFA code") {
		t.Errorf("aws output %q, stderr %q: want the role's identity and no prompt", out, stderr)
	}

	script := `
import os, botocore.session
from botocore.credentials import JSONFileCache
s = botocore.session.Session(profile='mfa')
s.get_component('credential_provider').get_provider('assume-role').cache = JSONFileCache(os.path.expanduser('~/.aws/cli/cache'))
print(s.get_credentials().get_frozen_credentials().access_key)
`
	out, stderr, err = peertest.Python(t, env, script, "")
	if err != nil {
		t.Fatalf("botocore did not use Go's entry: %v\n%s", err, stderr)
	}
	if strings.TrimSpace(out) != creds.AccessKeyID {
		t.Error("botocore read other credentials than Go cached")
	}
	if got := m.Calls(t, "AssumeRole"); got != 1 {
		t.Errorf("%d AssumeRole calls in all, want 1: a peer ignored Go's entry", got)
	}
}

func TestInteropBoto3FillsGoReads(t *testing.T) {
	m, h, env := peerWorld(t)
	// boto3 outside the AWS CLI writes Expiration with a "UTC" suffix.
	script := `
import os, boto3, botocore.session
from botocore.credentials import JSONFileCache
core = botocore.session.Session(profile='mfa')
core.get_component('credential_provider').get_provider('assume-role').cache = JSONFileCache(os.path.expanduser('~/.aws/cli/cache'))
s = boto3.Session(botocore_session=core)
print(s.client('sts').get_caller_identity()['Arn'])
`
	if out, stderr, err := peertest.Python(t, env, script, "123456\n"); err != nil || !strings.Contains(out, "assumed-role/admin") {
		t.Fatalf("boto3: %v\n%s%s", err, out, stderr)
	}
	data, err := os.ReadFile(filepath.Join(h.CacheDir(), peerKey+".json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("boto3 wrote Expiration as %s", expirationSpelling(data))
	t.Setenv("AWS_PROFILE", "mfa")
	creds := goCredentials(t, "")
	if creds.AccessKeyID != cachedKeyID(t, h) {
		t.Error("Go's credentials are not those boto3 cached")
	}
	if got := m.Calls(t, "AssumeRole"); got != 1 {
		t.Errorf("%d AssumeRole calls in all, want 1", got)
	}
}

// expirationSpelling returns the Expiration string of a cache file.
func expirationSpelling(data []byte) string {
	_, after, _ := strings.Cut(string(data), `"Expiration": "`)
	v, _, _ := strings.Cut(after, `"`)
	return v
}
