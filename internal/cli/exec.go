package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"
)

// markerEnv is set in the environment of commands that exec runs, to the
// profile whose credentials they hold.
const markerEnv = "SESSIONCACHE_PROFILE"

// exitNotFound and exitCannotRun are the statuses shells use for a command
// that is not found and one that cannot be run.
const (
	exitNotFound  = 127
	exitCannotRun = 126
)

// credentialEnv are the variables that would compete with the credentials
// exec sets, or say where else to find credentials. Names ending in "*"
// are prefixes.
var credentialEnv = []string{
	"AWS_PROFILE",
	"AWS_DEFAULT_PROFILE",
	"AWS_ACCESS_KEY_ID",
	"AWS_ACCESS_KEY",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SECRET_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION",
	"AWS_ACCOUNT_ID",
	"AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_ROLE_ARN",
	"AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_*",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN*",
	markerEnv,
}

func newExecCommand(g *globals) *cobra.Command {
	var server bool
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "exec [-p PROFILE] -- COMMAND [ARGS...]",
		Short: "Run a command with the profile's credentials in its environment",
		Long: `Exec runs COMMAND with the profile's credentials in AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION, and
its region in AWS_REGION and AWS_DEFAULT_REGION. Variables that would
override them, such as AWS_PROFILE, are removed, and SESSIONCACHE_PROFILE
names the profile. With no command, it runs $SHELL.

The credentials are those of the moment: they are not refreshed while the
command runs. --min-remaining 2h refreshes the session first when less
than two hours are left, so that a long command does not lose its
credentials half-way. The exit status is the command's.

With --server, the command gets no keys: a credential server on
127.0.0.1 (a free port) serves them, and AWS_CONTAINER_CREDENTIALS_FULL_URI
and AWS_CONTAINER_AUTHORIZATION_TOKEN point the command's SDKs at it, so
they fetch fresh credentials before theirs expire, however long the
command runs. The command runs as a child: SIGINT, SIGTERM and SIGHUP are
passed on, and the server stops when it exits. On Linux and FreeBSD the
command is killed if sessioncache is (even with SIGKILL); elsewhere it
would live on with a URL that no longer answers.`,
		Example: "  sessioncache exec -p admin -- aws s3 ls\n  sessioncache exec -p admin -- terraform plan\n  sessioncache exec --server -p admin -- terraform apply",
		RunE: func(cmd *cobra.Command, args []string) error {
			if !server && serverFlagsChanged(cmd) {
				return usageErrorf("--addr, --allow-non-loopback and --chain-mfa-session go with --server")
			}
			return runExec(cmd.Context(), g, args, server, f)
		},
	}
	// Everything after the command's name is the command's.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVar(&server, "server", false, "serve the credentials to the command on a local port, refreshed before they expire, instead of setting them in its environment")
	f.register(cmd.Flags())
	addMinRemainingFlag(cmd, g)
	return cmd
}

// serverFlagsChanged reports whether a flag of --server was given.
func serverFlagsChanged(cmd *cobra.Command) bool {
	for _, name := range []string{"addr", "allow-non-loopback", "chain-mfa-session"} {
		if cmd.Flags().Changed(name) {
			return true
		}
	}
	return false
}

func runExec(ctx context.Context, g *globals, argv []string, server bool, f serverFlags) error {
	if p := os.Getenv(markerEnv); p != "" {
		return fmt.Errorf("already inside `sessioncache exec` for profile %q: leave that shell (exit) before running exec again", p)
	}
	if len(argv) == 0 {
		argv = []string{defaultShell()}
	}
	if g.profile == "" {
		if err := profileNotCommand(argv); err != nil {
			return err
		}
	}
	if server {
		if g.minRemaining != 0 {
			return usageErrorf("--min-remaining does not go with --server: the server refreshes the credentials before they expire, however long the command runs")
		}
		return runExecServer(ctx, g, f, argv)
	}
	if err := g.checkMinRemaining(ctx); err != nil {
		return err
	}
	creds, cfg, err := g.retrieve(ctx)
	if err != nil {
		return err
	}
	if err := g.requireRemaining(creds); err != nil {
		return err
	}
	profile, _ := g.profileName()
	env := execEnv(os.Environ(), creds, cfg.Region, profile)
	g.logger().Debug("running command", "command", argv[0], "profile", profile, "expires", creds.Expires)
	return runCommand(argv, env, g)
}

