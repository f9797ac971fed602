package peertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Home is a temporary HOME for the peers, with its own ~/.aws.
type Home struct {
	// Dir is the home directory, removed when the test ends.
	Dir string
}

// NewHome makes a temporary HOME whose ~/.aws/config and ~/.aws/credentials
// hold config and credentials, and returns it.
func NewHome(t testing.TB, config, credentials string) *Home {
	t.Helper()
	h := &Home{Dir: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(h.Dir, ".aws"), 0o755); err != nil {
		t.Fatalf("peertest: %v", err)
	}
	for name, text := range map[string]string{"config": config, "credentials": credentials} {
		if err := os.WriteFile(filepath.Join(h.Dir, ".aws", name), []byte(text), 0o600); err != nil {
			t.Fatalf("peertest: %v", err)
		}
	}
	return h
}

// ConfigFile returns the path of ~/.aws/config.
func (h *Home) ConfigFile() string { return filepath.Join(h.Dir, ".aws", "config") }

// CredentialsFile returns the path of ~/.aws/credentials.
func (h *Home) CredentialsFile() string { return filepath.Join(h.Dir, ".aws", "credentials") }

// CacheDir returns the AWS CLI's credential cache, ~/.aws/cli/cache. The
// peers create it on their first write.
func (h *Home) CacheDir() string { return filepath.Join(h.Dir, ".aws", "cli", "cache") }

// Env returns the environment to run a peer in: HOME is h.Dir,
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point into it,
// AWS_ENDPOINT_URL is m's URL (left out when m is nil), the region is
// us-east-1, and the instance metadata service, Python warnings and retries
// are off (AWS_MAX_ATTEMPTS=1, so every request a peer makes shows in
// [MotoServer.Calls]).
//
// Of the caller's environment only what finds the programs is kept: PATH,
// PYENV_ROOT, PYENV_VERSION, VIRTUAL_ENV, the locale and TMPDIR. Every AWS_*
// variable, proxy setting and the like is left out, so the developer's shell
// cannot leak into a peer.
//
// Each of extra, "KEY=VALUE", sets KEY, replacing any value set above; a bare
// "KEY" removes it.
func (h *Home) Env(m *MotoServer, extra ...string) []string {
	env := baseEnv()
	env = setEnv(env,
		"HOME="+h.Dir,
		"AWS_CONFIG_FILE="+h.ConfigFile(),
		"AWS_SHARED_CREDENTIALS_FILE="+h.CredentialsFile(),
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_PAGER=",
	)
	if m != nil {
		env = setEnv(env, "AWS_ENDPOINT_URL="+m.URL)
	}
	return setEnv(env, extra...)
}

// kept lists the variables of the caller's environment that a peer gets.
var kept = []string{
	"PATH",
	"PYENV_ROOT", "PYENV_VERSION", "VIRTUAL_ENV",
	"LANG", "LC_ALL", "LC_CTYPE",
	"TMPDIR",
	"SYSTEMROOT", // Windows cannot start Python without it.
}

// baseEnv returns the kept part of the caller's environment, plus what every
// peer run needs.
func baseEnv() []string {
	var env []string
	for _, k := range kept {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, "PYTHONWARNINGS=ignore")
}

// setEnv applies "KEY=VALUE" (set) and "KEY" (unset) entries to env.
func setEnv(env []string, entries ...string) []string {
	for _, e := range entries {
		key, _, set := strings.Cut(e, "=")
		env = deleteEnv(env, key)
		if set {
			env = append(env, e)
		}
	}
	return env
}

func deleteEnv(env []string, key string) []string {
	out := env[:0]
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); k != key {
			out = append(out, e)
		}
	}
	return out
}
