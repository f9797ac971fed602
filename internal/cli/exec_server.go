package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache/internal/awsini"
	"github.com/sessioncache/sessioncache/internal/safefile"
	"github.com/sessioncache/sessioncache/internal/tty"
)

// runExecServer runs the command with the variables that point it at a
// credential server for the selected profile, which lives as long as the
// command.
func runExecServer(ctx context.Context, g *globals, f serverFlags, argv []string) error {
	// Until the command runs, Ctrl-C is for this process; then the
	// command gets it (runChild).
	ctx, caught, stopCatching := onInterrupt(ctx)
	defer stopCatching()
	s, err := startServer(ctx, g, f)
	if err != nil {
		return quietInterrupt(g, caught(), err)
	}
	defer s.stop()
	region, err := g.region(ctx)
	if err != nil {
		return quietInterrupt(g, caught(), err)
	}
	stopCatching()
	profile, _ := g.profileName()
	env := serverEnv(os.Environ(), s.url, s.token, region, profile)
	configFile, credentialsFile := sharedFiles()
	hidden := defaultProfileFiles(ctx)
	for _, file := range []struct {
		path, variable string
		config         bool
	}{{credentialsFile, "AWS_SHARED_CREDENTIALS_FILE", false}, {configFile, "AWS_CONFIG_FILE", true}} {
		if !slices.Contains(hidden, file.path) {
			continue
		}
		copied, remove, err := withoutDefaultCredentials(file.path, file.config)
		if err != nil {
			return err
		}
		defer remove()
		env = append(slices.DeleteFunc(env, func(kv string) bool {
			name, _, _ := strings.Cut(kv, "=")
			return envNameEqual(name, file.variable)
		}), file.variable+"="+copied)
		g.logger().Debug("the command reads a copy of the file without the credentials of its [default] profile", "file", file.path)
	}
	g.logger().Debug("running command with a credential server", "command", argv[0], "profile", profile, "url", s.url)
	err = runChild(argv, env, g)
	// The Ctrl-C that ended the command may have ended a prompt of the
	// background refresh too: stopping the server ends that prompt, and
	// the terminal is restored before this process exits.
	s.stop()
	tty.Settle(time.Second)
	return err
}

// serverEnv returns base without the variables of credentialEnv, and with
// the server's URL and token, the region when there is one, and the
// marker.
func serverEnv(base []string, url, token, region, profile string) []string {
	env := append(cleanEnv(base, region), fullURIEnv+"="+url, authTokenEnv+"="+token)
	return appendRegionAndMarker(env, region, profile)
}

// region returns the selected profile's region, as exec sets it, without
// resolving its credentials.
func (g *globals) region(ctx context.Context) (string, error) {
	opts := append(g.loadOptions(), config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return "", g.explain(err)
	}
	return cfg.Region, nil
}

// warnDefaultProfile says on stderr when a command started without
// AWS_PROFILE would take credentials from the default profile of the
// shared files, since the SDKs and the AWS CLI look there before they ask
// a credential server. Files in handled are not named: exec --server
// gives its command a copy without that profile.
func warnDefaultProfile(ctx context.Context, stderr io.Writer, handled ...string) {
	for _, path := range defaultProfileFiles(ctx) {
		if slices.Contains(handled, path) {
			continue
		}
		fmt.Fprintf(stderr, "sessioncache: warning: the [default] profile of %s has credentials, which the AWS SDKs and the AWS CLI use before the credential server: move those settings to a named profile, or set AWS_PROFILE in the shells that use the server to a profile without credentials of its own\n", path)
	}
}

// defaultProfileFiles returns the shared files whose [default] profile
// gives credentials by itself: the credentials file first.
func defaultProfileFiles(ctx context.Context) []string {
	configFile, credentialsFile := sharedFiles()
	var out []string
	for _, file := range []struct {
		path   string
		config bool
	}{{credentialsFile, false}, {configFile, true}} {
		load := func(o *config.LoadSharedConfigOptions) {
			o.ConfigFiles, o.CredentialsFiles = []string{}, []string{file.path}
			if file.config {
				o.ConfigFiles, o.CredentialsFiles = []string{file.path}, []string{}
			}
		}
		sc, err := config.LoadSharedConfigProfile(ctx, config.DefaultSharedConfigProfile, load)
		if err == nil && givesCredentials(&sc) {
			out = append(out, file.path)
		}
	}
	return out
}

// givesCredentials reports whether a profile's settings make credentials
// by themselves.
func givesCredentials(sc *config.SharedConfig) bool {
	return sc.Credentials.HasKeys() || sc.RoleARN != "" || sc.CredentialProcess != "" ||
		sc.SSOAccountID != "" || sc.SSOSessionName != "" || sc.WebIdentityTokenFile != "" || sc.CredentialSource != ""
}

// maxSharedFile bounds the shared file read for the copy.
const maxSharedFile = 1 << 20

// withoutDefaultCredentials writes a copy of the shared file at path
// whose [default] profile makes no credentials, mode 0600 in a new private
// directory, and returns its path and the function that removes it. The
// command of exec --server reads it, so that the [default] profile does
// not win over the server and the command gets the profile's identity. A
// credentials file loses the whole section; a config file ([default] or
// [profile default]) only the settings that make credentials, so that the
// region and the like stay.
func withoutDefaultCredentials(path string, isConfig bool) (copied string, remove func(), err error) {
	data, err := safefile.ReadFile(filepath.Dir(path), path, maxSharedFile)
	if err != nil {
		return "", nil, fmt.Errorf("read %s to hide the credentials of its [default] profile from the command: %w", path, err)
	}
	lines, err := awsini.Lines(path, data)
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "sessioncache-exec-")
	if err != nil {
		return "", nil, fmt.Errorf("make a directory for the command's copy of %s: %w", path, err)
	}
	remove = func() { os.RemoveAll(dir) }
	copied = filepath.Join(dir, filepath.Base(path))
	var text []byte
	for _, l := range lines {
		if !isDefaultProfile(l.Section, isConfig) || isConfig && !slices.Contains(credentialSettings, l.Key) {
			text = append(text, l.Text...)
		}
	}
	if err := safefile.WriteFile(copied, text, nil); err != nil {
		remove()
		return "", nil, fmt.Errorf("write the command's copy of %s: %w", path, err)
	}
	return copied, remove, nil
}

// credentialSettings are the profile settings that make credentials, or
// say how: a [default] profile in the config file keeps the others.
var credentialSettings = []string{
	"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token",
	"role_arn", "source_profile", "credential_source", "credential_process",
	"web_identity_token_file", "role_session_name", "external_id", "mfa_serial", "duration_seconds",
	"sso_session", "sso_account_id", "sso_role_name", "sso_start_url", "sso_region", "login_session",
}

// isDefaultProfile reports whether the section of that name is the
// default profile: [default], or in a config file [profile default] too.
func isDefaultProfile(section string, isConfig bool) bool {
	return section == config.DefaultSharedConfigProfile ||
		isConfig && section == "profile "+config.DefaultSharedConfigProfile
}
