package sessioncache

import (
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache/internal/awsini"
)

// profileSetting returns the value of key in profile's section of the
// shared config files, for settings the SDK does not read (such as
// aws-vault's mfa_process). As in the SDK, a later file wins over an
// earlier one, and [profile default] over [default]; indented lines
// (sub-settings and continuations) are skipped.
func profileSetting(files []string, profile, key string) (string, error) {
	parsed, err := awsini.LoadAll(files)
	if err != nil {
		return "", err
	}
	var value string
	for _, f := range parsed {
		sec := f.Section("profile " + profile)
		if sec == nil && profile == config.DefaultSharedConfigProfile {
			sec = f.Section(profile)
		}
		if sec == nil {
			continue
		}
		if v, ok := sec.Values[key]; ok {
			value = v
		}
	}
	return value, nil
}
