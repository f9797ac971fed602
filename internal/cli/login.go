package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/ssologin"
	"github.com/spf13/cobra"
)

// loginFlags are the flags of `aws sso login`.
type loginFlags struct {
	useDeviceCode bool
	noBrowser     bool
	loginSession  bool
}

func newLoginCommand(g *globals) *cobra.Command {
	var f loginFlags
	cmd := &cobra.Command{
		Use:   "login [-p PROFILE] [--use-device-code] [--no-browser] [--login-session]",
		Short: "Sign in to IAM Identity Center (SSO), as 'aws sso login', or with console credentials, as 'aws login'",
		Long: `Login signs in to IAM Identity Center for the profile's sso_session (or
legacy sso_start_url and sso_region) and caches the SSO token in
~/.aws/sso/cache, where the AWS CLI v2, botocore and the Go SDK use it.
No AWS CLI v2 is needed.

It opens the browser on the sign-in page (the authorization code flow
with PKCE), or with --use-device-code shows a URL and a code to enter on
any device. With --no-browser, or without a display, it prints the URL
on standard error. Processes that sign in for the same session at once
share one sign-in.

For a profile with login_session (or a role whose source_profile has
one), login signs in as 'aws login' does, with the console credentials,
and writes the session's token to ~/.aws/login/cache, where the AWS CLI
v2, botocore and the Go SDK use it. --login-session does the same for a
profile without credentials, and adds login_session to it.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLogin(cmd.Context(), g, f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().BoolVar(&f.useDeviceCode, "use-device-code", false, "sign in with a URL and a code, on any device")
	cmd.Flags().BoolVar(&f.noBrowser, "no-browser", false, "print the URL instead of opening a browser")
	cmd.Flags().BoolVar(&f.loginSession, "login-session", false, "sign in as 'aws login' does, and give the profile login_session")
	return cmd
}

func runLogin(ctx context.Context, g *globals, f loginFlags, stdout, stderr io.Writer) error {
	if handled, err := runLoginSession(ctx, g, f, stdout, stderr); handled {
		return err
	}
	ts, s, err := g.ssoTokenSource(ctx, func(o *ssologin.Options) {
		o.UseDeviceCode = f.useDeviceCode
		o.NoBrowser = f.noBrowser
		o.Output = stderr
	})
	if err != nil {
		return err
	}
	ctx, caught, stop := onInterrupt(ctx)
	defer stop()
	if _, err := ts.Login(ctx); err != nil {
		return quietInterrupt(g, caught(), ssoEndpointError(err))
	}
	_, err = fmt.Fprintf(stdout, "Successfully logged into Start URL: %s\n", s.StartURL)
	return err
}

// ssoTokenSource returns the token source of the selected profile's SSO
// session, with the lock every sessioncache process takes.
func (g *globals) ssoTokenSource(ctx context.Context, optFns ...func(*ssologin.Options)) (*ssologin.TokenSource, ssologin.Session, error) {
	profile, err := g.ssoProfile(ctx)
	if err != nil {
		return nil, ssologin.Session{}, err
	}
	s, err := ssologin.LoadSession(ctx, profile)
	if err != nil {
		return nil, s, err
	}
	// The SSO OIDC client follows the profile's and the environment's
	// endpoint settings, as the AWS CLI's does.
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(profile), config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	if err != nil {
		return nil, s, err
	}
	dir, err := ssologin.DefaultCacheDir()
	if err != nil {
		return nil, s, err
	}
	lock := sessioncache.NewFileCache(ssologin.LockDir(dir), func(o *sessioncache.FileCacheOptions) {
		o.LockTimeout = g.lockTimeout
		o.OnWait = func(h sessioncache.LockHolder) {
			fmt.Fprintf(g.stderr, "sessioncache: waiting for %s to finish signing in to %s (giving up after %v; see --lock-timeout)\n", h, s.StartURL, g.lockTimeout)
		}
	})
	ts, err := ssologin.NewTokenSource(cfg, s, append([]func(*ssologin.Options){func(o *ssologin.Options) {
		o.CacheDir = dir
		o.Locker = lock
		if l := g.debugLogger(); l != nil {
			o.Logger = l
		}
	}}, optFns...)...)
	return ts, s, err
}

// ssoProfile returns the profile whose SSO session the selected profile
// signs in with: itself, or the SSO profile its source_profile chain ends
// in, which it says on standard error.
func (g *globals) ssoProfile(ctx context.Context) (string, error) {
	profile, _ := g.profileName()
	l := &sessioncache.Loader{CacheDir: g.cacheDir, Logger: g.debugLogger(), MFASession: g.mfaSession}
	entries, err := l.ProfileEntries(ctx, g.loadOptions()...)
	var settings *sessioncache.ProfileSettingsError
	if errors.As(err, &settings) && settings.Profile == profile && len(settings.Missing) > 0 {
		// Signing in needs the session, not the account and role.
		return profile, nil
	}
	if err != nil {
		return "", g.explain(err)
	}
	for _, e := range entries {
		if e.Kind != sessioncache.KindSSO {
			continue
		}
		if e.Profile != profile {
			fmt.Fprintf(g.stderr, "sessioncache: profile %q takes its credentials from profile %q, which uses IAM Identity Center: signing in for that\n", profile, e.Profile)
		}
		return e.Profile, nil
	}
	if len(entries) == 0 {
		// No chain to follow: ssologin says what the profile lacks.
		return profile, nil
	}
	return "", fmt.Errorf("profile %s does not use IAM Identity Center, nor does any profile of its source_profile chain, so there is nothing to sign in to: %s", g.quotedProfile(), ssoProfilesHint(ctx, l))
}

// ssoProfilesHint names the profiles that login could sign in for.
func ssoProfilesHint(ctx context.Context, l *sessioncache.Loader) string {
	all, _ := l.AllProfileEntries(ctx)
	var names []string
	for name, entries := range all {
		if slices.ContainsFunc(entries, func(e sessioncache.ProfileEntry) bool { return e.Kind == sessioncache.KindSSO }) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		configFile, _ := sharedFiles()
		return "no profile in " + configFile + " does; `aws configure sso` adds one"
	}
	slices.Sort(names)
	return "the profiles that do are " + someNames(names)
}
