package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Loader loads AWS configurations whose credentials share the AWS CLI's
// cache. The zero Loader uses the defaults documented on each field; a
// Loader is safe for concurrent use once set up.
type Loader struct {
	// CacheDir is the cache directory. Default: $SESSIONCACHE_DIR, else
	// ~/.aws/cli/cache, the AWS CLI's.
	CacheDir string
	// DisableCache keeps credentials in memory only, as the SDK does.
	// Default: false.
	DisableCache bool
	// TokenProvider gives MFA codes, for roles and for MFA sessions.
	// Default: TerminalPrompt, or the TokenProvider set with
	// config.WithAssumeRoleCredentialOptions.
	TokenProvider TokenProvider
	// ExpiryWindow is how long before expiry cached credentials are
	// refreshed. Default: DefaultExpiryWindow (15 minutes, as botocore).
	ExpiryWindow time.Duration
	// Logger receives warnings and debug lines; secrets are never logged.
	// Default: discard.
	Logger *slog.Logger
	// OnWait is called when another process holds an entry's lock for more
	// than a second, typically while its user types an MFA code. Default:
	// a one-line note on the terminal.
	OnWait func(pid int)
	// ChainMFASession assumes the role of a profile whose source_profile
	// is an MFA session profile (long-term keys and mfa_serial, no
	// role_arn) with the source's cached MFA session, and sends no MFA code
	// with AssumeRole: one code then serves every such role for as long as
	// the session lasts (12 hours by default), where the AWS CLI asks for a
	// code per role every hour. AWS treats such a role as chained and
	// grants it at most one hour, refusing a duration_seconds above 3600.
	// The role profile's mfa_serial is not sent but stays in the role's
	// cache key, the key the AWS CLI gives the profile, so the CLI uses the
	// entry too. Default: false, as the AWS CLI: the source's long-term
	// keys sign AssumeRole, which carries the role profile's mfa_serial
	// and a code.
	ChainMFASession bool
}

// Kinds of cache entries, as ProfileEntry.Kind names them.
const (
	// KindAssumeRole is a role assumed with AssumeRole (role_arn with
	// source_profile or credential_source). Key: AssumeRoleKey.
	KindAssumeRole = "assume-role"
	// KindWebIdentity is a role assumed with AssumeRoleWithWebIdentity
	// (role_arn with web_identity_token_file, or AWS_ROLE_ARN with
	// AWS_WEB_IDENTITY_TOKEN_FILE). Key: WebIdentityKey.
	KindWebIdentity = "web-identity"
	// KindSSO is the role credentials of an IAM Identity Center profile
	// (sso_session or sso_start_url, with sso_account_id and
	// sso_role_name). Key: SSOKey.
	KindSSO = "sso"
	// KindMFASession is an MFA session made with GetSessionToken for a
	// profile with long-term keys and mfa_serial. Key: SessionTokenKey.
	KindMFASession = "mfa-session"
)

// LoadDefaultConfig is config.LoadDefaultConfig, with the same options
// and behaviour, except that the temporary credentials the AWS CLI caches
// are served from, and saved to, its cache: assumed roles, web identity
// roles and SSO role credentials. A profile with long-term keys and
// mfa_serial but no role_arn, whose keys the SDK would use as they are,
// gets an MFA session instead, prompted for once and cached for hours.
// It uses the zero Loader.
func LoadDefaultConfig(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	var l Loader
	return l.LoadDefaultConfig(ctx, optFns...)
}

// LoadDefaultConfig is config.LoadDefaultConfig with l's cache settings.
//
// Of the provider options, it honours the TokenProvider and Duration of
// config.WithAssumeRoleCredentialOptions, the RoleARN, RoleSessionName,
// Duration and Policy of config.WithWebIdentityRoleCredentialOptions, and
// config.WithSSOTokenProviderOptions.
func (l *Loader) LoadDefaultConfig(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	lo, sc, err := cachedProfile(ctx, optFns)
	if err != nil || sc == nil {
		// Bad options, missing profiles, keys in the environment and
		// profiles with nothing to cache behave, and fail, exactly as in
		// the SDK.
		return config.LoadDefaultConfig(ctx, optFns...)
	}

	// Load everything else (region, endpoints, retries, HTTP client) as the
	// SDK does; the credentials are set below.
	cfg, err := config.LoadDefaultConfig(ctx, append(optFns[:len(optFns):len(optFns)],
		config.WithCredentialsProvider(aws.AnonymousCredentials{}))...)
	if err != nil {
		return aws.Config{}, err
	}
	r, err := l.resolver(lo, optFns)
	if err != nil {
		return aws.Config{}, err
	}
	p, err := r.resolve(ctx, cfg, sc)
	if err != nil {
		return aws.Config{}, err
	}
	cfg.Credentials = r.memoryCache(p)
	return cfg, nil
}

