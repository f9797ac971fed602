package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// With thousands of profiles, the message for an unknown one stays a line.
func TestUnknownProfileShort(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "[profile team-%04d-admin]\nregion = eu-west-1\n\n", i)
	}
	config := filepath.Join(dir, "config")
	if err := os.WriteFile(config, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", config)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))

	tests := map[string]string{
		"nothing close": `profile "prod" does not exist in ` + config + " or " + filepath.Join(dir, "credentials") + ", which define 2000 profiles, none named like it",
		"one letter":    `profile "team-0042-admn" does not exist in ` + config + " or " + filepath.Join(dir, "credentials") + `; did you mean "team-0042-admin"?`,
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			profile := strings.TrimSuffix(strings.TrimPrefix(want, `profile "`), want[strings.Index(want, `" does`):])
			err := unknownProfile(profile, "")
			if err.Error() != want {
				t.Errorf("unknownProfile(%q) =\n%s\nwant\n%s", profile, err, want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"mfa", "mfa", 0}, {"mfa", "mf", 1}, {"reader", "raeder", 1}, {"chain", "chian", 1}, {"kitten", "sitting", 3}, {"", "abc", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
