package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
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
	warnDefaultProfile(ctx, g.stderr)
	env := serverEnv(os.Environ(), s.url, s.token, region, profile)
	g.logger().Debug("running command with a credential server", "command", argv[0], "profile", profile, "url", s.url)
	return runChild(argv, env, g)
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
// a credential server.
func warnDefaultProfile(ctx context.Context, stderr io.Writer) {
	configFile, credentialsFile := sharedFiles()
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
		var missing config.SharedConfigProfileNotExistError
		if errors.As(err, &missing) || errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil || !givesCredentials(&sc) {
			continue
		}
		fmt.Fprintf(stderr, "sessioncache: warning: the [default] profile of %s has credentials, which the AWS SDKs and the AWS CLI use before the credential server: remove them from that profile (or set AWS_PROFILE to a profile without credentials in the command) for the server to be used\n", file.path)
	}
}

// givesCredentials reports whether a profile's settings make credentials
// by themselves.
func givesCredentials(sc *config.SharedConfig) bool {
	return sc.Credentials.HasKeys() || sc.RoleARN != "" || sc.CredentialProcess != "" ||
		sc.SSOAccountID != "" || sc.SSOSessionName != "" || sc.WebIdentityTokenFile != "" || sc.CredentialSource != ""
}
