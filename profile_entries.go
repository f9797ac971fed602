package sessioncache

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// ProfileEntry is one cache entry that a profile's credentials use.
type ProfileEntry struct {
	// Profile is the profile whose settings make the entry: the selected
	// profile, or a source profile of its chain. It is empty for a web
	// identity set in the environment (AWS_ROLE_ARN and
	// AWS_WEB_IDENTITY_TOKEN_FILE).
	Profile string
	// Kind is KindAssumeRole, KindWebIdentity, KindSSO or KindMFASession.
	Kind string
	// Key is the entry's cache key.
	Key string
	// RoleARN is the role the entry's credentials belong to; for
	// KindMFASession, the MFA device's serial; for KindSSO,
	// "<account id>/<role name>".
	RoleARN string
	// LoginSession is the login_session the entry's chain starts from,
	// empty when it starts elsewhere.
	LoginSession string
}

// ProfileEntries returns the cache entries the selected profile uses, as
// LoadDefaultConfig would select and resolve it, from the first source of
// a chain to the profile itself. A profile whose credentials this package
// does not cache, and keys in the environment, use none. Nothing is read
// from the cache and no service is called.
func (l *Loader) ProfileEntries(ctx context.Context, optFns ...func(*config.LoadOptions) error) ([]ProfileEntry, error) {
	entries, _, err := l.profileEntries(ctx, optFns)
	return entries, err
}

// LoginSession returns the profile whose login_session the selected
// profile's credentials come from (itself, or the end of its
// source_profile chain), with that login_session, region and token file;
// profile is empty when they come from no login session.
func (l *Loader) LoginSession(ctx context.Context, optFns ...func(*config.LoadOptions) error) (profile, session, region, tokenFile string, err error) {
	lo, sc, err := cachedProfile(ctx, optFns, l.MFASession)
	if err != nil || sc == nil {
		return "", "", "", "", err
	}
	r, err := l.resolver(lo, optFns)
	if err != nil {
		return "", "", "", "", err
	}
	steps, err := r.plan(sc, false)
	if err != nil || steps[0].kind != KindLoginSession {
		return "", "", "", "", err
	}
	src := steps[0].sc
	path, err := NewLoginSessionProvider(src.LoginSession).Path()
	return src.Profile, src.LoginSession, src.Region, path, err
}

// Credentials returns the selected profile's credentials, with their real
// expiry, for a program that needs them once (to export them, or to hand
// them to a command) rather than a configuration to make calls with. When
// the cache holds a valid entry for the profile it is returned without
// loading the rest of the SDK's configuration; otherwise the credentials
// come from LoadDefaultConfig, fetched and cached as usual.
func (l *Loader) Credentials(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Credentials, error) {
	entries, r, err := l.profileEntries(ctx, optFns)
	if err == nil && len(entries) > 0 && r.cache != nil {
		p := r.provider(nil)
		// A miss is logged by the Retrieve below.
		if e := p.lookup(ctx, entries[len(entries)-1].Key, false); e != nil {
			return e.AWSCredentials(p.opts.Source), nil
		}
	}
	// The SDK's memory cache would report the expiry one window early.
	opts := append(optFns[:len(optFns):len(optFns)], config.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = 0
	}))
	cfg, err := l.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Credentials{}, err
	}
	if cfg.Credentials == nil {
		return aws.Credentials{}, errors.New("sessioncache: no credentials found")
	}
	return cfg.Credentials.Retrieve(ctx)
}

// AllProfileEntries returns, for every profile the shared config and
// credentials files define, the cache entries it uses, as ProfileEntries
// returns them for that profile; profiles that use none, or whose
// settings the SDK refuses, are left out. The files are read once, so
// that it takes time linear in their size however many profiles they
// define. Nothing is read from the cache and no service is called.
func (l *Loader) AllProfileEntries(ctx context.Context, optFns ...func(*config.LoadOptions) error) (map[string][]ProfileEntry, error) {
	var lo config.LoadOptions
	for _, fn := range optFns {
		if err := fn(&lo); err != nil {
			return nil, err
		}
	}
	env, err := config.NewEnvConfig()
	if err != nil {
		return nil, err
	}
	files := sharedFiles(&lo, &env)
	set, err := readSharedConfig(sharedFileNames(files))
	if err != nil {
		return nil, err
	}
	r, err := l.resolver(&lo, optFns)
	if err != nil {
		return nil, err
	}
	r.keysOnly = true
	out := make(map[string][]ProfileEntry)
	for _, name := range set.names {
		sc, err := loadProfile(ctx, set, name, files)
		if err != nil || !cachesCredentials(sc, l.MFASession) {
			continue
		}
		if entries, err := r.entries(sc); err == nil && len(entries) > 0 {
			out[name] = entries
		}
	}
	return out, nil
}

func (l *Loader) profileEntries(ctx context.Context, optFns []func(*config.LoadOptions) error) ([]ProfileEntry, *resolver, error) {
	lo, sc, err := cachedProfile(ctx, optFns, l.MFASession)
	if err != nil || sc == nil {
		return nil, nil, err
	}
	r, err := l.resolver(lo, optFns)
	if err != nil {
		return nil, nil, err
	}
	r.keysOnly = true
	out, err := r.entries(sc)
	if err != nil {
		return nil, nil, err
	}
	return out, r, nil
}

// entries returns the cache entries of sc's chain; r must be keysOnly.
func (r *resolver) entries(sc *config.SharedConfig) ([]ProfileEntry, error) {
	steps, err := r.plan(sc, false)
	if err != nil {
		return nil, err
	}
	var out []ProfileEntry
	for i, s := range steps {
		switch s.kind {
		case stepStatic, stepCredentialSource, stepSDK, stepProcess, KindLoginSession:
			continue
		}
		fromSession := i > 0 && steps[i-1].kind == KindMFASession
		f, err := r.fetcher(aws.Config{}, s, nil, fromSession)
		if err != nil {
			return nil, err
		}
		e := ProfileEntry{Profile: s.sc.Profile, Kind: s.kind, Key: f.CacheKey(), RoleARN: s.sc.RoleARN}
		if steps[0].kind == KindLoginSession {
			e.LoginSession = steps[0].sc.LoginSession
		}
		switch s.kind {
		case KindMFASession:
			e.RoleARN = s.sc.MFASerial
		case KindSSO:
			e.RoleARN = s.sc.SSOAccountID + "/" + s.sc.SSORoleName
		case KindWebIdentity:
			if wf, ok := f.(*WebIdentityFetcher); ok {
				e.RoleARN = wf.roleARN
			}
		}
		out = append(out, e)
	}
	return out, nil
}
