package sessioncache_test

import (
	"context"
	"os"
	"testing"

	"github.com/sessioncache/sessioncache"
)

// The Examples' setup does not depend on the environment of whoever runs
// them: keys in it would win over the example's profile. Afterwards every
// variable is as it was, unset ones unset.
func TestExampleSetupIgnoresTheEnvironment(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFROMTHESHELL0001")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-of-the-shell")
	t.Setenv("AWS_PROFILE", "")
	os.Unsetenv("AWS_PROFILE")

	server, cleanup := exampleSetup()
	l := sessioncache.Loader{TokenProvider: func(context.Context, string) (string, error) { return "123456", nil }}
	cfg, err := l.LoadDefaultConfig(context.Background())
	if err == nil {
		_, err = cfg.Credentials.Retrieve(context.Background())
	}
	calls := server.Calls("AssumeRole")
	cleanup()
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("%d AssumeRole calls, want 1: the shell's keys were used, not the example's profile", calls)
	}
	if got := os.Getenv("AWS_ACCESS_KEY_ID"); got != "AKIAFROMTHESHELL0001" {
		t.Errorf("after the example AWS_ACCESS_KEY_ID = %q, want the shell's", got)
	}
	if v, set := os.LookupEnv("AWS_PROFILE"); set {
		t.Errorf("after the example AWS_PROFILE = %q, want it unset as it was", v)
	}
}
