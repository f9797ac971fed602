// Package cli implements the sessioncache command: one file per
// subcommand, each a cobra command bound to a plain function that does the
// work with the library.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/tty"
	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	// exitInterrupted is 128 + SIGINT.
	exitInterrupted = 130
)

// Main runs the command line args (without the program name) with the
// given standard streams and returns the exit status: 0 on success, 2 for
// a usage error, 1 for any other failure, or the status of the command
// that exec ran.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(context.Background())
	return report(stderr, cmd, err, g.started)
}

func newRootCommand(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "sessioncache",
		Short: "Share the AWS CLI's credential cache, so MFA prompts once per role session",
		Long: `sessioncache serves AWS credentials from the AWS CLI's cache
(~/.aws/cli/cache), so that Go programs, the AWS CLI and boto3 share one
assumed-role session and ask for an MFA code once per session, not once
per program.

  sessioncache exec -p admin -- terraform plan
  credential_process = sessioncache export --profile admin

Run 'sessioncache demo' to see it work without an AWS account.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		// Every error before this hook runs is about the command line.
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			g.started = true
			g.profileFlag = cmd.Flags().Changed("profile")
			if readsSharedFiles(cmd) {
				// One answer for a broken file, before anything reads it
				// another way and says the profile does not exist.
				return checkSharedFiles()
			}
			return nil
		},
	}
	root.SetVersionTemplate("{{.Version}}")

	pf := root.PersistentFlags()
	pf.StringVarP(&g.profile, "profile", "p", "", "`profile` to use (default $AWS_PROFILE, else \"default\")")
	pf.StringVar(&g.cacheDir, "cache-dir", "", "credential cache `directory` (default $SESSIONCACHE_DIR, else ~/.aws/cli/cache)")
	pf.StringVar(&g.mfaToken, "mfa-token", "", "MFA `code` to use instead of asking (visible in ps), or - to take the first line of standard input")
	pf.BoolVar(&g.mfaSession, "mfa-session", true, "make MFA sessions for long-term keys with mfa_serial, as aws-vault (=false: use the keys as they are, as the AWS CLI)")
	pf.BoolVar(&g.debug, "debug", false, "log what happens to standard error (secrets are never logged)")
	pf.DurationVar(&g.lockTimeout, "lock-timeout", sessioncache.DefaultLockTimeout, "how long (a `duration`) to wait for another process refreshing the same session")
	_ = root.RegisterFlagCompletionFunc("profile", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		names, _ := profileNames()
		return names, cobra.ShellCompDirectiveNoFileComp
	})

	root.AddCommand(
		newExecCommand(g),
		newExportCommand(g),
		newEKSTokenCommand(g),
		newConsoleCommand(g),
		newServeCommand(g),
		newListCommand(g),
		newStatusCommand(g),
		newClearCommand(g),
		newLoginCommand(g),
		newLogoutCommand(g),
		newDemoCommand(g),
		newVersionCommand(),
	)
	refuseUnknownShells(root)
	return root
}

// refuseUnknownShells makes 'completion SHELL' for a shell cobra has no
// script for an error that lists the shells, rather than the help text
// with exit status 0.
func refuseUnknownShells(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		var shells []string
		for _, sub := range c.Commands() {
			shells = append(shells, sub.Name())
		}
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			return usageErrorf("completion has no script for %q: the shells are %s", args[0], strings.Join(shells, ", "))
		}
		c.RunE = func(cmd *cobra.Command, args []string) error {
			return usageErrorf("completion needs a shell: one of %s", strings.Join(shells, ", "))
		}
	}
}

// globals holds the flags every subcommand accepts and the streams Main
// was given.
type globals struct {
	profile  string
	cacheDir string
	mfaToken string
	debug    bool
	// mfaSession is --mfa-session (Loader.MFASession).
	mfaSession bool
	// stdinLine is the TokenProvider of --mfa-token - (see stdinCode).
	stdinLine sessioncache.TokenProvider
	// codeFromStdin lets a code come from standard input when no other
	// source has one: export, which a credential_process runs, sets it.
	codeFromStdin bool

	// minRemaining is exec's and export's --min-remaining.
	minRemaining time.Duration
	// lockTimeout bounds the wait for another process's lock.
	lockTimeout time.Duration

	// profileFlag is set when --profile was given on the command line.
	profileFlag bool
	// started is set once the command line has been parsed.
	started bool

	stdin          io.Reader
	stdout, stderr io.Writer
}

// profileName returns the selected profile and whether it was chosen (by
// --profile or the environment) rather than being the implicit default.
func (g *globals) profileName() (name string, chosen bool) {
	if g.profile != "" {
		return g.profile, true
	}
	if name, from := profileFromEnv(); from != "" {
		return name, true
	}
	return config.DefaultSharedConfigProfile, false
}

// profileFromEnv returns the profile the environment selects and the
// variable that selects it: SESSIONCACHE_PROFILE, which names a profile as
// --profile does, then the SDK's variables in the SDK's order; from is
// empty when none does.
func profileFromEnv() (name, from string) {
	for _, k := range []string{markerEnv, "AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if v := os.Getenv(k); v != "" {
			return v, k
		}
	}
	return "", ""
}

// quotedProfile returns the selected profile's name quoted for messages,
// saying which variable chose it when no --profile did.
func (g *globals) quotedProfile() string {
	name, _ := g.profileName()
	return profileLabel(name, g.profileVar())
}

// profileVar names the variable that chose the profile, or is empty when
// --profile did or nothing did.
func (g *globals) profileVar() string {
	if g.profile != "" {
		return ""
	}
	_, from := profileFromEnv()
	return from
}

// logger returns the --debug logger, and otherwise one that shows only
// warnings.
func (g *globals) logger() *slog.Logger {
	if !g.debug {
		// Warnings (an entry that is not trusted, a cache that cannot be
		// written) explain a prompt that would otherwise be a surprise.
		return newWarnLogger(g.stderr)
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// debugLogger returns the --debug logger or nil, for commands whose output
// already shows what a warning would say.
func (g *globals) debugLogger() *slog.Logger {
	if !g.debug {
		return nil
	}
	return g.logger()
}

// loader returns the Loader the global flags describe.
func (g *globals) loader() *sessioncache.Loader {
	l := &sessioncache.Loader{CacheDir: g.cacheDir, Logger: g.logger(), MFASession: g.mfaSession, TokenProvider: g.tokenProvider(),
		LockTimeout: g.lockTimeout, OnWait: g.onWait}
	if g.minRemaining > sessioncache.DefaultExpiryWindow {
		// A session with less left is refreshed, through the cache and
		// its lock, as one near expiry is.
		l.ExpiryWindow = g.minRemaining
	}
	return l
}

// onWait says on standard error whom the command waits for, terminal or
// not, so that a run that seems stuck explains itself.
func (g *globals) onWait(h sessioncache.LockHolder) {
	fmt.Fprintf(g.stderr, "sessioncache: waiting for %s, which is refreshing the same session (giving up after %v; see --lock-timeout)\n", h, g.lockTimeout)
}

// cacheDirPath returns the cache directory: --cache-dir, else the
// library's default.
func (g *globals) cacheDirPath() (string, error) {
	if g.cacheDir != "" {
		return g.cacheDir, nil
	}
	return sessioncache.DefaultCacheDir()
}

// loadOptions selects the profile in the SDK's order: --profile (or
// SESSIONCACHE_PROFILE, which names a profile as --profile does), else
// keys or a web identity in the environment, else $AWS_PROFILE (named
// explicitly so that a missing one is an error, as in the SDK, for
// AWS_DEFAULT_PROFILE too), else the default profile.
func (g *globals) loadOptions() []func(*config.LoadOptions) error {
	var opts []func(*config.LoadOptions) error
	if !g.debug {
		// The SDK's own warnings (falling back to IMDSv1) go to the
		// process's standard error, not the command's, as log records;
		// what matters reaches the user as the command's error.
		opts = append(opts, config.WithLogger(logging.Nop{}))
	}
	name := g.profile
	if name == "" {
		name = os.Getenv(markerEnv)
	}
	if name == "" {
		if env, err := config.NewEnvConfig(); err == nil && (env.Credentials.HasKeys() || env.WebIdentityTokenFilePath != "") {
			return opts
		}
		name, _ = profileFromEnv()
	}
	if name != "" {
		opts = append(opts, config.WithSharedConfigProfile(name))
	}
	return opts
}

// retrieve returns the selected profile's credentials, from the cache when
// it can, and the configuration they come with.
func (g *globals) retrieve(ctx context.Context) (aws.Credentials, aws.Config, error) {
	profile, _ := g.profileName()
	l := g.loader()
	dir, _ := g.cacheDirPath()
	l.Logger.Debug("loading credentials", "profile", profile, "cache_dir", dir)
	// The SDK's memory cache moves Expires earlier by its expiry window; a
	// one-shot command keeps nothing in memory and must report the real
	// expiry. The file cache keeps its own window.
	opts := append(g.loadOptions(), config.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 0 }))
	cfg, err := l.LoadDefaultConfig(ctx, opts...)
	if err == nil && cfg.Credentials == nil {
		err = fmt.Errorf("profile %s has no credentials", g.quotedProfile())
	}
	if err != nil {
		return aws.Credentials{}, aws.Config{}, g.explain(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, aws.Config{}, g.explain(err)
	}
	return creds, cfg, nil
}

// credentials returns the selected profile's credentials with their real
// expiry, from the cache without loading the SDK's configuration when it
// can.
func (g *globals) credentials(ctx context.Context) (aws.Credentials, error) {
	creds, err := g.loader().Credentials(ctx, g.loadOptions()...)
	if err != nil {
		return aws.Credentials{}, g.explain(err)
	}
	return creds, nil
}

// explain turns the errors people meet most into ones that say what to do.
func (g *globals) explain(err error) error {
	profile, chosen := g.profileName()
	g.logger().Debug("loading credentials failed", "profile", profile, "error", err.Error())
	// The SDK's memory cache adds nothing a person needs.
	if inner := errors.Unwrap(err); inner != nil && strings.HasPrefix(err.Error(), "failed to refresh cached credentials, ") {
		err = inner
	}
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		if missing.Profile != profile {
			return fmt.Errorf("profile %s: its source_profile %q does not exist", g.quotedProfile(), missing.Profile)
		}
		return unknownProfile(profile, g.profileVar())
	}
	if names, _ := profileNames(); !chosen && !slices.Contains(names, profile) && !credentialsInEnv() {
		// Nothing said which credentials to use, and there is no default.
		if len(names) == 0 && noSharedFiles() {
			return configErrorf("no profile given, and %s", missingSharedFiles())
		}
		if len(names) == 0 {
			configFile, _ := sharedFiles()
			return configErrorf("no profile given, and %s defines none: add one, then pass --profile (or set AWS_PROFILE)", configFile)
		}
		return configErrorf("no profile given and no default profile: pass --profile (or set AWS_PROFILE) to one of: %s", someNames(names))
	}
	var ssoLogin *sessioncache.SSOLoginError
	if errors.As(err, &ssoLogin) {
		return ssoLogin
	}
	if strings.Contains(err.Error(), "EC2 IMDS") {
		configFile, credentialsFile := sharedFiles()
		sc, lerr := config.LoadSharedConfigProfile(context.Background(), profile, func(o *config.LoadSharedConfigOptions) {
			o.ConfigFiles, o.CredentialsFiles = []string{configFile}, []string{credentialsFile}
		})
		if lerr == nil && sc.CredentialSource == "" {
			// The SDK's last resort, the instance role, is all that was
			// left: the profile gives no credentials.
			return fmt.Errorf("profile %s has no credentials: set aws_access_key_id and aws_secret_access_key, role_arn with source_profile or credential_source, sso_session, or credential_process in it (no instance role was found either)", g.quotedProfile())
		}
	}
	var loginSession *sessioncache.LoginSessionError
	if errors.As(err, &loginSession) {
		if loginSession.Profile == profile {
			return loginSession
		}
		return fmt.Errorf("profile %s takes its credentials from profile %q, which needs a new sign-in: %w", g.quotedProfile(), loginSession.Profile, loginSession)
	}
	var lockTimeout *sessioncache.LockTimeoutError
	if errors.As(err, &lockTimeout) {
		return lockTimeout
	}
	var noCode *sessioncache.MFACodeUnavailableError
	if errors.As(err, &noCode) && g.mfaToken == "-" {
		return fmt.Errorf("profile %s needs an MFA code for %s, but standard input holds none (--mfa-token - reads its first line)", g.quotedProfile(), noCode.Serial)
	}
	if errors.As(err, &noCode) && tty.Background() {
		return fmt.Errorf("profile %s needs an MFA code for %s, but it runs in a background job, which may not ask on the terminal: run it in the foreground, set mfa_process in the profile, or pass --mfa-token - with the code on standard input", g.quotedProfile(), noCode.Serial)
	}
	if errors.As(err, &noCode) {
		return fmt.Errorf("profile %s needs an MFA code for %s, but there is no terminal or dialog to ask: run it in a terminal, set mfa_process in the profile, or pass --mfa-token - with the code on standard input", g.quotedProfile(), noCode.Serial)
	}
	return unreachableError(err, g.quotedProfile())
}

// credentialsInEnv reports whether the environment says where to find
// credentials without a profile.
func credentialsInEnv() bool {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}
