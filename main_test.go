package sessioncache

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sessioncache/sessioncache/internal/tty"
)

// developerEnv are the variables of a developer's shell that would choose
// other credentials, profiles, files or endpoints than a test sets up.
var developerEnv = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC",
	"AWS_CA_BUNDLE", "AWS_REGION", "AWS_DEFAULT_REGION", "SESSIONCACHE_DIR", "SESSIONCACHE_PROFILE",
}

// promptHelperEnv makes TestTerminalPromptHelper the program the
// interrupt tests run: a process whose controlling terminal is the test's
// pseudo-terminal, as a person's shell would start it. It keeps tty.Path.
const promptHelperEnv = "SESSIONCACHE_TEST_PROMPT_HELPER"

// TestMain runs the tests and Examples as they run in CI, wherever they
// are run from: without the developer's AWS variables, without the
// instance metadata service, and without their terminal, which only the
// tests that make a pseudo-terminal of their own point tty.Path at.
func TestMain(m *testing.M) {
	for _, k := range developerEnv {
		os.Unsetenv(k)
	}
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir, err := os.MkdirTemp("", "sessioncache-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if os.Getenv(promptHelperEnv) != "1" {
		tty.Path = filepath.Join(dir, "no-terminal")
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestNoTestReachesTheTerminal(t *testing.T) {
	if tty.Tell("a note no one should see") {
		t.Errorf("tty.Tell wrote to %s", tty.Path)
	}
}
