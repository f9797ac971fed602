package sessioncache

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache/ssologin"
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
	// Default: the TokenProvider set with
	// config.WithAssumeRoleCredentialOptions, else DefaultTokenProvider:
	// the profile's mfa_process, the terminal, then a desktop dialog.
	TokenProvider TokenProvider
	// ExpiryWindow is how long before expiry cached credentials are
	// refreshed. Default: DefaultExpiryWindow (15 minutes, as botocore).
	ExpiryWindow time.Duration
	// Logger receives warnings and debug lines; secrets are never logged.
	// Default: discard.
	Logger *slog.Logger
	// OnWait is called when another process holds an entry's lock for more
	// than a second, typically while its user types an MFA code, with what
	// that process says of itself. Default: a one-line note on the
	// terminal, or a warning to Logger when there is none.
	OnWait func(holder LockHolder)
	// LockTimeout is how long to wait for another process that holds an
	// entry's lock before failing with a *LockTimeoutError; the context's
	// deadline ends the wait too. Negative: no limit but the context.
	// Default: DefaultLockTimeout (5 minutes).
	LockTimeout time.Duration
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
	// MFASession makes an MFA session (GetSessionToken, cached for 12
	// hours or the profile's duration_seconds) for a profile with
	// long-term keys and mfa_serial but no role_arn: one code, then
	// temporary credentials that carry the MFA, as aws-vault does.
	// Default: false, as the SDK and the AWS CLI: such a profile's keys
	// are used as they are, and mfa_serial is ignored.
	MFASession bool
	// SSOLoginOptions adjust the SSO sign-in and token refresh of IAM
	// Identity Center profiles. Default: the token is refreshed under a
	// lock every process shares, and a missing or expired one starts a
	// sign-in on a terminal (see EnvSSOSignIn).
	SSOLoginOptions func(*ssologin.Options)
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
// roles and SSO role credentials. Every profile resolves to the identity
// the SDK gives it. It uses the zero Loader; Loader.MFASession adds MFA
// sessions for long-term keys with mfa_serial.
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
	lo, sc, err := cachedProfile(ctx, optFns, l.MFASession)
	var loop *ProfileLoopError
	var settings *ProfileSettingsError
	var parse *ConfigParseError
	if errors.As(err, &loop) || errors.As(err, &settings) || errors.As(err, &parse) {
		// The SDK's own error says "<nil>", reads a broken file
		// otherwise, or leaves bad settings to the portal's words.
		return aws.Config{}, err
	}
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
		if cfg, err = loadBesideLoginSource(ctx, optFns, lo, sc, err); err != nil {
			return aws.Config{}, err
		}
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

// loadBesideLoginSource loads the configuration of a role whose source is
// a login_session profile, which the SDK refuses (err): that of the
// source profile, with the role profile's region.
func loadBesideLoginSource(ctx context.Context, optFns []func(*config.LoadOptions) error, lo *config.LoadOptions, sc *config.SharedConfig, err error) (aws.Config, error) {
	var are config.SharedConfigAssumeRoleError
	src := sc
	for src != nil && src.LoginSession == "" {
		src = src.Source
	}
	if !errors.As(err, &are) || src == nil || src == sc {
		return aws.Config{}, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(optFns[:len(optFns):len(optFns)],
		config.WithSharedConfigProfile(src.Profile),
		config.WithCredentialsProvider(aws.AnonymousCredentials{}))...)
	if err != nil {
		return aws.Config{}, err
	}
	if lo.Region == "" && os.Getenv("AWS_REGION") == "" && sc.Region != "" {
		cfg.Region = sc.Region
	}
	return cfg, nil
}

// cachedProfile applies optFns and returns the settings of the selected
// profile when its credentials are ones this package caches, and nil
// settings otherwise (the caller chose the credentials in code, keys are
// in the environment, or the profile has nothing to cache).
func cachedProfile(ctx context.Context, optFns []func(*config.LoadOptions) error, mfaSession bool) (*config.LoadOptions, *config.SharedConfig, error) {
	var lo config.LoadOptions
	for _, fn := range optFns {
		if err := fn(&lo); err != nil {
			return nil, nil, err
		}
	}
	env, err := config.NewEnvConfig()
	if err != nil {
		return &lo, nil, err
	}
	files := sharedFiles(&lo, &env)
	set, err := readSharedConfig(sharedFileNames(files))
	if err != nil {
		return nil, nil, err
	}
	if lo.Credentials != nil {
		return &lo, nil, nil
	}
	sc, err := selectProfile(ctx, &lo, &env, set, files)
	if err != nil || sc == nil || !cachesCredentials(sc, mfaSession) {
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
func selectProfile(ctx context.Context, lo *config.LoadOptions, env *config.EnvConfig, set *sharedConfig, files func(*config.LoadSharedConfigOptions)) (*config.SharedConfig, error) {
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
	return loadProfile(ctx, set, profile, files)
}

// cachesCredentials reports whether the credentials of a profile, as the
// SDK resolves it, are temporary ones this package caches (an assumed role
// of any source, a web identity role, SSO role credentials, or, with
// mfaSession, an MFA session), or come from credential_process.
func cachesCredentials(sc *config.SharedConfig, mfaSession bool) bool {
	switch {
	case sc.RoleARN != "":
		return true
	case sc.Credentials.HasKeys():
		return mfaSession && isMFASession(sc)
	case sc.CredentialSource != "" || sc.WebIdentityTokenFile != "":
		// Without role_arn the SDK refuses these; let it.
		return false
	}
	// credential_process is not cached, but run here: the SDK's errors
	// quote its output, secret key and all.
	return ssoComplete(sc) || sc.LoginSession != "" || usesProcess(sc)
}

// usesProcess reports whether the SDK would take a profile's credentials
// from its credential_process: no SSO or login settings come first.
func usesProcess(sc *config.SharedConfig) bool {
	return sc.CredentialProcess != "" && sc.LoginSession == "" && sc.SSOSessionName == "" &&
		sc.SSORegion == "" && sc.SSOAccountID == "" && sc.SSOStartURL == "" && sc.SSORoleName == ""
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

// NewClient returns a service client whose credentials share the AWS CLI's
// cache, for any service of aws-sdk-go-v2:
//
//	client, err := sessioncache.NewClient(ctx, ecs.NewFromConfig, func(o *ecs.Options) {
//		o.Region = "us-west-2"
//	})
//
// The configuration comes from LoadDefaultConfig with no options, so the
// profile is $AWS_PROFILE or default; to choose it in code, call
// LoadDefaultConfig with config.WithSharedConfigProfile and then the
// service's NewFromConfig.
func NewClient[Client, Options any](ctx context.Context, newFromConfig func(aws.Config, ...func(*Options)) Client, optFns ...func(*Options)) (Client, error) {
	cfg, err := LoadDefaultConfig(ctx)
	if err != nil {
		var zero Client
		return zero, err
	}
	return newFromConfig(cfg, optFns...), nil
}
