package sessioncache

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache/internal/tty"
	"github.com/sessioncache/sessioncache/ssologin"
)

// EnvSSOSignIn names the environment variable that says when a missing or
// expired SSO token starts a sign-in: "terminal" (the default) only when
// there is a terminal to say so on, "always" also without one (as for a
// credential_process run by an editor that has a browser but no
// terminal), "never" not at all.
const EnvSSOSignIn = "SESSIONCACHE_SSO_SIGN_IN"

// ssoTokenSource returns the token source of an SSO profile: the cached
// token, refreshed under a lock shared by every process, and on a
// terminal a sign-in when there is none.
func (r *resolver) ssoTokenSource(cfg aws.Config, sc *config.SharedConfig) (*ssologin.TokenSource, error) {
	s, err := ssologin.SessionFromConfig(sc, r.loadOptions.SharedConfigFiles...)
	if err != nil {
		return nil, err
	}
	dir, err := ssologin.DefaultCacheDir()
	if err != nil {
		return nil, err
	}
	lock := NewFileCache(ssologin.LockDir(dir), func(o *FileCacheOptions) {
		o.Logger = r.logger
		o.LockTimeout = r.lockTimeout
		o.OnWait = func(h LockHolder) {
			if r.onWait != nil {
				r.onWait(h)
				return
			}
			tty.Tell(fmt.Sprintf("waiting for %s to finish signing in to %s", h, s.StartURL))
		}
	})
	return ssologin.NewTokenSource(cfg, s, func(o *ssologin.Options) {
		o.CacheDir = dir
		o.Locker = lock
		o.Logger = r.logger
		switch os.Getenv(EnvSSOSignIn) {
		case "always":
			o.SignIn = true
		case "never":
		default:
			if tty.Available() {
				o.SignIn = true
				o.Output = tty.Writer{}
			}
		}
		if r.ssoLoginOpts != nil {
			r.ssoLoginOpts(o)
		}
	})
}

// ssoCacheKeyPath is the token file of a session, for the SDK's provider.
func ssoCacheKeyPath(name string) (string, error) {
	dir, err := ssologin.DefaultCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, ssologin.CacheKey(name, "")+".json"), nil
}
