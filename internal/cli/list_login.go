package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/awsini"
	"github.com/sessioncache/sessioncache/internal/loginsession"
	"github.com/sessioncache/sessioncache/internal/safefile"
)

// loginRows returns a row for each aws login token file that profiles
// with login_session use (only, profile's, when profile is set), for list.
// The token file is the cache of a login session's credentials.
func loginRows(ctx context.Context, g *globals, profile string, now time.Time) []listRow {
	if !anyLoginSession() {
		return nil
	}
	names := []string{profile}
	if profile == "" {
		names, _ = profileNames()
	}
	l := &sessioncache.Loader{CacheDir: g.cacheDir, Logger: g.debugLogger(), MFASession: g.mfaSession}
	byPath := map[string]*listRow{}
	var paths []string
	for _, name := range names {
		src, session, _, path, err := l.LoginSession(ctx, append(g.loadOptions(), config.WithSharedConfigProfile(name))...)
		if err != nil || src == "" || (profile == "" && src != name) {
			continue
		}
		if r := byPath[path]; r != nil {
			r.Profiles = append(r.Profiles, src)
			continue
		}
		byPath[path] = loginRow(path, src, session, now)
		paths = append(paths, path)
	}
	rows := make([]listRow, 0, len(paths))
	for _, p := range paths {
		slices.Sort(byPath[p].Profiles)
		rows = append(rows, *byPath[p])
	}
	return rows
}

// loginRow describes one token file.
func loginRow(path, profile, session string, now time.Time) *listRow {
	r := &listRow{
		Key:      strings.TrimSuffix(filepath.Base(path), ".json"),
		File:     path,
		Profiles: []string{profile},
		Kind:     sessioncache.KindLoginSession,
		ARN:      session,
		Account:  arnAccount(session),
	}
	tok, err := loginsession.Read(filepath.Dir(path), path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		r.State, r.Problem = stateExpired, "no token file: sign in with aws login or sessioncache login -p "+profile
		return r
	case errors.Is(err, safefile.ErrUntrusted):
		r.State, r.Problem = stateUntrusted, message(err)
		return r
	case err != nil:
		r.State, r.Problem = stateDamaged, message(err)
		return r
	}
	r.Account = tok.AccountID
	r.AccessKeyID = maskKeyID(tok.AccessKeyID)
	r.setExpiry(tok.ExpiresAt, now, tok.ExpiresAt.Sub(now) <= sessioncache.DefaultLoginRefreshWindow)
	return r
}

// anyLoginSession reports whether a profile of the config file sets
// login_session, from the parse the command made already.
func anyLoginSession() bool {
	configFile, _ := sharedFiles()
	f, err := awsini.Load(configFile)
	if err != nil {
		return false
	}
	for _, sec := range f.Sections {
		if _, ok := sec.Values["login_session"]; ok {
			return true
		}
	}
	return false
}
