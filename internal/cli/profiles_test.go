package cli

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestProfileNames(t *testing.T) {
	dir := t.TempDir()
	configFile, credentialsFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credentialsFile)

	names, err := profileNames()
	if err != nil || len(names) != 0 {
		t.Errorf("no files: profileNames = %q, %v; want none", names, err)
	}
	if err := os.WriteFile(configFile, []byte("[profile b]\n[default]\n[sso-session s]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(credentialsFile, []byte("[a]\n[b]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	names, err = profileNames()
	if want := []string{"a", "b", "default"}; err != nil || !slices.Equal(names, want) {
		t.Errorf("profileNames = %q, %v; want %q", names, err, want)
	}
}
