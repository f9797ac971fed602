package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache/internal/awsini"
)

// sharedConfig is the shared config and credentials files, read once, with
// what the credential settings of every profile need. The SDK reads and
// parses both files again for each profile it loads, so that resolving
// every profile of a large file took time quadratic in its size.
//
// It mirrors the SDK's reading of the settings that choose credentials and
// make cache keys. Where a file holds something it does not mirror
// (indented lines, a profile in several files, partial keys, invalid
// settings), it says so with errUnsure, and the caller asks the SDK.
type sharedConfig struct {
	profiles    map[string]*iniSection
	ssoSessions map[string]*iniSection
	// names lists the profiles in the order the files define them.
	names []string
}

// iniSection is one section of a shared file, its keys in lower case.
type iniSection struct {
	values map[string]string
	// unsure is set when the SDK might read the section otherwise.
	unsure bool
}

// errUnsure says that the SDK must resolve a profile itself.
var errUnsure = errors.New("sessioncache: profile left to the SDK")

// readSharedConfig reads the files the SDK would read; missing or
// unreadable files are empty, as for the SDK, and a file that cannot be
// parsed is an *awsini.ParseError.
func readSharedConfig(configFiles, credentialsFiles []string) (*sharedConfig, error) {
	s := &sharedConfig{profiles: map[string]*iniSection{}, ssoSessions: map[string]*iniSection{}}
	fromConfig := map[string]bool{}
	fromCredentials := map[string]bool{}
	add := func(name string, sec *iniSection, credentials bool) {
		old := s.profiles[name]
		switch {
		case old == nil:
			s.profiles[name] = sec
			s.names = append(s.names, name)
		case credentials && fromConfig[name] && !fromCredentials[name]:
			mergeCredentialsSection(old, sec)
		default:
			// Merged across files of one kind by rules not mirrored here.
			old.unsure = true
		}
		if credentials {
			fromCredentials[name] = true
		} else {
			fromConfig[name] = true
		}
	}
	configs, err := awsini.LoadAll(configFiles)
	if err != nil {
		return nil, err
	}
	credentials, err := awsini.LoadAll(credentialsFiles)
	if err != nil {
		return nil, err
	}
	for _, f := range configs {
		for _, sec := range f.Sections {
			name := sec.Name
			switch {
			case strings.HasPrefix(name, "profile "):
				profile := strings.TrimPrefix(name, "profile ")
				c := copySection(sec)
				if profile == "default" && f.Section("default") != nil {
					c.unsure = true
				}
				add(profile, c, false)
			case name == "default":
				if f.Section("profile default") == nil {
					add(name, copySection(sec), false)
				}
			case strings.HasPrefix(name, "sso-session "):
				s.ssoSessions[strings.TrimPrefix(name, "sso-session ")] = copySection(sec)
			}
		}
	}
	for _, f := range credentials {
		for _, sec := range f.Sections {
			if !strings.HasPrefix(sec.Name, "profile ") {
				add(sec.Name, copySection(sec), true)
			}
		}
	}
	return s, nil
}

// copySection copies a parsed section, which is shared, for merging.
func copySection(sec *awsini.Section) *iniSection {
	return &iniSection{values: maps.Clone(sec.Values), unsure: sec.Nested}
}

// mergedKeys are the settings of a credentials file's profile that
// replace the config file's, as the SDK's mergeSections does; others, such
// as aws_account_id, are dropped.
var mergedKeys = []string{
	"role_arn", "source_profile", "credential_source", "external_id", "mfa_serial",
	"role_session_name", "region", "credential_process", "web_identity_token_file",
	"duration_seconds", "sso_session", "sso_account_id", "sso_region", "sso_role_name",
	"sso_start_url", "login_session",
}

// mergeCredentialsSection merges a credentials file's profile into the
// config file's, as the SDK does.
func mergeCredentialsSection(dst, src *iniSection) {
	dst.unsure = dst.unsure || src.unsure
	_, hasID := src.values["aws_access_key_id"]
	_, hasSecret := src.values["aws_secret_access_key"]
	switch {
	case hasID != hasSecret:
		dst.unsure = true
	case hasID:
		dst.values["aws_access_key_id"] = src.values["aws_access_key_id"]
		dst.values["aws_secret_access_key"] = src.values["aws_secret_access_key"]
		if v, ok := src.values["aws_session_token"]; ok {
			dst.values["aws_session_token"] = v
		}
	}
	for _, k := range mergedKeys {
		if v, ok := src.values[k]; ok {
			dst.values[k] = v
		}
	}
}

