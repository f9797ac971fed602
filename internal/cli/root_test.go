package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessioncache/sessioncache"
	"github.com/spf13/cobra"
)

func ExampleMain() {
	code := Main([]string{"clear"}, nil, os.Stdout, os.Stdout)
	fmt.Println("exit status", code)
	// Output:
	// sessioncache: say what to remove: -p PROFILE, --expired or --all
	// Run 'sessioncache clear --help' for usage.
	// exit status 2
}

func TestReport(t *testing.T) {
	cmd := &cobra.Command{Use: "sessioncache"}
	tests := map[string]struct {
		err     error
		started bool
		code    int
		stderr  string
	}{
		"success": {nil, true, 0, ""},
		"failure": {errors.New("no"), true, 1, "sessioncache: no\n"},
		"library prefixes collapse": {
			fmt.Errorf("sessioncache: assume role r: %w", errors.New("sessioncache: an MFA code is needed")), true, 1,
			"sessioncache: assume role r: an MFA code is needed\n",
		},
		"usage error":                 {usageErrorf("bad"), true, 2, "sessioncache: bad\nRun 'sessioncache --help' for usage.\n"},
		"error before the run":        {errors.New("unknown flag: --x"), false, 2, "sessioncache: unknown flag: --x\nRun 'sessioncache --help' for usage.\n"},
		"command's status, silent":    {&statusError{code: 42}, true, 42, ""},
		"command not found, reported": {&statusError{code: 127, err: errors.New("exec: x: command not found")}, true, 127, "sessioncache: exec: x: command not found\n"},
		"interrupted MFA prompt": {
			fmt.Errorf("sessioncache: assume role r: %w", sessioncache.ErrMFAPromptInterrupted), true, 130,
			"sessioncache: assume role r: MFA prompt interrupted\n",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := report(&stderr, cmd, tt.err, tt.started); code != tt.code {
				t.Errorf("code = %d, want %d", code, tt.code)
			}
			if stderr.String() != tt.stderr {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.stderr)
			}
		})
	}
}

// Main writes only to the writers it is given.
func TestMainWritesToItsWriters(t *testing.T) {
	home, _ := testHome(t)
	aws := filepath.Join(home, ".aws")
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(aws, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(aws, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv(exportChainEnv, "")
	t.Setenv("SESSIONCACHE_DIR", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	tests := map[string]struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		"export":          {[]string{"export", "-p", "base", "--format", "env-no-export"}, 0, "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n", ""},
		"list":            {[]string{"list"}, 0, "No cached credentials in " + filepath.Join(aws, "cli", "cache") + ".\n", ""},
		"unknown profile": {[]string{"export", "-p", "nope"}, 2, "", "sessioncache: profile \"nope\" does not exist in "},
		"help":            {[]string{"help"}, 0, "sessioncache serves AWS credentials", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(tt.args, strings.NewReader(""), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tt.code, stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), tt.stdout) || (tt.stdout == "" && stdout.Len() > 0) {
				t.Errorf("stdout = %q, want it to start with %q", firstLine(stdout.String()), tt.stdout)
			}
			if !strings.HasPrefix(stderr.String(), tt.stderr) || (tt.stderr == "" && stderr.Len() > 0) {
				t.Errorf("stderr = %q, want it to start with %q", stderr.String(), tt.stderr)
			}
		})
	}
}

// demo works in-process too, and puts the environment back.
func TestDemoRestoresEnvironment(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("HOME", "/nonexistent/home")
	t.Setenv("AWS_PROFILE", "kept")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("SESSIONCACHE_DIR", "/nonexistent/cache")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/config")
	os.Unsetenv("AWS_CONFIG_FILE")

	var stdout, stderr bytes.Buffer
	if code := Main([]string{"demo", "--yes"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("demo: exit status %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "(STS AssumeRole calls: still 1)") {
		t.Errorf("demo shows no cache hit:\n%s", stdout.String())
	}
	for k, want := range map[string]string{"HOME": "/nonexistent/home", "AWS_PROFILE": "kept", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "SESSIONCACHE_DIR": "/nonexistent/cache"} {
		if got := os.Getenv(k); got != want {
			t.Errorf("after demo %s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"AWS_CONFIG_FILE", "AWS_ENDPOINT_URL_STS", "AWS_SHARED_CREDENTIALS_FILE"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("after demo %s = %q, want it unset", k, v)
		}
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("demo left %d files in TMPDIR", len(entries))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// testHome makes a home directory with testConfig and testCredentials,
// and returns it with the environment of a program run there.
func testHome(t *testing.T) (home string, env []string) {
	t.Helper()
	home = t.TempDir()
	aws := filepath.Join(home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"config": testConfig, "credentials": testCredentials} {
		if err := os.WriteFile(filepath.Join(aws, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return home, []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"AWS_CONFIG_FILE=" + filepath.Join(aws, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(aws, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}
}
