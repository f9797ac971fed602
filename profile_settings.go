package sessioncache

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache/internal/awsini"
)

// ProfileSettingsError is returned for a profile whose settings cannot
// make credentials: an SSO profile without its account or role, or an
// sso_session that names no [sso-session] section. The SDK would go on and
// fail later with the portal's or its own words; this says what to change.
type ProfileSettingsError struct {
	// Profile is the profile whose settings are wrong: the one asked
	// for, or a source_profile of its chain.
	Profile string
	// File is the config file read, when known.
	File string
	// Missing names the settings the profile lacks, when that is the
	// problem: sso_account_id, sso_role_name, sso_session.
	Missing []string
	// Problem says what is wrong, Fix what to do.
	Problem, Fix string
}

func (e *ProfileSettingsError) Error() string {
	where := ""
	if e.File != "" {
		where = " in " + e.File
	}
	return fmt.Sprintf("sessioncache: profile %q%s %s: %s", e.Profile, where, e.Problem, e.Fix)
}

// ssoSettingsProblem returns the error for the first profile of sc's
// chain that has SSO settings the SDK cannot use, or nil.
func ssoSettingsProblem(sc *config.SharedConfig, file string) error {
	for c := sc; c != nil; c = c.Source {
		usesSSO := c.SSOSessionName != "" || c.SSOStartURL != "" || c.SSOAccountID != "" || c.SSORoleName != ""
		if !usesSSO || ssoComplete(c) {
			continue
		}
		e := &ProfileSettingsError{Profile: c.Profile, File: file}
		var missing []string
		for _, s := range []struct{ key, value string }{{"sso_account_id", c.SSOAccountID}, {"sso_role_name", c.SSORoleName}} {
			if s.value == "" {
				missing = append(missing, s.key)
			}
		}
		s := c.SSOSession
		switch {
		case len(missing) > 0:
			e.Missing = missing
			e.Problem = "uses IAM Identity Center but has no " + strings.Join(missing, " or ")
			e.Fix = fmt.Sprintf("add %s to it (`aws configure sso --profile %s` asks for the account and role)", strings.Join(missing, " and "), c.Profile)
		case c.SSOSessionName != "" && s != nil && (s.SSOStartURL == "" || s.SSORegion == ""):
			e.Problem = fmt.Sprintf("uses [sso-session %s], which has no %s", c.SSOSessionName, missingOf(map[string]string{"sso_start_url": s.SSOStartURL, "sso_region": s.SSORegion}))
			e.Fix = "add the portal's sso_start_url and sso_region to that section"
		case c.SSOSessionName != "" && s != nil:
			e.Problem = fmt.Sprintf("sets sso_start_url or sso_region unlike its [sso-session %s]", c.SSOSessionName)
			e.Fix = "remove them from the profile, which takes them from the section"
		case c.SSOSessionName == "":
			e.Problem = "has no sso_session and no " + missingOf(map[string]string{"sso_start_url": c.SSOStartURL, "sso_region": c.SSORegion})
			e.Fix = "add sso_session naming an [sso-session] section with the portal's sso_start_url and sso_region"
		default:
			continue
		}
		return e
	}
	return nil
}

// missingOf names the settings whose values are empty, in order.
func missingOf(values map[string]string) string {
	var missing []string
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if values[k] == "" {
			missing = append(missing, k)
		}
	}
	return strings.Join(missing, " or ")
}

// missingSSOSession returns the error for the first profile of profile's
// chain whose sso_session names a section that no file defines, or nil.
func (s *sharedConfig) missingSSOSession(profile, file string) error {
	seen := map[string]bool{}
	for name := profile; name != "" && !seen[name]; {
		seen[name] = true
		sec := s.profiles[name]
		if sec == nil {
			return nil
		}
		if want := strings.TrimSpace(sec.values["sso_session"]); want != "" && s.ssoSessions[want] == nil {
			fix := fmt.Sprintf("add a [sso-session %s] section with the portal's sso_start_url and sso_region", want)
			if names := slices.Sorted(maps.Keys(s.ssoSessions)); len(names) > 0 {
				fix += ", or name one of the sections there are: " + strings.Join(names, ", ")
			}
			return &ProfileSettingsError{Profile: name, File: file, Problem: fmt.Sprintf("names sso_session %q, but there is no [sso-session %s] section", want, want), Fix: fix}
		}
		name = sec.values["source_profile"]
	}
	return nil
}

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
