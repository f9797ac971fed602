package awsini

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseSections(t *testing.T) {
	in := `# comment [not]
[default]
region = us-east-1
  [ profile  spaced ]  ; comment
[profile a]
key = [not a section]
Region : eu-west-1 # a comment
quoted = "value"
s3 =
  max_concurrent_requests = 20
[sso-session corp]
[services s]
[profile a]
later = yes
`
	f, err := Parse("config", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range f.Sections {
		got = append(got, s.Name)
	}
	want := []string{"default", "profile spaced", "profile a", "sso-session corp", "services s"}
	if !slices.Equal(got, want) {
		t.Errorf("sections %q, want %q", got, want)
	}
	a := f.Section("profile a")
	if a.Values["key"] != "[not a section]" || a.Values["region"] != "eu-west-1" || a.Values["quoted"] != "value" || a.Values["later"] != "yes" {
		t.Errorf("[profile a] = %q", a.Values)
	}
	if !a.Nested || f.Section("sso-session corp").Nested {
		t.Errorf("nested: [profile a] %v, [sso-session corp] %v; want true, false", a.Nested, f.Section("sso-session corp").Nested)
	}
	if got, want := f.Profiles(false), []string{"default", "spaced", "a"}; !slices.Equal(got, want) {
		t.Errorf("config profiles %q, want %q", got, want)
	}
}

// Lines tells each line's section and the setting it makes or continues,
// and gives back the file's text, line endings included.
func TestLines(t *testing.T) {
	in := "# top\r\n[default]\r\nRegion: us-east-1\r\ns3 =\r\n  max_concurrent_requests = 20\r\n\r\n[profile  a] # c\r\nkey = v"
	lines, err := Lines("config", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Line{
		{Text: "# top\r\n"},
		{Text: "[default]\r\n", Section: "default", Header: true},
		{Text: "Region: us-east-1\r\n", Section: "default", Key: "region"},
		{Text: "s3 =\r\n", Section: "default", Key: "s3"},
		{Text: "  max_concurrent_requests = 20\r\n", Section: "default", Key: "s3"},
		{Text: "\r\n", Section: "default"},
		{Text: "[profile  a] # c\r\n", Section: "profile a", Header: true},
		{Text: "key = v", Section: "profile a", Key: "key"},
	}
	if !slices.Equal(lines, want) {
		t.Errorf("lines\n%#v\nwant\n%#v", lines, want)
	}
	var text strings.Builder
	for _, l := range lines {
		text.WriteString(l.Text)
	}
	if text.String() != in {
		t.Errorf("the lines' text is %q, want the file's, %q", text.String(), in)
	}
	if _, err := Lines("config", []byte("[default]\nno value\n")); err == nil {
		t.Error("Lines of a broken file: no error")
	}
}

func TestProfiles(t *testing.T) {
	tests := map[string]struct {
		section     string
		credentials bool
		want        string
		ok          bool
	}{
		"config default":         {"default", false, "default", true},
		"config profile":         {"profile a", false, "a", true},
		"config profile default": {"profile default", false, "default", true},
		"config bare name":       {"a", false, "", false},
		"config sso-session":     {"sso-session corp", false, "", false},
		"config services":        {"services s", false, "", false},
		"credentials name":       {"a", true, "a", true},
		"credentials default":    {"default", true, "default", true},
		"credentials two words":  {"profile a", true, "", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := profileName(tt.section, tt.credentials)
			if got != tt.want || ok != tt.ok {
				t.Errorf("profileName(%q, %v) = %q, %v; want %q, %v", tt.section, tt.credentials, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]struct {
		in      string
		line    int
		problem string
	}{
		"header without ]":               {"[default]\nregion = us-east-1\n[profile admin\nrole_arn = arn:aws:iam::1:role/a\n", 3, "without its closing ]"},
		"setting outside a section":      {"# top\nregion = us-east-1\n[default]\n", 2, "before any [section]"},
		"line without = in section":      {"[default]\nregion = us-east-1\naws_secret_access_key wJalrXUtnFEMI\n", 3, "neither a [section] header nor a key = value"},
		"empty header":                   {"[default]\n[]\n", 2, "without a name"},
		"setting without a key":          {"[default]\n= value\n", 2, "without a key"},
		"indented line before a section": {"  region = us-east-1\n[default]\n", 1, "before any [section]"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("/home/u/.aws/config", []byte(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse: %v, want a *ParseError", err)
			}
			if pe.Path != "/home/u/.aws/config" || pe.Line != tt.line || !strings.Contains(pe.Problem, tt.problem) {
				t.Errorf("ParseError %+v, want line %d: %s", pe, tt.line, tt.problem)
			}
			if !strings.HasPrefix(err.Error(), "cannot parse /home/u/.aws/config line ") {
				t.Errorf("message %q", err)
			}
			if strings.Contains(err.Error(), "wJalr") {
				t.Errorf("the message quotes the line: %q", err)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if f, err := Load(filepath.Join(dir, "missing")); err != nil || len(f.Sections) != 0 {
		t.Errorf("Load of a missing file: %v, %v; want an empty file", f, err)
	}
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte("[profile a]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if f, err := Load(path); err != nil || f.Section("profile a") == nil {
		t.Fatalf("Load: %v, %v", f, err)
	}
	// Written again at once, with the same size: read again.
	if err := os.WriteFile(path, []byte("[profile b]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if f, err := Load(path); err != nil || f.Section("profile b") == nil {
		t.Errorf("Load after a rewrite: %v, %v; want [profile b]", f, err)
	}
}

// A file that has not changed for a while is parsed once per process, so
// that the command and the library share one parse.
func TestLoadParsesAnUnchangedFileOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte("[profile a]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	first, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := Load(path); again != first {
		t.Error("an unchanged file was parsed again")
	}
	if err := os.WriteFile(path, []byte("[profile bb]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if f, _ := Load(path); f == first || f.Section("profile bb") == nil {
		t.Error("a changed file was not parsed again")
	}
}