// profile returns the settings of a profile, with its chain of source
// profiles, as config.LoadSharedConfigProfile would, or errUnsure.
func (s *sharedConfig) profile(name string) (*config.SharedConfig, error) {
	return s.build(map[string]bool{}, name)
}

// build mirrors the SDK's SharedConfig.setFromIniSections for the
// credential settings; visited holds the profiles of the chain so far.
func (s *sharedConfig) build(visited map[string]bool, name string) (*config.SharedConfig, error) {
	sec := s.profiles[name]
	if sec == nil || sec.unsure {
		return nil, errUnsure
	}
	v := sec.values
	c := &config.SharedConfig{Profile: name}
	for _, f := range [...]struct {
		key string
		dst *string
	}{
		{"role_arn", &c.RoleARN}, {"external_id", &c.ExternalID}, {"mfa_serial", &c.MFASerial},
		{"role_session_name", &c.RoleSessionName}, {"source_profile", &c.SourceProfileName},
		{"credential_source", &c.CredentialSource}, {"region", &c.Region},
		{"sso_session", &c.SSOSessionName}, {"sso_region", &c.SSORegion}, {"sso_start_url", &c.SSOStartURL},
		{"sso_account_id", &c.SSOAccountID}, {"sso_role_name", &c.SSORoleName},
		{"credential_process", &c.CredentialProcess}, {"web_identity_token_file", &c.WebIdentityTokenFile},
		{"login_session", &c.LoginSession},
	} {
		*f.dst = v[f.key]
	}
	if d, ok := v["duration_seconds"]; ok {
		c.RoleDurationSeconds = pythonIntSeconds(d)
	}
	_, hasID := v["aws_access_key_id"]
	_, hasSecret := v["aws_secret_access_key"]
	if hasID != hasSecret {
		return nil, errUnsure // the SDK refuses partial keys
	}
	creds := aws.Credentials{
		AccessKeyID: v["aws_access_key_id"], SecretAccessKey: v["aws_secret_access_key"],
		SessionToken: v["aws_session_token"], AccountID: v["aws_account_id"],
	}
	if creds.HasKeys() {
		c.Credentials = creds
	}
	if visited[name] {
		c.RoleARN, c.ExternalID, c.MFASerial, c.RoleSessionName, c.SourceProfileName = "", "", "", "", ""
	} else if (c.SourceProfileName != "" || c.CredentialSource != "" || c.WebIdentityTokenFile != "") && c.RoleARN == "" {
		return nil, errUnsure
	}
	if len(visited) != 0 && c.Credentials.HasKeys() {
		return c, nil
	}
	visited[name] = true
	n := 0
	for _, set := range []string{c.SourceProfileName, c.CredentialSource, c.CredentialProcess, c.WebIdentityTokenFile} {
		if set != "" {
			n++
		}
	}
	if n > 1 {
		return nil, errUnsure
	}
	if c.SourceProfileName != "" {
		c.CredentialSource, c.CredentialProcess, c.WebIdentityTokenFile = "", "", ""
		c.Credentials = aws.Credentials{}
		c.SSOAccountID, c.SSORegion, c.SSORoleName, c.SSOStartURL = "", "", "", ""
		src, err := s.build(visited, c.SourceProfileName)
		if err != nil {
			return nil, err
		}
		if !(src.SourceProfileName != "" || src.CredentialSource != "" || src.CredentialProcess != "" ||
			src.WebIdentityTokenFile != "" || src.SSOSessionName != "" || src.SSORegion != "" ||
			src.SSOAccountID != "" || src.SSOStartURL != "" || src.SSORoleName != "" || src.LoginSession != "" ||
			src.Credentials.HasKeys()) {
			return nil, errUnsure
		}
		c.Source = src
	}
	if c.SSOSessionName != "" {
		sess := s.ssoSessions[strings.TrimSpace(c.SSOSessionName)]
		if sess == nil || sess.unsure {
			return nil, errUnsure
		}
		c.SSOSession = &config.SSOSession{Name: c.SSOSessionName, SSORegion: sess.values["sso_region"], SSOStartURL: sess.values["sso_start_url"]}
	}
	return c, nil
}

