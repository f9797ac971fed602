package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/safefile"
	"github.com/spf13/cobra"
)

func newClearCommand(g *globals) *cobra.Command {
	var expired, all bool
	cmd := &cobra.Command{
		Use:   "clear (-p PROFILE | --expired | --all)",
		Short: "Remove cached sessions",
		Long: `Clear removes entries of the credential cache and says which: those a
profile uses (every hop of its role chain) with -p, those past their
expiration with --expired, or every entry with --all. Only files it can
prove are cache entries go: a 40-hex-digit name with .json, holding the
botocore Credentials shape, and not writable by others; with them, their
lock files. Other files, directories and links stay, and clear says which
it left, so a mistaken --cache-dir costs nothing.`,
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
	now := timeNow()
	var keep func(sessioncache.ListedEntry) bool
	if sel.expired {
		keep = func(le sessioncache.ListedEntry) bool {
			return le.Entry != nil && !le.Entry.Credentials.Expiration.After(now)
		}
	}
	rows, err := cacheRowsOf(ctx, g, dir, now, keep)
	if err != nil {
		return err
	}
	testHookAfterRows()
	cache := sessioncache.NewFileCache(dir, func(o *sessioncache.FileCacheOptions) {
		o.LockTimeout, o.OnWait = g.lockTimeout, g.onWait
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	removed, left, busy := 0, 0, 0
	for _, r := range rows {
		switch {
		case sel.profile != "" && !keys[r.Key]:
			continue
		case sel.expired && r.State != stateExpired:
			continue
		}
		// Decided again under the lock, from the file as it is then: a
		// process may have refreshed the entry since the rows were read.
		ok, err := false, error(nil)
		if isCacheKey(r.Key) {
			ok, err = cache.DeleteIf(ctx, r.Key, clearable(cache, r.Key, sel.expired))
		}
		var timeout *sessioncache.LockTimeoutError
		switch {
		case errors.Is(err, sessioncache.ErrUntrustedEntry):
			r.Problem = message(err)
		case errors.As(err, &timeout):
			// Another process holds it (a refresh waiting for a code):
			// the others go all the same.
			busy++
			fmt.Fprintf(tw, "left\t%s\t%s\t(in use by %s)\n", profilesText(r), filepath.Base(r.File), timeout.Holder)
			continue
		case err != nil:
			tw.Flush()
			return err
		case ok:
			removed++
			fmt.Fprintf(tw, "removed\t%s\t%s\t(%s)\n", profilesText(r), dash(r.ARN), rowStatus(r))
			continue
		}
		if r.State == stateDamaged || r.State == stateUntrusted {
			// Named as an entry, but not provably one: another program's
			// file, or one planted.
			left++
			fmt.Fprintf(tw, "left\t%s\t%s\t(%s: %s)\n", profilesText(r), filepath.Base(r.File), r.State, r.Problem)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var others []string
	if sel.all {
		if others, err = clearLocks(ctx, cache); err != nil {
			return err
		}
		others = slices.DeleteFunc(others, func(name string) bool {
			return slices.ContainsFunc(rows, func(r listRow) bool {
				return r.Key+".json" == name && (r.State == stateDamaged || r.State == stateUntrusted)
			})
		})
	}
	switch {
	case removed > 0:
		_, err = fmt.Fprintf(w, "Removed %s from %s.\n", plural(removed, "cache entry", "cache entries"), dir)
	case sel.profile != "":
		_, err = fmt.Fprintf(w, "No cache entries for profile %s in %s.\n", sel.profile, dir)
	case sel.expired:
		_, err = fmt.Fprintf(w, "No expired cache entries in %s.\n", dir)
	default:
		_, err = fmt.Fprintf(w, "No cache entries in %s.\n", dir)
	}
	if err != nil {
		return err
	}
	if left > 0 {
		_, err = fmt.Fprintf(w, "Left %s named like a cache entry but not provably one (above): remove %s yourself if %s yours.\n",
			plural(left, "file", "files"), map[bool]string{true: "it", false: "them"}[left == 1], map[bool]string{true: "it is", false: "they are"}[left == 1])
	}
	if err == nil && len(others) > 0 {
		what := "that are not cache entries"
		if len(others) == 1 {
			what = "that is not a cache entry"
		}
		_, err = fmt.Fprintf(w, "Left %s %s: %s.\n", plural(len(others), "other file", "other files"), what, namesText(others, 5))
	}
	if err == nil && busy > 0 {
		err = fmt.Errorf("left %s that another process holds (above): let it finish, then run clear again", plural(busy, "cache entry", "cache entries"))
	}
	return err
}

// clearable decides, under the entry's lock, whether clear removes the
// file of key: only an entry it can prove is one, a file named as a key
// that holds the botocore Credentials shape, trusted; with expired, only
// one past its expiration.
func clearable(cache *sessioncache.FileCache, key string, expired bool) func(*sessioncache.Entry, error) bool {
	return func(e *sessioncache.Entry, err error) bool {
		switch {
		case expired:
			return err == nil && !e.Credentials.Expiration.After(timeNow())
		case err == nil:
			return true
		case errors.Is(err, sessioncache.ErrDamagedEntry):
			return credentialsShaped(cache.Path(key))
		}
		return false
	}
}

// credentialsShaped reports whether the file at path, which is not an
// entry sessioncache can use, holds a JSON object with a Credentials
// object that has an AccessKeyId: a cache entry all the same, say one
// without an expiration.
func credentialsShaped(path string) bool {
	data, _, err := safefile.ReadFileIn(path, maxClearRead)
	if err != nil {
		return false
	}
	var top struct {
		Credentials map[string]json.RawMessage
	}
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	_, ok := top.Credentials["AccessKeyId"]
	return ok
}

// maxClearRead bounds what clear reads of a file to decide: an entry is a
// few kilobytes.
const maxClearRead = 1 << 20

// clearLocks removes, each under itself, the lock files of keys whose
// entry is gone, and returns the names of the files and directories left
// in the cache directory.
func clearLocks(ctx context.Context, cache *sessioncache.FileCache) ([]string, error) {
	dirents, err := os.ReadDir(cache.Dir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", cache.Dir(), err)
	}
	var others []string
	for _, d := range dirents {
		key, ok := strings.CutSuffix(d.Name(), ".lock")
		if ok && isCacheKey(key) && d.Type().IsRegular() {
			if _, err := os.Lstat(cache.Path(key)); errors.Is(err, fs.ErrNotExist) {
				// DeleteIf finds no entry, and removes the lock file.
				var timeout *sessioncache.LockTimeoutError
				if _, err := cache.DeleteIf(ctx, key, clearable(cache, key, false)); err == nil || errors.As(err, &timeout) {
					continue // gone, or the lock of an entry being fetched now
				}
			} else {
				continue // the lock of an entry that stays
			}
		}
		others = append(others, d.Name())
	}
	return others, nil
}

// namesText lists up to n names, then says how many more.
func namesText(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
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
