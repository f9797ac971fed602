package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sessioncache/sessioncache"
	"github.com/spf13/cobra"
)

// timeNow is a variable so that tests can move the clock.
var timeNow = time.Now

// The states of a cache entry.
const (
	stateValid     = "valid"
	stateSoon      = "refreshes soon"
	stateExpired   = "expired"
	stateDamaged   = "damaged"
	stateUntrusted = "untrusted"
)

func newListCommand(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [-p PROFILE] [--json]",
		Short: "List the cached sessions, without their secrets",
		Long: `List shows one row per entry of the credential cache: the profiles of
the shared config whose entry it is, the kind of credentials, the role
session's ARN, the account, when it expires, and its state:

  valid           used as it is
  refreshes soon  fewer than 15 minutes left: the next use calls STS
  expired         past its expiration
  damaged         not an entry the AWS CLI or sessioncache can read
  untrusted       writable by others or not owned by you: never used

Profiles with login_session add a row for their aws login token file
(kind login-session), whose access credentials are refreshed when 5
minutes or fewer are left. With -p, only the entries that profile uses
are shown, every hop of its role chain. No secret is shown. --json
prints the same as an array of objects.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runList(cmd.Context(), g, asJSON, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts")
	return cmd
}

func runList(ctx context.Context, g *globals, asJSON bool, w io.Writer) error {
	dir, err := g.cacheDirPath()
	if err != nil {
		return err
	}
	rows, err := cacheRows(ctx, g, dir, timeNow())
	if err != nil {
		return err
	}
	profile := ""
	if g.profileFlag {
		profile, _ = g.profileName()
		keys, err := profileKeys(ctx, g, dir, profile)
		if err != nil {
			return err
		}
		rows = slices.DeleteFunc(rows, func(r listRow) bool { return !keys[r.Key] })
	}
	if lr := loginRows(ctx, g, profile, timeNow()); len(lr) > 0 {
		rows = append(lr, rows...)
	}
	if asJSON {
		return writeRowsJSON(w, rows)
	}
	if len(rows) == 0 && profile != "" {
		_, err := fmt.Fprintf(w, "No cached credentials of profile %s in %s.\n", profile, dir)
		return err
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintf(w, "No cached credentials in %s.\n", dir)
		return err
	}
	return writeRowsTable(w, rows)
}

// listRow is one entry of the cache as list shows it. Its JSON field names
// are part of the command's interface.
type listRow struct {
	Key              string   `json:"key"`
	File             string   `json:"file"`
	Profiles         []string `json:"profiles"`
	Kind             string   `json:"kind"`
	ARN              string   `json:"arn"`
	Account          string   `json:"account"`
	AccessKeyID      string   `json:"access_key_id"`
	Expires          *string  `json:"expires"`
	ExpiresInSeconds *int64   `json:"expires_in_seconds"`
	State            string   `json:"state"`
	Problem          string   `json:"problem"`

	// expires is the expiry for the table, "" when unknown; left is the
	// time left until then.
	expires string
	left    time.Duration
}

// cacheRows returns a row for every entry of the cache in dir, as of now.
func cacheRows(ctx context.Context, g *globals, dir string, now time.Time) ([]listRow, error) {
	return cacheRowsOf(ctx, g, dir, now, nil)
}

// cacheRowsOf is cacheRows for only the entries keep, when not nil,
// selects. The profiles are resolved only when one is selected: clear
// --expired over a large cache with nothing expired reads no config.
func cacheRowsOf(ctx context.Context, g *globals, dir string, now time.Time, keep func(sessioncache.ListedEntry) bool) ([]listRow, error) {
	logger := g.debugLogger()
	cache := sessioncache.NewFileCache(dir, func(o *sessioncache.FileCacheOptions) { o.Logger = logger })
	entries, err := cache.List()
	if err != nil {
		return nil, cacheDirError(dir, err)
	}
	if keep != nil {
		entries = slices.DeleteFunc(entries, func(le sessioncache.ListedEntry) bool { return !keep(le) })
		if len(entries) == 0 {
			return nil, nil
		}
	}
	owners := keyOwners(ctx, g, dir)
	rows := make([]listRow, 0, len(entries))
	for _, le := range entries {
		if errors.Is(le.Err, sessioncache.ErrDamagedEntry) && owners[le.Key] == nil && !isCacheKey(le.Key) {
			// Not damaged: never an entry. --cache-dir may name a
			// directory that holds other files too. One that others
			// can write is still shown.
			continue
		}
		rows = append(rows, newRow(cache, le, owners[le.Key], now))
	}
	// People look for their profile: entries of profiles first, by name,
	// then the others by key.
	slices.SortStableFunc(rows, func(a, b listRow) int {
		switch {
		case len(a.Profiles) == 0 || len(b.Profiles) == 0:
			return len(b.Profiles) - len(a.Profiles)
		}
		return strings.Compare(a.Profiles[0], b.Profiles[0])
	})
	return rows, nil
}

// cacheDirError says that the cache directory cannot be read, and what to
// do; list and status say it alike.
func cacheDirError(dir string, err error) error {
	reason := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		reason = pe.Op + ": " + pe.Err.Error()
	}
	return fmt.Errorf("cannot read the cache directory %s (%s): make it a directory you own and can read and write, or pass --cache-dir (or set SESSIONCACHE_DIR) to another", dir, reason)
}

// checkCacheDir returns cacheDirError when dir exists but cannot be read.
func checkCacheDir(dir string) error {
	if _, err := os.ReadDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return cacheDirError(dir, err)
	}
	return nil
}

// isCacheKey reports whether key has the form of the keys the AWS CLI and
// sessioncache write: the SHA-1 of the request, in lower-case hex.
func isCacheKey(key string) bool {
	if len(key) != 40 {
		return false
	}
	for _, c := range key {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func newRow(cache *sessioncache.FileCache, le sessioncache.ListedEntry, owners []sessioncache.ProfileEntry, now time.Time) listRow {
	r := listRow{Key: le.Key, File: cache.Path(le.Key), Profiles: []string{}}
	for _, o := range owners {
		r.Profiles = append(r.Profiles, o.Profile)
		r.Kind, r.ARN = o.Kind, o.RoleARN
	}
	if le.Err != nil {
		r.State = stateDamaged
		if errors.Is(le.Err, sessioncache.ErrUntrustedEntry) {
			r.State = stateUntrusted
		}
		r.Problem = message(le.Err)
		return r
	}
	e := le.Entry
	r.Kind = entryKind(e, r.Kind)
	if u := e.AssumedRoleUser; u != nil && u.ARN != "" {
		r.ARN = u.ARN
	}
	r.Account = e.Credentials.AccountID
	if r.Account == "" {
		r.Account = arnAccount(r.ARN)
	}
	r.AccessKeyID = maskKeyID(e.Credentials.AccessKeyID)
	r.setExpiry(e.Credentials.Expiration, now, e.ExpiresWithin(now, sessioncache.DefaultExpiryWindow))
	return r
}

// setExpiry sets the row's expiry and state; soon is whether the next
// use refreshes the credentials.
func (r *listRow) setExpiry(exp, now time.Time, soon bool) {
	exp = exp.UTC()
	left := exp.Sub(now)
	abs := exp.Format(time.RFC3339)
	secs := int64(left / time.Second)
	r.Expires, r.ExpiresInSeconds = &abs, &secs
	r.expires = abs + " (" + relative(left) + ")"
	r.left = left
	switch {
	case left <= 0:
		r.State = stateExpired
	case soon:
		r.State = stateSoon
	default:
		r.State = stateValid
	}
}

// keyOwners maps each cache key to the profiles, among those the shared
// files define, whose settings make it. Two profiles with the same role
// settings share a key, and both are named.
func keyOwners(ctx context.Context, g *globals, dir string) map[string][]sessioncache.ProfileEntry {
	logger := g.debugLogger()
	l := &sessioncache.Loader{CacheDir: dir, Logger: logger, MFASession: g.mfaSession}
	all, err := l.AllProfileEntries(ctx)
	if err != nil && logger != nil {
		logger.Debug("cannot read the profiles", "error", err.Error())
	}
	owners := make(map[string][]sessioncache.ProfileEntry)
	for _, pes := range all {
		for _, pe := range pes {
			if pe.Profile == "" {
				continue // a web identity of the environment
			}
			if !slices.ContainsFunc(owners[pe.Key], func(o sessioncache.ProfileEntry) bool { return o.Profile == pe.Profile }) {
				owners[pe.Key] = append(owners[pe.Key], pe)
			}
		}
	}
	for k := range owners {
		slices.SortFunc(owners[k], func(a, b sessioncache.ProfileEntry) int { return strings.Compare(a.Profile, b.Profile) })
	}
	return owners
}

// entryKind names the kind of credentials of an entry that no profile
// claims by the shape of the entry: the AWS CLI's SSO entries say so, its
// role entries name the role session, and only MFA sessions do neither.
func entryKind(e *sessioncache.Entry, known string) string {
	switch {
	case known != "":
		return known
	case e.ProviderType == "sso":
		return sessioncache.KindSSO
	case e.ProviderType != "":
		return e.ProviderType
	case e.AssumedRoleUser != nil:
		return sessioncache.KindAssumeRole
	}
	return sessioncache.KindMFASession
}

// arnAccount returns the account field of an ARN.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// maskKeyID shows an access key id as people recognise it, ASIA…WXYZ,
// without all of it.
func maskKeyID(id string) string {
	if len(id) < 12 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + "…" + id[len(id)-4:]
}

// relative says how far a moment is from now: "in 42m", "3h ago".
func relative(d time.Duration) string {
	if d < 0 {
		return shortDuration(-d) + " ago"
	}
	return "in " + shortDuration(d)
}

func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d < 48*time.Hour:
		h, m := d/time.Hour, d%time.Hour/time.Minute
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	return fmt.Sprintf("%dd", d/(24*time.Hour))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func profilesText(r listRow) string {
	if len(r.Profiles) == 0 {
		return "-"
	}
	return strings.Join(r.Profiles, ",")
}

func writeRowsTable(out io.Writer, rows []listRow) error {
	// tabwriter writes cell by cell: one system call each, unbuffered.
	w := bufio.NewWriter(out)
	if err := writeRowsTo(w, rows); err != nil {
		return err
	}
	return w.Flush()
}

func writeRowsTo(w io.Writer, rows []listRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tKIND\tARN\tACCOUNT\tEXPIRES\tSTATE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", profilesText(r), dash(r.Kind), dash(r.ARN), dash(r.Account), dash(r.expires), r.State)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Each problem names its file and says what to do.
	first := true
	for _, r := range rows {
		if r.Problem == "" {
			continue
		}
		if first {
			fmt.Fprintln(w)
			first = false
		}
		if _, err := fmt.Fprintf(w, "%s: %s\n", r.State, r.Problem); err != nil {
			return err
		}
	}
	return nil
}

func writeRowsJSON(w io.Writer, rows []listRow) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rows)
}