// profileNotCommand catches aws-vault's habit, `exec admin -- cmd`: a
// first argument that is no command but is a profile gets a usage error
// that shows the command meant, before any prompt.
func profileNotCommand(argv []string) error {
	if _, err := exec.LookPath(argv[0]); !errors.Is(err, exec.ErrNotFound) {
		return nil
	}
	names, _ := profileNames()
	if !slices.Contains(names, argv[0]) {
		return nil
	}
	rest := argv[1:]
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	meant := "sessioncache exec -p " + argv[0]
	if len(rest) > 0 {
		meant += " -- " + strings.Join(rest, " ")
	}
	return usageErrorf("exec: %q is a profile, not a command; did you mean: %s", argv[0], meant)
}

// execEnv returns base without the variables of credentialEnv, and with
// the credentials, the region when there is one, and the marker.
func execEnv(base []string, c aws.Credentials, region, profile string) []string {
	env := append(cleanEnv(base, region),
		"AWS_ACCESS_KEY_ID="+c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey,
	)
	if c.SessionToken != "" {
		env = append(env, "AWS_SESSION_TOKEN="+c.SessionToken)
	}
	if c.CanExpire {
		// The form `export --format env` writes, as the AWS CLI does.
		env = append(env, "AWS_CREDENTIAL_EXPIRATION="+isoformat(c.Expires))
	}
	return appendRegionAndMarker(env, region, profile)
}

// cleanEnv returns base without the variables of credentialEnv, and
// without the region variables when there is a region to set.
func cleanEnv(base []string, region string) []string {
	env := make([]string, 0, len(base)+8)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if isCredentialEnv(name) || (region != "" && (envNameEqual(name, "AWS_REGION") || envNameEqual(name, "AWS_DEFAULT_REGION"))) {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// appendRegionAndMarker adds the region, when there is one, and the
// marker to env.
func appendRegionAndMarker(env []string, region, profile string) []string {
	if region != "" {
		env = append(env, "AWS_REGION="+region, "AWS_DEFAULT_REGION="+region)
	}
	return append(env, markerEnv+"="+profile)
}

func isCredentialEnv(name string) bool {
	for _, c := range credentialEnv {
		if prefix, ok := strings.CutSuffix(c, "*"); ok {
			if len(name) >= len(prefix) && envNameEqual(name[:len(prefix)], prefix) {
				return true
			}
		} else if envNameEqual(name, c) {
			return true
		}
	}
	return false
}

// envNameEqual compares variable names as the system does: without regard
// to case on Windows.
func envNameEqual(a, b string) bool {
	if runtime.GOOS == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// lookCommand finds the command to run, and fails with the status a shell
// gives when it cannot.
func lookCommand(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", &statusError{code: exitNotFound, err: fmt.Errorf("exec: %s: command not found (exit status %d)", name, exitNotFound)}
		}
		return "", &statusError{code: exitCannotRun, err: fmt.Errorf("exec: %w", err)}
	}
	return path, nil
}

// childCommand is the command to run as a child, on the streams exec was
// given.
func childCommand(path string, argv, env []string, g *globals) *exec.Cmd {
	cmd := exec.Command(path, argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = g.stdin, g.stdout, g.stderr
	return cmd
}

func defaultShell() string {
	if runtime.GOOS == "windows" {
		if s := os.Getenv("COMSPEC"); s != "" {
			return s
		}
		return "cmd.exe"
	}
	if s := os.Getenv("SHELL"); s != "" {
		return s
	}
	return "/bin/sh"
}