// cachedProfile applies optFns and returns the settings of the selected
// profile when its credentials are ones this package caches, and nil
// settings otherwise (the caller chose the credentials in code, keys are
// in the environment, or the profile has nothing to cache).
func cachedProfile(ctx context.Context, optFns []func(*config.LoadOptions) error) (*config.LoadOptions, *config.SharedConfig, error) {
	var lo config.LoadOptions
	for _, fn := range optFns {
		if err := fn(&lo); err != nil {
			return nil, nil, err
		}
	}
	if lo.Credentials != nil {
		return &lo, nil, nil
	}
	sc, err := selectProfile(ctx, &lo)
	if err != nil || sc == nil || !cachesCredentials(sc) {
		return &lo, nil, err
	}
	return &lo, sc, nil
}

// selectProfile returns the settings whose credentials the SDK would use,
// in its order: a profile chosen in code, else keys in the environment
// (then it returns nil), else a web identity in the environment (then the
// settings are the AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE and
// AWS_ROLE_SESSION_NAME variables, under no profile name), else the
// profile $AWS_PROFILE or default.
func selectProfile(ctx context.Context, lo *config.LoadOptions) (*config.SharedConfig, error) {
	env, err := config.NewEnvConfig()
	if err != nil {
		return nil, err
	}
	if lo.SharedConfigProfile == "" {
		switch {
		case env.Credentials.HasKeys():
			return nil, nil
		case env.WebIdentityTokenFilePath != "":
			return &config.SharedConfig{
				RoleARN:              env.RoleARN,
				RoleSessionName:      env.RoleSessionName,
				WebIdentityTokenFile: env.WebIdentityTokenFilePath,
			}, nil
		}
	}
	profile := lo.SharedConfigProfile
	if profile == "" {
		profile = env.SharedConfigProfile
	}
	if profile == "" {
		profile = config.DefaultSharedConfigProfile
	}
	sc, err := config.LoadSharedConfigProfile(ctx, profile, sharedFiles(lo, &env))
	if err != nil {
		return nil, err
	}
	return &sc, nil
}

// cachesCredentials reports whether the credentials of a profile, as the
// SDK resolves it, are temporary ones this package caches: an assumed role
// (of any source), a web identity role, SSO role credentials, or an MFA
// session.
func cachesCredentials(sc *config.SharedConfig) bool {
	switch {
	case sc.RoleARN != "":
		return true
	case sc.Credentials.HasKeys():
		return isMFASession(sc)
	case sc.CredentialSource != "" || sc.WebIdentityTokenFile != "":
		// Without role_arn the SDK refuses these; let it.
		return false
	}
	return ssoComplete(sc)
}

// isMFASession reports whether a profile's long-term keys make an MFA
// session: it sets mfa_serial and assumes no role. Keys that are already
// temporary cannot: STS refuses GetSessionToken for them.
func isMFASession(sc *config.SharedConfig) bool {
	return sc.Credentials.HasKeys() && sc.Credentials.SessionToken == "" &&
		sc.MFASerial != "" && sc.RoleARN == ""
}

// ssoComplete reports whether a profile holds all the SSO settings the
// SDK requires; an incomplete one is left to the SDK and its errors.
func ssoComplete(sc *config.SharedConfig) bool {
	if sc.SSOAccountID == "" || sc.SSORoleName == "" {
		return false
	}
	if sc.SSOSessionName != "" {
		s := sc.SSOSession
		return s != nil && s.SSORegion != "" && s.SSOStartURL != "" &&
			(sc.SSORegion == "" || sc.SSORegion == s.SSORegion) &&
			(sc.SSOStartURL == "" || sc.SSOStartURL == s.SSOStartURL)
	}
	return sc.SSORegion != "" && sc.SSOStartURL != ""
}

