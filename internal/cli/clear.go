package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
	"github.com/spf13/cobra"
)

func newClearCommand(g *globals) *cobra.Command {
	var expired, all bool
	cmd := &cobra.Command{
		Use:   "clear (-p PROFILE | --expired | --all)",
		Short: "Remove cached sessions",
		Long: `Clear removes entries of the credential cache and says which: those a
profile uses (every hop of its role chain) with -p, those past their
expiration with --expired, or every entry with --all. Only entries
(<key>.json files) are removed, never other files.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sel := clearSelector{expired: expired, all: all}
			if g.profileFlag {
				sel.profile, _ = g.profileName()
			}
			return runClear(cmd.Context(), g, sel, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&expired, "expired", false, "remove the entries past their expiration")
	cmd.Flags().BoolVar(&all, "all", false, "remove every entry")
	return cmd
}

// clearSelector says which entries clear removes; exactly one field is set.
type clearSelector struct {
	profile string
	expired bool
	all     bool
}

func runClear(ctx context.Context, g *globals, sel clearSelector, w io.Writer) error {
	n := 0
	for _, set := range []bool{sel.profile != "", sel.expired, sel.all} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return usageErrorf("say what to remove: -p PROFILE, --expired or --all")
	case n > 1:
		return usageErrorf("-p, --expired and --all cannot be combined")
	}
	dir, err := g.cacheDirPath()
	if err != nil {
		return err
	}
	var keys map[string]bool
	if sel.profile != "" {
		if keys, err = profileKeys(ctx, g, dir, sel.profile); err != nil {
			return err
		}
	}
	rows, err := cacheRows(ctx, g, dir, timeNow())
	if err != nil {
		return err
	}
	testHookAfterRows()
	cache := sessioncache.NewFileCache(dir, func(o *sessioncache.FileCacheOptions) { o.LockTimeout = g.lockTimeout })
	var stillExpired func(*sessioncache.Entry, error) bool
	if sel.expired {
		// Decided again under the lock: a process may have refreshed
		// the entry since the rows were read.
		stillExpired = func(e *sessioncache.Entry, err error) bool {
			return err == nil && !e.Credentials.Expiration.After(timeNow())
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	removed := 0
	for _, r := range rows {
		switch {
		case sel.profile != "" && !keys[r.Key]:
			continue
		case sel.expired && r.State != stateExpired:
			continue
		}
		ok, err := cache.DeleteIf(ctx, r.Key, stillExpired)
		if err != nil {
			tw.Flush()
			return err
		}
		if !ok {
			continue // removed or refreshed meanwhile
		}
		removed++
		fmt.Fprintf(tw, "removed\t%s\t%s\t(%s)\n", profilesText(r), dash(r.ARN), rowStatus(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case removed > 0:
		_, err = fmt.Fprintf(w, "%s removed from %s\n", plural(removed, "entry", "entries"), dir)
	case sel.profile != "":
		_, err = fmt.Fprintf(w, "No cache entries for profile %s in %s.\n", sel.profile, dir)
	case sel.expired:
		_, err = fmt.Fprintf(w, "No expired cache entries in %s.\n", dir)
	default:
		_, err = fmt.Fprintf(w, "No cache entries in %s.\n", dir)
	}
	return err
}

// profileKeys returns the keys of the entries a profile uses, every hop
// of its chain.
func profileKeys(ctx context.Context, g *globals, dir, profile string) (map[string]bool, error) {
	l := &sessioncache.Loader{CacheDir: dir, Logger: g.logger(), MFASession: g.mfaSession}
	pes, err := l.ProfileEntries(ctx, config.WithSharedConfigProfile(profile))
	if err != nil {
		return nil, g.explain(err)
	}
	keys := make(map[string]bool)
	for _, pe := range pes {
		keys[pe.Key] = true
	}
	return keys, nil
}

// testHookAfterRows is called when clear has read the cache, before it
// removes anything, so that tests can race it.
var testHookAfterRows = func() {}

// rowStatus is a row's state with its expiry: "expired 3h ago",
// "valid, expires in 42m".
func rowStatus(r listRow) string {
	switch {
	case r.ExpiresInSeconds == nil:
		return r.State
	case r.State == stateExpired:
		return r.State + " " + relative(r.left)
	}
	return r.State + ", expires " + relative(r.left)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