// pythonIntSeconds reads duration_seconds as botocore does, with Python's
// int(): decimal digits, leading zeros allowed ("03600" is 3600), an
// optional sign, surrounding space and underscores between digits. A
// value int() refuses is ignored, as botocore ignores it.
func pythonIntSeconds(s string) *time.Duration {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return nil
	}
	var n int64
	for _, r := range s {
		switch {
		case r == '_':
			continue
		case r < '0' || r > '9':
			return nil
		}
		n = n*10 + int64(r-'0')
		if n > 1<<40 {
			return nil
		}
	}
	if neg {
		n = -n
	}
	d := time.Duration(n) * time.Second
	return &d
}

// sharedFileNames returns the config and credentials files that files
// selects.
func sharedFileNames(files func(*config.LoadSharedConfigOptions)) (configFiles, credentialsFiles []string) {
	var o config.LoadSharedConfigOptions
	files(&o)
	return o.ConfigFiles, o.CredentialsFiles
}

// loadProfile returns a profile's settings as config.LoadSharedConfigProfile
// does, from files read once into set, and the SDK's reading where set
// cannot tell. Integer settings are read as botocore reads them.
func loadProfile(ctx context.Context, set *sharedConfig, profile string, files func(*config.LoadSharedConfigOptions)) (*config.SharedConfig, error) {
	configFiles, _ := sharedFileNames(files)
	configFile := ""
	if len(configFiles) > 0 {
		configFile = configFiles[len(configFiles)-1]
	}
	if sc, err := set.profile(profile); err == nil {
		if err := ssoSettingsProblem(sc, configFile); err != nil {
			return nil, err
		}
		return sc, nil
	}
	sc, err := config.LoadSharedConfigProfile(ctx, profile, files)
	if err != nil {
		if chain := set.loop(profile); chain != nil {
			return nil, &ProfileLoopError{Chain: chain}
		}
		if serr := set.missingSSOSession(profile, configFile); serr != nil {
			return nil, serr
		}
		return nil, err
	}
	for c := &sc; c != nil; c = c.Source {
		if sec := set.profiles[c.Profile]; sec != nil {
			if d, ok := sec.values["duration_seconds"]; ok && c.RoleDurationSeconds != nil {
				c.RoleDurationSeconds = pythonIntSeconds(d)
			}
		}
	}
	if err := ssoSettingsProblem(&sc, configFile); err != nil {
		return nil, err
	}
	return &sc, nil
}

// ConfigParseError is returned for a shared config or credentials file
// that cannot be parsed: it names the file and the line (Path, Line) and
// says what is wrong (Problem), never quoting the line, which may hold a
// secret key. The AWS CLI stops with ConfigParseError on the same files.
type ConfigParseError = awsini.ParseError

// ProfileLoopError is returned for a profile whose chain of source_profile
// settings comes back to a profile it has passed, without reaching one
// that has credentials of its own.
type ProfileLoopError struct {
	// Chain is the profiles of the loop, from the selected one to the one
	// met twice: a, b, a.
	Chain []string
}

func (e *ProfileLoopError) Error() string {
	return fmt.Sprintf("sessioncache: profile %s: its source_profile settings loop (%s), so no profile of the chain has credentials: end the chain at a profile with keys, sso_session, credential_process or credential_source",
		e.Chain[0], strings.Join(e.Chain, " -> "))
}

// loop returns the chain of source profiles from name when it loops back
// to a profile that has no credentials of its own, as the SDK refuses.
func (s *sharedConfig) loop(name string) []string {
	var chain []string
	seen := map[string]bool{}
	for {
		sec := s.profiles[name]
		if sec == nil {
			return nil
		}
		chain = append(chain, name)
		if seen[name] {
			v := sec.values
			for _, k := range []string{"aws_access_key_id", "credential_source", "credential_process", "web_identity_token_file", "sso_session", "sso_start_url"} {
				if v[k] != "" {
					return nil
				}
			}
			return chain
		}
		seen[name] = true
		next := sec.values["source_profile"]
		if next == "" {
			return nil
		}
		name = next
	}
}
