package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessioncache/sessioncache/internal/peertest"
)

// peerCredentials are the source profile's keys; moto accepts any.
const peerCredentials = `[base]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
`

// peerConfig has mfa, a role that needs MFA, and consumer, a profile
// whose credential_process is sessioncache export of mfa.
func peerConfig(bin string) string {
	return `[profile mfa]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile consumer]
credential_process = ` + bin + ` export --profile mfa --mfa-token 123456
`
}

const mfaEntry = "c08bbcd61d2960e17757c33319b79219a44dea4e.json"

// runBinary runs the built sessioncache in env with no standard input.
func runBinary(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func wantCalls(t *testing.T, m *peertest.MotoServer, action string, want int) {
	t.Helper()
	if got := m.Calls(t, action); got != want {
		t.Errorf("moto answered %d %s calls, want %d", got, action, want)
	}
}

// The AWS CLI runs sessioncache as a credential_process; the entry it
// writes is the one the AWS CLI itself then uses for the role.
func TestPeerCredentialProcess(t *testing.T) {
	t.Parallel()
	moto := peertest.Moto(t)
	bin := buildBinary(t)
	home := peertest.NewHome(t, peerConfig(bin), peerCredentials)
	env := home.Env(moto)

	out, stderr, err := peertest.AWS(t, env, "", "sts", "get-caller-identity", "--profile", "consumer")
	if err != nil {
		t.Fatalf("aws sts get-caller-identity --profile consumer: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "assumed-role/admin/") {
		t.Errorf("caller identity = %s, want the admin role", out)
	}
	wantCalls(t, moto, "AssumeRole", 1)
	if _, err := os.Stat(filepath.Join(home.CacheDir(), mfaEntry)); err != nil {
		t.Errorf("no cache entry where the AWS CLI reads it: %v", err)
	}

	// The AWS CLI's own assume-role provider finds the entry: no prompt
	// (stdin is empty) and no call.
	if _, stderr, err := peertest.AWS(t, env, "", "sts", "get-caller-identity", "--profile", "mfa"); err != nil {
		t.Fatalf("aws --profile mfa: %v\n%s", err, stderr)
	}
	if _, stderr, err := peertest.AWS(t, env, "", "sts", "get-caller-identity", "--profile", "consumer"); err != nil {
		t.Fatalf("aws --profile consumer, again: %v\n%s", err, stderr)
	}
	wantCalls(t, moto, "AssumeRole", 1)
}

// exec hands the credentials to the AWS CLI in its environment.
func TestPeerExec(t *testing.T) {
	t.Parallel()
	moto := peertest.Moto(t)
	bin := buildBinary(t)
	home := peertest.NewHome(t, peerConfig(bin), peerCredentials)
	env := home.Env(moto)

	out, stderr, err := runBinary(t, bin, env, "exec", "-p", "mfa", "--mfa-token", "123456", "--", "aws", "sts", "get-caller-identity")
	if err != nil {
		t.Fatalf("sessioncache exec -- aws sts get-caller-identity: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "assumed-role/admin/") {
		t.Errorf("caller identity = %s, want the admin role", out)
	}
	wantCalls(t, moto, "AssumeRole", 1)
	wantCalls(t, moto, "GetCallerIdentity", 1)

	if _, stderr, err := peertest.AWS(t, env, "", "sts", "get-caller-identity", "--profile", "mfa"); err != nil {
		t.Fatalf("aws --profile mfa: %v\n%s", err, stderr)
	}
	wantCalls(t, moto, "AssumeRole", 1)
}

// An entry the AWS CLI wrote is exported and listed without an MFA code
// or a call.
func TestPeerReadsAWSCLIEntry(t *testing.T) {
	t.Parallel()
	moto := peertest.Moto(t)
	bin := buildBinary(t)
	home := peertest.NewHome(t, peerConfig(bin), peerCredentials)
	env := home.Env(moto)

	if _, stderr, err := peertest.AWS(t, env, "123456\n", "sts", "get-caller-identity", "--profile", "mfa"); err != nil {
		t.Fatalf("aws --profile mfa: %v\n%s", err, stderr)
	}
	wantCalls(t, moto, "AssumeRole", 1)

	out, stderr, err := runBinary(t, bin, env, "export", "-p", "mfa")
	if err != nil {
		t.Fatalf("sessioncache export -p mfa: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, `"SessionToken": "`) {
		t.Errorf("export printed no session token:\n%s", strings.SplitN(out, "\n", 2)[0])
	}
	out, stderr, err = runBinary(t, bin, env, "list")
	if err != nil {
		t.Fatalf("sessioncache list: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "mfa  ") || !strings.Contains(out, "assumed-role/admin/") || !strings.Contains(out, " valid") {
		t.Errorf("list does not show the AWS CLI's entry as valid:\n%s", out)
	}
	wantCalls(t, moto, "AssumeRole", 1)
}
