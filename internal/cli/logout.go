package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
	"github.com/spf13/cobra"
)

func newLogoutCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [-p PROFILE]",
		Short: "Remove the profile's SSO or login session token and the role credentials cached from it",
		Long: `Logout ends the session of the SSO token of the profile's sso_session
(or legacy start URL) at the portal and removes the token from
~/.aws/sso/cache, and, as 'aws sso logout' does, the role credentials
cached from it: those of every profile that uses the same sso_session or
start URL. For a profile with login_session (or a role on top of one), it
removes the session's token from ~/.aws/login/cache and the role
credentials cached from that session.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLogout(cmd.Context(), g, cmd.OutOrStdout())
		},
	}
}

func runLogout(ctx context.Context, g *globals, stdout io.Writer) error {
	if handled, err := runLoginSessionLogout(ctx, g, stdout); handled {
		return err
	}
	ts, s, err := g.ssoTokenSource(ctx)
	if err != nil {
		return err
	}
	_, statErr := os.Stat(ts.Path())
	hadToken := statErr == nil
	if err := ts.Logout(ctx); err != nil {
		return err
	}
	dir, err := g.cacheDirPath()
	if err != nil {
		return err
	}
	cache := sessioncache.NewFileCache(dir, func(o *sessioncache.FileCacheOptions) {
		o.LockTimeout, o.OnWait = g.lockTimeout, g.onWait
	})
	names, err := profileNames()
	if err != nil {
		return err
	}
	configFile, credentialsFile := sharedFiles()
	removed := 0
	for _, name := range names {
		sc, err := config.LoadSharedConfigProfile(ctx, name, func(o *config.LoadSharedConfigOptions) {
			o.ConfigFiles, o.CredentialsFiles = []string{configFile}, []string{credentialsFile}
		})
		if err != nil || sc.SSOAccountID == "" || sc.SSORoleName == "" {
			continue
		}
		in := sessioncache.SSOKeyInput{AccountID: sc.SSOAccountID, RoleName: sc.SSORoleName}
		switch {
		case s.Name != "" && sc.SSOSessionName == s.Name:
			in.SessionName = s.Name
		case s.Name == "" && sc.SSOSessionName == "" && sc.SSOStartURL == s.StartURL:
			in.StartURL = s.StartURL
		default:
			continue
		}
		// Under the entry's lock: a process refreshing it meanwhile, with
		// the token it read before it was removed, writes first and its
		// entry goes too. One that starts later finds no token.
		gone, err := cache.DeleteIf(ctx, sessioncache.SSOKey(in), removeAny)
		if err != nil {
			return err
		}
		if gone {
			removed++
		}
	}
	_, err = fmt.Fprintln(stdout, logoutSummary(s.StartURL, hadToken, removed))
	return err
}

// removeAny decides that an entry goes, damaged or not.
func removeAny(*sessioncache.Entry, error) bool { return true }

// logoutSummary says what logout removed, and that nothing was when
// nothing was.
func logoutSummary(startURL string, hadToken bool, removed int) string {
	creds := plural(removed, "cached role credential", "cached role credentials")
	switch {
	case hadToken:
		return fmt.Sprintf("Signed out of %s: removed the SSO token and %s", startURL, creds)
	case removed > 0:
		return fmt.Sprintf("Signed out of %s: removed %s (there was no SSO token)", startURL, creds)
	}
	return fmt.Sprintf("Not signed in to %s: there was no SSO token and no cached role credential to remove", startURL)
}
