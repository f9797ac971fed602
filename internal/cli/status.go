package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/loginsession"
	"github.com/spf13/cobra"
)

func newStatusCommand(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [-p PROFILE] [--json]",
		Short: "Print how long the profile's cached session has left, for a shell prompt",
		Long: `Status prints the time the profile's cached session has left, such as
42m or 1h05m, and nothing when the cache holds no session for it (or the
profile uses keys that do not expire). For an 'aws login' session it is
the time its current access credentials have left (at most 15 minutes;
they are refreshed as they near it). It reads the profile's settings and
its one cache entry, and never calls STS or asks for a code, so it is fast
enough for a shell prompt. Without --profile it follows the SDK: keys in
the environment, as inside 'sessioncache exec', report their
AWS_CREDENTIAL_EXPIRATION.

--json prints the profile, whether a session is cached, its expiration and
the seconds left, for scripts.`,
		Example: `  # bash, in ~/.bashrc
  PS1='$(t=$(sessioncache status 2>/dev/null); [ -n "$t" ] && printf "[aws %s] " "$t")'"$PS1"

  # starship, in ~/.config/starship.toml
  [custom.aws_session]
  command = "sessioncache status"
  when = "test -n \"$AWS_PROFILE\""
  format = "[aws $output]($style) "`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStatus(cmd.Context(), g, asJSON, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts")
	return cmd
}

// sessionStatus is what status reports; its JSON form is --json's.
type sessionStatus struct {
	Profile string `json:"profile"`
	// Source is "cache" for a cached entry, "environment" for keys in
	// the environment, "login-session" for the access credentials of an
	// aws login session's token file.
	Source     string     `json:"source,omitempty"`
	Cached     bool       `json:"cached"`
	Expiration *time.Time `json:"expiration,omitempty"`
	// Remaining is the time left, as the plain output shows it.
	Remaining        string `json:"remaining,omitempty"`
	RemainingSeconds int64  `json:"remaining_seconds,omitempty"`
}

func runStatus(ctx context.Context, g *globals, asJSON bool, w io.Writer) error {
	st, err := g.sessionStatus(ctx, timeNow())
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	if st.Remaining == "" {
		return nil
	}
	_, err = fmt.Fprintln(w, st.Remaining)
	return err
}

// sessionStatus finds the selected profile's session from its settings
// and its one cache entry only: no SDK configuration is loaded, nothing is
// fetched, and an entry that cannot be used counts as none.
func (g *globals) sessionStatus(ctx context.Context, now time.Time) (sessionStatus, error) {
	profile, chosen := g.profileName()
	opts := g.loadOptions()
	st := sessionStatus{Profile: profile}
	if env, err := config.NewEnvConfig(); err == nil && g.profile == "" && env.Credentials.HasKeys() {
		// The environment's keys are the session; inside exec, they are
		// those of the profile it names.
		st.Profile = os.Getenv(markerEnv)
		if exp, err := sessioncache.ParseExpiration(os.Getenv("AWS_CREDENTIAL_EXPIRATION")); err == nil {
			st.Source = "environment"
			st.setExpiration(exp, now)
		}
		return st, nil
	}
	l := &sessioncache.Loader{CacheDir: g.cacheDir, Logger: g.debugLogger(), MFASession: g.mfaSession}
	entries, err := l.ProfileEntries(ctx, opts...)
	var missing config.SharedConfigProfileNotExistError
	if !chosen && errors.As(err, &missing) && missing.Profile == profile {
		// Nothing chose a profile and there is no default: no session.
		return st, nil
	}
	if err != nil {
		return st, g.explain(err)
	}
	if len(entries) == 0 {
		// A login session's own credentials are cached in its token file.
		if src, _, _, path, err := l.LoginSession(ctx, opts...); err == nil && src != "" {
			if tok, err := loginsession.Read(filepath.Dir(path), path); err == nil {
				st.Source = "login-session"
				st.setExpiration(tok.ExpiresAt, now)
			}
		}
		return st, nil
	}
	dir, err := g.cacheDirPath()
	if err != nil {
		return st, err
	}
	if err := checkCacheDir(dir); err != nil {
		return st, err
	}
	e, err := sessioncache.NewFileCache(dir).Get(entries[len(entries)-1].Key)
	switch {
	case errors.Is(err, sessioncache.ErrNotCached):
		return st, nil
	case err != nil:
		g.logger().Debug("cache entry not usable", "error", err.Error())
		return st, nil
	}
	st.Source = "cache"
	st.setExpiration(e.Credentials.Expiration, now)
	return st, nil
}

// setExpiration records a session that expires at exp; one already
// expired counts as none.
func (st *sessionStatus) setExpiration(exp, now time.Time) {
	left := exp.Sub(now)
	if left <= 0 {
		st.Source = ""
		return
	}
	exp = exp.UTC()
	st.Cached = st.Source == "cache"
	st.Expiration = &exp
	st.Remaining = shortDuration(left)
	st.RemainingSeconds = int64(left / time.Second)
}
