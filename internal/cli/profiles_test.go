package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestIniSections(t *testing.T) {
	in := `# comment [not]
[default]
region = us-east-1
  [ profile  spaced ]  ; comment
[profile a]
key = [not a section]
[sso-session corp]
[services s]
[broken
[]
`
	got, err := iniSections(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"default", "profile  spaced", "profile a", "sso-session corp", "services s"}
	if !slices.Equal(got, want) {
		t.Errorf("iniSections = %q, want %q", got, want)
	}
}

func TestSectionProfile(t *testing.T) {
	tests := map[string]struct {
		section    string
		configFile bool
		want       string
		ok         bool
	}{
		"config default":         {"default", true, "default", true},
		"config profile":         {"profile a", true, "a", true},
		"config profile spaced":  {"profile  a", true, "a", true},
		"config profile default": {"profile default", true, "default", true},
		"config bare name":       {"a", true, "", false},
		"config sso-session":     {"sso-session corp", true, "", false},
		"config services":        {"services s", true, "", false},
		"credentials name":       {"a", false, "a", true},
		"credentials default":    {"default", false, "default", true},
		"credentials two words":  {"profile a", false, "", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := sectionProfile(tt.section, tt.configFile)
			if got != tt.want || ok != tt.ok {
				t.Errorf("sectionProfile(%q, %v) = %q, %v; want %q, %v", tt.section, tt.configFile, got, ok, tt.want, tt.ok)
			}
		})
	}
}

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
