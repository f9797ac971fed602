package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/awsini"
	"github.com/sessioncache/sessioncache/internal/lockfile"
	"github.com/sessioncache/sessioncache/internal/loginsession"
	"github.com/sessioncache/sessioncache/internal/loopback"
	"github.com/sessioncache/sessioncache/internal/safefile"
)

// loginSessionOf returns the profile whose login_session the selected
// profile's credentials come from, with its session, region and token
// file; profile is empty when none does.
func (g *globals) loginSessionOf(ctx context.Context) (profile, session, region, path string, err error) {
	l := &sessioncache.Loader{CacheDir: g.cacheDir, Logger: g.debugLogger(), MFASession: g.mfaSession}
	return l.LoginSession(ctx, g.loadOptions()...)
}

// runLoginSession signs in as `aws login` does, for the login session of
// the selected profile or, with --login-session, for the profile itself,
// to which it then adds login_session. handled is false when the profile
// uses no login session and none was asked for.
func runLoginSession(ctx context.Context, g *globals, f loginFlags, stdout, stderr io.Writer) (handled bool, err error) {
	selected, _ := g.profileName()
	profile, _, region, _, err := g.loginSessionOf(ctx)
	switch {
	case profile == "" && !f.loginSession:
		return false, nil
	case profile == "":
		profile, region = selected, os.Getenv("AWS_REGION")
	case profile != selected:
		fmt.Fprintf(stderr, "sessioncache: profile %q takes its credentials from profile %q, which uses aws login: signing in for that\n", selected, profile)
	}
	if err != nil && !f.loginSession {
		return true, g.explain(err)
	}
	o := loginsession.SignInOptions{
		Client: &loginsession.Client{Endpoint: loginsession.Endpoint(region)},
		Output: stderr,
	}
	if !f.noBrowser && loopback.HasDisplay() {
		o.Open = loopback.OpenBrowser
	}
	tok, session, err := loginsession.SignIn(ctx, o)
	if err != nil {
		return true, fmt.Errorf("sign in for profile %s: %w", profile, err)
	}
	dir, err := loginsession.DefaultDir()
	if err != nil {
		return true, err
	}
	path := loginsession.Path(dir, session)
	if err := loginsession.Write(path, tok, nil); err != nil {
		return true, err
	}
	if err := setLoginSession(profile, session); err != nil {
		return true, err
	}
	_, err = fmt.Fprintf(stdout, "Signed in as %s for profile %s\n", session, profile)
	return true, err
}

// setLoginSession makes profile's login_session session in the config
// file, adding the profile when the file has none of that name, as
// `aws login` does. A profile that names another session keeps it and is
// reported.
func setLoginSession(profile, session string) error {
	configFile, _ := sharedFiles()
	data, err := os.ReadFile(configFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", configFile, err)
	}
	// The one parser decides what the profile already says, as botocore
	// and the SDK would read it.
	ini, err := awsini.Parse(configFile, data)
	if err != nil {
		return err
	}
	names := []string{"profile " + profile}
	if profile == "default" {
		names = append(names, "default")
	}
	// The profile's first header, where the line goes; -1 when the file
	// has none.
	start := -1
	for _, name := range names {
		sec := ini.Section(name)
		if sec == nil {
			continue
		}
		if have, ok := sec.Values["login_session"]; ok && have == session {
			return nil
		} else if ok {
			return fmt.Errorf("profile %s has login_session = %s, not the %s just signed in: change it in %s to use this sign-in", profile, have, session, configFile)
		}
		if start < 0 || sec.Line-1 < start {
			start = sec.Line - 1
		}
	}
	header := "[profile " + profile + "]"
	if profile == "default" {
		header = "[default]"
	}
	entry := "login_session = " + session + "\n"
	if start < 0 {
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
			data = append(data, '\n')
		}
		if len(data) > 0 {
			data = append(data, '\n')
		}
		data = append(data, header+"\n"+entry...)
	} else {
		lines := strings.SplitAfter(string(data), "\n")
		lines = append(lines[:start+1], append([]string{entry}, lines[start+1:]...)...)
		data = []byte(strings.Join(lines, ""))
	}
	if err := os.MkdirAll(filepath.Dir(configFile), 0o700); err != nil {
		return err
	}
	if err := safefile.WriteFile(configFile, data, nil); err != nil {
		return fmt.Errorf("add login_session to %s: %w", configFile, err)
	}
	return nil
}

// runLoginSessionLogout removes the token file of the selected profile's
// login session and the role sessions cached from it. handled is false
// when the profile uses no login session.
func runLoginSessionLogout(ctx context.Context, g *globals, stdout io.Writer) (handled bool, err error) {
	profile, session, _, path, err := g.loginSessionOf(ctx)
	if err != nil || profile == "" {
		return false, nil
	}
	// Under the session's lock, so that no refresh writes it back.
	lock, err := loginsession.Lock(ctx, path, lockfile.Options{Timeout: g.lockTimeout, OnWait: g.onWait})
	if err != nil {
		return true, err
	}
	hadToken := true
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		hadToken = false
	} else if err != nil {
		lock.Release()
		return true, fmt.Errorf("remove the login session token %s: %w", path, err)
	}
	if err := lock.Remove(); err != nil {
		return true, err
	}
	dir, err := g.cacheDirPath()
	if err != nil {
		return true, err
	}
	cache := sessioncache.NewFileCache(dir, func(o *sessioncache.FileCacheOptions) {
		o.LockTimeout, o.OnWait = g.lockTimeout, g.onWait
	})
	l := &sessioncache.Loader{CacheDir: dir, Logger: g.debugLogger(), MFASession: g.mfaSession}
	all, err := l.AllProfileEntries(ctx)
	if err != nil {
		return true, err
	}
	removed := 0
	for _, entries := range all {
		for _, e := range entries {
			if e.LoginSession != session {
				continue
			}
			// Under the entry's lock, as for an SSO session: a refresh
			// that read the token before it went writes first, and its
			// entry goes too.
			gone, err := cache.DeleteIf(ctx, e.Key, removeAny)
			if err != nil {
				return true, err
			}
			if gone {
				removed++
			}
		}
	}
	creds := plural(removed, "cached role credential", "cached role credentials")
	switch {
	case hadToken:
		_, err = fmt.Fprintf(stdout, "Signed out of %s: removed the login session token and %s\n", session, creds)
	default:
		_, err = fmt.Fprintf(stdout, "Not signed in as %s: there was no login session token; removed %s\n", session, creds)
	}
	return true, err
}
