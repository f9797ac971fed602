package sessioncache

import (
	"path/filepath"
	"testing"
)

func TestProfileSetting(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "config")
	second := filepath.Join(dir, "config2")
	mustWrite(t, first, `# mfa_process = not this
[default]
mfa_process = from-default
[profile default]
mfa_process = from-profile-default
[default]
mfa_process = default-again

[profile yk]
; a comment
mfa_process  =  ykman oath accounts code --single my-aws  
s3 =
  mfa_process = nested, not the profile's
[profile yk-other]
mfa_process = other
[sso-session yk]
mfa_process = not a profile
[yk]
mfa_process = a credentials-file section
[profile later]
mfa_process = first file
`)
	mustWrite(t, second, `[profile later]
mfa_process = second file
`)
	tests := map[string]struct {
		files   []string
		profile string
		want    string
	}{
		"a profile":                           {files: []string{first}, profile: "yk", want: "ykman oath accounts code --single my-aws"},
		"[profile default] wins":              {files: []string{first}, profile: "default", want: "from-profile-default"},
		"a later file wins":                   {files: []string{first, second}, profile: "later", want: "second file"},
		"a profile that sets none":            {files: []string{second}, profile: "yk"},
		"a file that does not exist":          {files: []string{filepath.Join(dir, "nothing")}, profile: "yk"},
		"a name that only other sections use": {files: []string{first}, profile: "absent"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got, err := profileSetting(tt.files, tt.profile, "mfa_process"); got != tt.want || err != nil {
				t.Errorf("mfa_process = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
