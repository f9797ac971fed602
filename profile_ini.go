package sessioncache

import "github.com/aws/aws-sdk-go-v2/config"

// profileSetting returns the value of key in profile's section of the
// shared config files, for settings the SDK does not read (such as
// aws-vault's mfa_process), parsed as the SDK parses them. As in the SDK,
// a later file wins over an earlier one, and [profile default] over
// [default]; indented lines (sub-settings and continuations) are skipped.
func profileSetting(files []string, profile, key string) string {
	var value string
	for _, path := range files {
		f := parseINIFile(path)
		sec := f.byName["profile "+profile]
		if sec == nil && profile == config.DefaultSharedConfigProfile {
			sec = f.byName[profile]
		}
		if sec == nil {
			continue
		}
		if v, ok := sec.values[key]; ok {
			value = v
		}
	}
	return value
}