// resolver turns a profile into a chain of providers, mirroring the SDK's
// own resolution order so that only the caching differs.
type resolver struct {
	cache           *FileCache
	tokenProvider   TokenProvider
	duration        time.Duration
	window          time.Duration
	logger          *slog.Logger
	chainMFASession bool
	userOpts        []func(*config.LoadOptions) error
	cacheOpts       func(*aws.CredentialsCacheOptions)
	webIdentityOpts func(*stscreds.WebIdentityRoleOptions)
	ssoTokenOpts    func(*ssocreds.SSOTokenProviderOptions)
	// keysOnly makes fetchers without service clients, for their keys.
	keysOnly bool
}

func (l *Loader) resolver(lo *config.LoadOptions, optFns []func(*config.LoadOptions) error) (*resolver, error) {
	r := &resolver{
		tokenProvider:   l.TokenProvider,
		window:          l.ExpiryWindow,
		logger:          l.Logger,
		chainMFASession: l.ChainMFASession,
		userOpts:        optFns,
		cacheOpts:       lo.CredentialsCacheOptions,
		webIdentityOpts: lo.WebIdentityRoleCredentialOptions,
		ssoTokenOpts:    lo.SSOTokenProviderOptions,
	}
	if r.window == 0 {
		r.window = DefaultExpiryWindow
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if fn := lo.AssumeRoleCredentialOptions; fn != nil {
		var so stscreds.AssumeRoleOptions
		fn(&so)
		if so.TokenProvider != nil && r.tokenProvider == nil {
			tp := so.TokenProvider
			r.tokenProvider = func(context.Context, string) (string, error) { return tp() }
		}
		r.duration = so.Duration
	}
	if !l.DisableCache {
		dir := l.CacheDir
		if dir == "" {
			var err error
			if dir, err = DefaultCacheDir(); err != nil {
				return nil, err
			}
		}
		onWait := l.OnWait
		if onWait == nil {
			onWait = func(pid int) {
				tellTerminal(fmt.Sprintf("waiting for another sessioncache process (pid %d) to finish MFA", pid))
			}
		}
		r.cache = NewFileCache(dir, func(o *FileCacheOptions) {
			o.Logger = r.logger
			o.OnWait = onWait
		})
	}
	return r, nil
}

// Steps of a credential chain that are not cached; the cached ones are
// named by the Kind constants.
const (
	stepStatic           = "static"
	stepCredentialSource = "credential-source"
	stepSDK              = "sdk"
	stepProcess          = "process"
)

// step is one link of a profile's credential chain: where the credentials
// of a profile come from, or the role it assumes with them.
type step struct {
	kind string
	sc   *config.SharedConfig
}

// plan lays out the chain of sc's credentials, from the first source to
// sc itself, in the order of the SDK's resolveCredsFromProfile. asSource
// is set for the source profile of a role.
func (r *resolver) plan(sc *config.SharedConfig, asSource bool) ([]step, error) {
	var steps []step
	switch {
	case sc.Source != nil:
		src, err := r.plan(sc.Source, true)
		if err != nil {
			return nil, err
		}
		steps = src
	case sc.Credentials.HasKeys():
		kind := stepStatic
		// As a role's source, the AWS CLI signs with the keys themselves.
		if isMFASession(sc) && (!asSource || r.chainMFASession) {
			kind = KindMFASession
		}
		steps = []step{{kind, sc}}
	case sc.CredentialSource != "":
		steps = []step{{stepCredentialSource, sc}}
	case sc.WebIdentityTokenFile != "":
		// role_arn is the web identity's own role: it is not assumed again.
		return []step{{KindWebIdentity, sc}}, nil
	case ssoComplete(sc):
		steps = []step{{KindSSO, sc}}
	case sc.CredentialProcess != "" && sc.RoleARN != "":
		// The SDK assumes the role with what the process gives.
		steps = []step{{stepProcess, sc}}
	case sc.RoleARN != "":
		return nil, fmt.Errorf("sessioncache: profile %s sets role_arn but no source_profile, credential_source, credential_process, web_identity_token_file or SSO settings", sc.Profile)
	default:
		// credential_process, containers, instance roles, incomplete SSO
		// settings: the SDK's own.
		steps = []step{{stepSDK, sc}}
	}
	if sc.RoleARN != "" {
		steps = append(steps, step{KindAssumeRole, sc})
	}
	return steps, nil
}

// resolve returns the provider of sc's credentials. Every cached step of a
// chain is cached under its own key, as botocore does.
func (r *resolver) resolve(ctx context.Context, cfg aws.Config, sc *config.SharedConfig) (aws.CredentialsProvider, error) {
	steps, err := r.plan(sc, false)
	if err != nil {
		return nil, err
	}
	var p aws.CredentialsProvider
	for i, s := range steps {
		switch s.kind {
		case stepStatic:
			p = credentials.StaticCredentialsProvider{Value: s.sc.Credentials}
		case stepCredentialSource:
			p, err = r.credentialSource(cfg, s.sc)
		case stepSDK:
			p, err = r.sdkCredentials(ctx, s.sc.Profile)
		case stepProcess:
			p = processcreds.NewProvider(s.sc.CredentialProcess)
		default:
			var f Fetcher
			fromSession := i > 0 && steps[i-1].kind == KindMFASession
			if f, err = r.fetcher(cfg, s, p, fromSession); err == nil {
				p = r.provider(f)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// fetcher returns the fetcher of a cached step whose source credentials
// come from src. fromSession is set for a role assumed with an MFA
// session (see Loader.ChainMFASession).
func (r *resolver) fetcher(cfg aws.Config, s step, src aws.CredentialsProvider, fromSession bool) (Fetcher, error) {
	sc := s.sc
	switch s.kind {
	case KindAssumeRole:
		var creds aws.CredentialsProvider
		if src != nil {
			creds = r.memoryCache(src)
		}
		client := r.stsClient(cfg, creds)
		f := NewAssumeRoleFetcher(client, sc.RoleARN, r.assumeRoleOptions(sc))
		if !fromSession {
			return f, nil
		}
		// The session carries the MFA; the entry keeps the profile's key.
		return rekeyed{NewAssumeRoleFetcher(client, sc.RoleARN, r.assumeRoleOptions(sc), func(o *AssumeRoleOptions) {
			o.SerialNumber = ""
		}), f.CacheKey()}, nil
	case KindWebIdentity:
		return r.webIdentityFetcher(cfg, sc), nil
	case KindSSO:
		return r.ssoFetcher(cfg, sc)
	case KindMFASession:
		client := r.stsClient(cfg, credentials.StaticCredentialsProvider{Value: sc.Credentials})
		return NewSessionTokenFetcher(client, sc.Credentials.AccessKeyID, sc.MFASerial, func(o *SessionTokenOptions) {
			o.TokenProvider = r.tokenProvider
			if sc.RoleDurationSeconds != nil {
				o.Duration = *sc.RoleDurationSeconds
			}
			o.Profile = sc.Profile
		}), nil
	}
	return nil, fmt.Errorf("sessioncache: no fetcher for %s", s.kind)
}

// stsClient returns an STS client that signs with creds, in the region of
// cfg or, as the AWS CLI, us-east-1 when cfg has none.
func (r *resolver) stsClient(cfg aws.Config, creds aws.CredentialsProvider) *sts.Client {
	if r.keysOnly {
		return nil
	}
	return sts.NewFromConfig(cfg, func(o *sts.Options) {
		if creds != nil {
			o.Credentials = creds
		}
		if o.Region == "" {
			o.Region = "us-east-1"
		}
	})
}

// rekeyed is a Fetcher whose entry is kept under another key.
type rekeyed struct {
	Fetcher
	key string
}

func (f rekeyed) CacheKey() string { return f.key }

// assumeRoleOptions maps a profile's settings to AssumeRole's, as the AWS
// CLI does.
func (r *resolver) assumeRoleOptions(sc *config.SharedConfig) func(*AssumeRoleOptions) {
	duration := r.duration
	if sc.RoleDurationSeconds != nil {
		duration = *sc.RoleDurationSeconds
	}
	return func(o *AssumeRoleOptions) {
		o.RoleSessionName = sc.RoleSessionName
		o.ExternalID = sc.ExternalID
		o.SerialNumber = sc.MFASerial
		o.TokenProvider = r.tokenProvider
		o.Duration = duration
		o.Profile = sc.Profile
	}
}

// webIdentityFetcher maps a web identity profile, or the environment's
// web identity, to a WebIdentityFetcher, with the options of
// config.WithWebIdentityRoleCredentialOptions applied as the SDK applies
// them.
func (r *resolver) webIdentityFetcher(cfg aws.Config, sc *config.SharedConfig) *WebIdentityFetcher {
	o := stscreds.WebIdentityRoleOptions{RoleARN: sc.RoleARN, RoleSessionName: sc.RoleSessionName}
	if r.webIdentityOpts != nil {
		r.webIdentityOpts(&o)
	}
	// The call is unsigned: the token is the credential.
	client := r.stsClient(cfg, aws.AnonymousCredentials{})
	return NewWebIdentityFetcher(client, o.RoleARN, sc.WebIdentityTokenFile, func(w *WebIdentityOptions) {
		w.RoleSessionName = o.RoleSessionName
		w.Duration = o.Duration
		w.Policy = aws.ToString(o.Policy)
		w.Profile = sc.Profile
	})
}

// ssoFetcher maps an SSO profile to an SSOFetcher as the SDK's
// resolveSSOCredentials does: the portal client in sso_region, and for an
// sso_session the SDK's token provider, which refreshes the token.
func (r *resolver) ssoFetcher(cfg aws.Config, sc *config.SharedConfig) (*SSOFetcher, error) {
	ssoCfg := cfg.Copy()
	startURL := sc.SSOStartURL
	var opts []func(*SSOOptions)
	if s := sc.SSOSession; sc.SSOSessionName != "" && s != nil {
		ssoCfg.Region = s.SSORegion
		startURL = s.SSOStartURL
		path, err := ssocreds.StandardCachedTokenFilepath(s.Name)
		if err != nil {
			return nil, fmt.Errorf("sessioncache: find the SSO token of profile %s: %w", sc.Profile, err)
		}
		var tpOpts []func(*ssocreds.SSOTokenProviderOptions)
		if r.ssoTokenOpts != nil {
			tpOpts = append(tpOpts, r.ssoTokenOpts)
		}
		var tp *ssocreds.SSOTokenProvider
		if !r.keysOnly {
			tp = ssocreds.NewSSOTokenProvider(ssooidc.NewFromConfig(ssoCfg), path, tpOpts...)
		}
		opts = append(opts, func(o *SSOOptions) {
			o.SessionName = s.Name
			if tp != nil {
				o.TokenProvider = tp
			}
			o.CachedTokenFilepath = path
		})
	} else {
		ssoCfg.Region = sc.SSORegion
	}
	opts = append(opts, func(o *SSOOptions) { o.Profile = sc.Profile })
	var client GetRoleCredentialsAPIClient
	if !r.keysOnly {
		client = sso.NewFromConfig(ssoCfg)
	}
	return NewSSOFetcher(client, sc.SSOAccountID, sc.SSORoleName, startURL, opts...), nil
}

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
		if e := p.lookup(entries[len(entries)-1].Key); e != nil {
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

func (l *Loader) profileEntries(ctx context.Context, optFns []func(*config.LoadOptions) error) ([]ProfileEntry, *resolver, error) {
	lo, sc, err := cachedProfile(ctx, optFns)
	if err != nil || sc == nil {
		return nil, nil, err
	}
	r, err := l.resolver(lo, optFns)
	if err != nil {
		return nil, nil, err
	}
	steps, err := r.plan(sc, false)
	if err != nil {
		return nil, nil, err
	}
	r.keysOnly = true
	var out []ProfileEntry
	for i, s := range steps {
		switch s.kind {
		case stepStatic, stepCredentialSource, stepSDK, stepProcess:
			continue
		}
		fromSession := i > 0 && steps[i-1].kind == KindMFASession
		f, err := r.fetcher(aws.Config{}, s, nil, fromSession)
		if err != nil {
			return nil, nil, err
		}
		e := ProfileEntry{Profile: s.sc.Profile, Kind: s.kind, Key: f.CacheKey(), RoleARN: s.sc.RoleARN}
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
	return out, r, nil
}

func (r *resolver) provider(f Fetcher) *Provider {
	return NewProvider(f, func(o *ProviderOptions) {
		o.Cache = r.cache
		o.ExpiryWindow = r.window
		o.Logger = r.logger
	})
}

// memoryCache keeps credentials in memory until they near expiry, and
// makes concurrent callers share one retrieval.
func (r *resolver) memoryCache(p aws.CredentialsProvider) aws.CredentialsProvider {
	if _, ok := p.(credentials.StaticCredentialsProvider); ok {
		return p
	}
	return aws.NewCredentialsCache(p, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = r.window
		if r.cacheOpts != nil {
			r.cacheOpts(o)
		}
	})
}

// credentialSource resolves credential_source with the SDK's providers for
// the environment, the instance role and the container role.
func (r *resolver) credentialSource(cfg aws.Config, sc *config.SharedConfig) (aws.CredentialsProvider, error) {
	switch sc.CredentialSource {
	case "Environment":
		env, err := config.NewEnvConfig()
		if err != nil {
			return nil, err
		}
		if !env.Credentials.HasKeys() {
			return nil, fmt.Errorf("sessioncache: profile %s has credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", sc.Profile)
		}
		return credentials.StaticCredentialsProvider{Value: env.Credentials}, nil
	case "Ec2InstanceMetadata":
		return ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = imds.NewFromConfig(cfg) }), nil
	case "EcsContainer":
		env, err := config.NewEnvConfig()
		if err != nil {
			return nil, err
		}
		url := env.ContainerCredentialsEndpoint
		if env.ContainerCredentialsRelativePath != "" {
			url = "http://169.254.170.2" + env.ContainerCredentialsRelativePath
		}
		if url == "" {
			return nil, fmt.Errorf("sessioncache: profile %s has credential_source = EcsContainer, but neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set", sc.Profile)
		}
		return endpointcreds.New(url, func(o *endpointcreds.Options) {
			o.AuthorizationToken = env.ContainerAuthorizationToken
			// EKS Pod Identity gives the token in a file it rotates; read
			// it on every call, as the SDK does.
			if path := os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); path != "" {
				o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
					b, err := os.ReadFile(path)
					if err != nil {
						return "", fmt.Errorf("sessioncache: read the container authorization token file: %w", err)
					}
					return string(b), nil
				})
			}
		}), nil
	default:
		return nil, fmt.Errorf("sessioncache: profile %s: credential_source must be Environment, Ec2InstanceMetadata or EcsContainer, not %q", sc.Profile, sc.CredentialSource)
	}
}

// sdkCredentials returns the credentials the SDK itself resolves for
// profile, without any role the profile assumes.
func (r *resolver) sdkCredentials(ctx context.Context, profile string) (aws.CredentialsProvider, error) {
	opts := append(r.userOpts[:len(r.userOpts):len(r.userOpts)], config.WithSharedConfigProfile(profile))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials == nil {
		return nil, errors.New("sessioncache: profile " + profile + " has no credentials")
	}
	return cfg.Credentials, nil
}

// sharedFiles picks the config and credentials files as the SDK's loader
// does: the load options, else AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE, else the files in the home directory.
func sharedFiles(lo *config.LoadOptions, env *config.EnvConfig) func(*config.LoadSharedConfigOptions) {
	return func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = lo.SharedConfigFiles
		if o.ConfigFiles == nil {
			o.ConfigFiles = []string{config.DefaultSharedConfigFilename()}
			if env.SharedConfigFile != "" {
				o.ConfigFiles = []string{env.SharedConfigFile}
			}
		}
		o.CredentialsFiles = lo.SharedCredentialsFiles
		if o.CredentialsFiles == nil {
			o.CredentialsFiles = []string{config.DefaultSharedCredentialsFilename()}
			if env.SharedCredentialsFile != "" {
				o.CredentialsFiles = []string{env.SharedCredentialsFile}
			}
		}
	}
}
