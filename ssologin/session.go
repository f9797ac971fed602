package ssologin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache/internal/awsini"
)

// Session is what a sign-in needs: an [sso-session NAME] section, or the
// sso_start_url and sso_region of a legacy profile.
type Session struct {
	// Name is the sso-session name, "" for a legacy profile.
	Name string
	// StartURL is the AWS access portal URL (sso_start_url).
	StartURL string
	// Region is the IAM Identity Center region (sso_region).
	Region string
	// Scopes are the sso_registration_scopes of the sso-session. The
	// authorization code flow registers sso:account:access when there are
	// none; a token is refreshable only when the client has scopes.
	Scopes []string
	// Profile names the profile in messages and in the commands they
	// suggest. Default: none.
	Profile string
}

// CacheKey returns the name of the session's token file without ".json".
func (s Session) CacheKey() string { return CacheKey(s.Name, s.StartURL) }

// ProfileError is returned for a profile that does not say how to sign in.
type ProfileError struct {
	Profile string
	// Problem says what is missing, and what to do.
	Problem string
}

func (e *ProfileError) Error() string {
	return fmt.Sprintf("ssologin: profile %s: %s", e.Profile, e.Problem)
}

// LoadSession reads the SSO settings of profile from the shared config
// files (default: $AWS_CONFIG_FILE, else ~/.aws/config).
func LoadSession(ctx context.Context, profile string, configFiles ...string) (Session, error) {
	if len(configFiles) == 0 {
		configFiles = defaultConfigFiles()
	}
	sc, err := config.LoadSharedConfigProfile(ctx, profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = configFiles
		o.CredentialsFiles = []string{}
	})
	if err != nil {
		var notExist config.SharedConfigProfileNotExistError
		if errors.As(err, &notExist) {
			return Session{}, &ProfileError{Profile: profile, Problem: "no such profile in " + strings.Join(configFiles, ", ")}
		}
		if _, name, ok := strings.Cut(err.Error(), "failed to find SSO session section, "); ok {
			return Session{}, &ProfileError{Profile: profile, Problem: fmt.Sprintf("sso_session = %s, but there is no [sso-session %s] section: add one with sso_start_url and sso_region (or run `aws configure sso-session`)", name, name)}
		}
		return Session{}, fmt.Errorf("ssologin: profile %s: %w", profile, err)
	}
	return SessionFromConfig(&sc, configFiles...)
}

// SessionFromConfig returns the SSO settings of a loaded profile. The
// sso_registration_scopes, which the SDK does not read, are read from
// configFiles (default: $AWS_CONFIG_FILE, else ~/.aws/config).
func SessionFromConfig(sc *config.SharedConfig, configFiles ...string) (Session, error) {
	s := Session{Profile: sc.Profile}
	switch {
	case sc.SSOSessionName != "":
		ss := sc.SSOSession
		if ss == nil {
			return Session{}, &ProfileError{Profile: sc.Profile, Problem: fmt.Sprintf("sso_session = %s, but there is no [sso-session %s] section", sc.SSOSessionName, sc.SSOSessionName)}
		}
		var missing []string
		if ss.SSOStartURL == "" {
			missing = append(missing, "sso_start_url")
		}
		if ss.SSORegion == "" {
			missing = append(missing, "sso_region")
		}
		if len(missing) > 0 {
			return Session{}, &ProfileError{Profile: sc.Profile, Problem: fmt.Sprintf("the [sso-session %s] section lacks %s", ss.Name, strings.Join(missing, " and "))}
		}
		s.Name, s.StartURL, s.Region = ss.Name, ss.SSOStartURL, ss.SSORegion
		if len(configFiles) == 0 {
			configFiles = defaultConfigFiles()
		}
		scopes, err := registrationScopes(configFiles, ss.Name)
		if err != nil {
			return Session{}, fmt.Errorf("ssologin: read sso_registration_scopes: %w", err)
		}
		s.Scopes = scopes
	case sc.SSOStartURL != "" || sc.SSORegion != "":
		if sc.SSOStartURL == "" || sc.SSORegion == "" {
			return Session{}, &ProfileError{Profile: sc.Profile, Problem: "a legacy SSO profile needs both sso_start_url and sso_region (or run `aws configure sso`)"}
		}
		s.StartURL, s.Region = sc.SSOStartURL, sc.SSORegion
	default:
		return Session{}, &ProfileError{Profile: sc.Profile, Problem: "it has no SSO settings: set sso_session (with an [sso-session NAME] section holding sso_start_url and sso_region), or sso_start_url and sso_region"}
	}
	return s, nil
}

func defaultConfigFiles() []string {
	if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
		return []string{f}
	}
	return []string{config.DefaultSharedConfigFilename()}
}

// registrationScopes returns the sso_registration_scopes of the
// [sso-session name] section, split on commas as the AWS CLI does; nil
// when the setting is absent. The last file that sets it wins.
func registrationScopes(files []string, name string) ([]string, error) {
	var scopes []string
	for _, path := range files {
		f, err := awsini.Load(path)
		if err != nil {
			return nil, err
		}
		var raw string
		var ok bool
		if sec := f.Section("sso-session " + name); sec != nil {
			raw, ok = sec.Values["sso_registration_scopes"]
		}
		if ok {
			scopes = []string{}
			for _, sc := range strings.Split(raw, ",") {
				if sc = strings.TrimSpace(sc); sc != "" {
					scopes = append(scopes, sc)
				}
			}
		}
	}
	return scopes, nil
}
