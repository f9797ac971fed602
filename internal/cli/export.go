package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sessioncache/sessioncache/internal/pyjson"
	"github.com/spf13/cobra"
)

// exportFormats are the formats of `aws configure export-credentials`
// (AWS CLI v2), in the order its help lists them.
var exportFormats = []string{"process", "env", "env-no-export", "powershell", "windows-cmd", "fish"}

// exportChainEnv lists the profiles whose export is under way in this
// process's ancestors, so that a profile whose credential_process exports
// itself fails instead of starting processes without end.
const exportChainEnv = "SESSIONCACHE_EXPORT_CHAIN"

func newExportCommand(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "export [-p PROFILE] [--format FORMAT]",
		Short: "Print credentials as credential_process JSON or shell variables",
		Long: `Export prints the profile's credentials exactly as
'aws configure export-credentials' of AWS CLI v2 does, from the cache when
it holds a session that stays valid for 15 minutes, else from STS. The MFA
code comes from --mfa-token, the profile's mfa_process, the terminal or a
desktop dialog, and, when none of them has one, a line of standard input;
nothing but the credentials is written to standard output.

--min-remaining 2h refreshes the session first when less than two hours
are left (through the cache, so every program gets the new session).

Formats: process (the JSON credential_process expects), env,
env-no-export, powershell, windows-cmd and fish.

To make every SDK and tool share the cache, give them a profile such as

  [profile admin-shared]
  credential_process = sessioncache export --profile admin`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExport(cmd.Context(), g, format, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&format, "format", "process", "output `format`: "+strings.Join(exportFormats, ", "))
	addMinRemainingFlag(cmd, g)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(exportFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runExport(ctx context.Context, g *globals, format string, stdout io.Writer) error {
	if !slices.Contains(exportFormats, format) {
		return usageErrorf("unknown format %q: use one of %s", format, strings.Join(exportFormats, ", "))
	}
	// A credential_process has no other way to be given a code.
	g.codeFromStdin = true
	if err := g.checkMinRemaining(ctx); err != nil {
		return err
	}
	profile, _ := g.profileName()
	restore, err := enterExportChain(profile)
	if err != nil {
		return err
	}
	defer restore()
	creds, err := g.credentials(ctx)
	if err != nil {
		return err
	}
	if err := g.requireRemaining(creds); err != nil {
		return err
	}
	_, err = io.WriteString(stdout, formatCredentials(format, creds))
	return err
}

// enterExportChain adds profile to the chain of exports the process's
// children inherit, and refuses a profile already in it.
func enterExportChain(profile string) (restore func(), err error) {
	old, had := os.LookupEnv(exportChainEnv)
	var chain []string
	if old != "" {
		chain = strings.Split(old, ",")
	}
	if slices.Contains(chain, profile) {
		return nil, fmt.Errorf("profile %q gets its credentials from itself: %s -> %s (check its credential_process)", profile, strings.Join(chain, " -> "), profile)
	}
	// The SDK starts credential_process commands with this environment.
	if err := os.Setenv(exportChainEnv, strings.Join(append(chain, profile), ",")); err != nil {
		return nil, err
	}
	return func() {
		if had {
			os.Setenv(exportChainEnv, old)
		} else {
			os.Unsetenv(exportChainEnv)
		}
	}, nil
}

// envLineFormats are the lines that set a variable in each shell format,
// as `aws configure export-credentials` writes them.
var envLineFormats = map[string]string{
	"env":           "export %s=%s\n",
	"env-no-export": "%s=%s\n",
	"powershell":    "$Env:%s=\"%s\"\n",
	"windows-cmd":   "set %s=%s\n",
	"fish":          "set -gx %s \"%s\"\n",
}

// formatCredentials renders creds as `aws configure export-credentials
// --format format` does, byte for byte. Static keys have no session token
// and no expiration, and those lines are left out.
func formatCredentials(format string, c aws.Credentials) string {
	expiration := ""
	if c.CanExpire {
		expiration = isoformat(c.Expires)
	}
	if format == "process" {
		var b strings.Builder
		b.WriteString("{\n  \"Version\": 1")
		member := func(k, v string) {
			b.WriteString(",\n  ")
			pyjson.Quote(&b, k)
			b.WriteString(": ")
			pyjson.Quote(&b, v)
		}
		member("AccessKeyId", c.AccessKeyID)
		member("SecretAccessKey", c.SecretAccessKey)
		if c.SessionToken != "" {
			member("SessionToken", c.SessionToken)
		}
		if expiration != "" {
			member("Expiration", expiration)
		}
		b.WriteString("\n}\n")
		return b.String()
	}
	line := envLineFormats[format]
	var b strings.Builder
	fmt.Fprintf(&b, line, "AWS_ACCESS_KEY_ID", c.AccessKeyID)
	fmt.Fprintf(&b, line, "AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
	if c.SessionToken != "" {
		fmt.Fprintf(&b, line, "AWS_SESSION_TOKEN", c.SessionToken)
	}
	if expiration != "" {
		fmt.Fprintf(&b, line, "AWS_CREDENTIAL_EXPIRATION", expiration)
	}
	return b.String()
}

// isoformat writes t in UTC as Python's datetime.isoformat() writes the
// expiry botocore parses: "2023-01-01T18:18:38+00:00", with microseconds
// only when there are some.
func isoformat(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000") + "+00:00"
	}
	return t.Format("2006-01-02T15:04:05") + "+00:00"
}
