package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
	"github.com/spf13/cobra"
)

// maxSession is the longest session STS gives: GetSessionToken's 36
// hours (AssumeRole and SSO give at most 12).
const maxSession = 36 * time.Hour

// addMinRemainingFlag binds --min-remaining, shared by exec and export.
func addMinRemainingFlag(cmd *cobra.Command, g *globals) {
	cmd.Flags().DurationVar(&g.minRemaining, "min-remaining", 0,
		"refresh the session first when less than this `duration` is left (such as 45m or 2h)")
}

// checkMinRemaining refuses a --min-remaining no session can meet, before
// any prompt.
func (g *globals) checkMinRemaining(ctx context.Context) error {
	switch {
	case g.minRemaining < 0:
		return usageErrorf("--min-remaining %s is negative", g.minRemaining)
	case g.minRemaining > maxSession:
		return usageErrorf("--min-remaining %s is longer than any AWS session lasts (AssumeRole and SSO give at most 12h, GetSessionToken 36h)", g.minRemaining)
	case g.minRemaining == 0:
		return nil
	}
	// A new session has a little less than its length left by the time it
	// is checked, so asking for all of it would always fail.
	if limit, why := g.roleSessionLength(ctx); limit > 0 && g.minRemaining >= limit {
		return usageErrorf("profile %s: --min-remaining %s is not less than a new session lasts (%s, %s): raise duration_seconds, up to the role's maximum session duration, or ask for less",
			g.quotedProfile(), g.minRemaining, shortDuration(limit), why)
	}
	return nil
}

// roleSessionLength returns how long a new session of the selected
// profile's role lasts, as its settings say, and why; zero when they do
// not say (no role, or errors the command reports later).
func (g *globals) roleSessionLength(ctx context.Context) (time.Duration, string) {
	l := &sessioncache.Loader{CacheDir: g.cacheDir, MFASession: g.mfaSession}
	entries, err := l.ProfileEntries(ctx, g.loadOptions()...)
	if err != nil || len(entries) == 0 {
		return 0, ""
	}
	last := entries[len(entries)-1]
	if last.Kind != sessioncache.KindAssumeRole || last.Profile == "" {
		return 0, ""
	}
	configFile, credentialsFile := sharedFiles()
	sc, err := config.LoadSharedConfigProfile(ctx, last.Profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles, o.CredentialsFiles = []string{configFile}, []string{credentialsFile}
	})
	switch {
	case err != nil:
		return 0, ""
	case sc.RoleDurationSeconds != nil && *sc.RoleDurationSeconds > 0:
		return *sc.RoleDurationSeconds, "its duration_seconds"
	}
	return time.Hour, "duration_seconds is not set"
}

// requireRemaining reports credentials that, even just refreshed, leave
// less than --min-remaining: the role gives no longer sessions.
func (g *globals) requireRemaining(creds aws.Credentials) error {
	if g.minRemaining <= 0 || !creds.CanExpire {
		return nil
	}
	left := creds.Expires.Sub(timeNow())
	if left >= g.minRemaining {
		return nil
	}
	return fmt.Errorf("profile %s: the credentials have %s left, less than --min-remaining %s, even when just fetched: "+
		"a role session lasts the profile's duration_seconds (1h when unset), at most the role's maximum session duration, and 1h for a role assumed with another role's session; "+
		"raise duration_seconds, or ask for less", g.quotedProfile(), shortDuration(left), g.minRemaining)
}
