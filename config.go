package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
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
	// TokenProvider gives MFA codes. Default: TerminalPrompt, or the
	// TokenProvider set with config.WithAssumeRoleCredentialOptions.
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
}

// LoadDefaultConfig is config.LoadDefaultConfig, with the same options
// and behaviour, except that when the selected profile assumes a role the
// credentials are served from, and saved to, the AWS CLI's cache. It uses
// the zero Loader.
func LoadDefaultConfig(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	var l Loader
	return l.LoadDefaultConfig(ctx, optFns...)
}

// LoadDefaultConfig is config.LoadDefaultConfig with l's cache settings.
func (l *Loader) LoadDefaultConfig(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	var lo config.LoadOptions
	for _, fn := range optFns {
		if err := fn(&lo); err != nil {
			return aws.Config{}, err
		}
	}
	if lo.Credentials != nil {
		// The caller chose the credentials: nothing to cache.
		return config.LoadDefaultConfig(ctx, optFns...)
	}
	env, err := config.NewEnvConfig()
	if err != nil {
		return aws.Config{}, err
	}
	profile := lo.SharedConfigProfile
	if profile == "" {
		profile = env.SharedConfigProfile
	}
	if profile == "" {
		// The SDK prefers keys in the environment to the default profile.
		if env.Credentials.HasKeys() || env.WebIdentityTokenFilePath != "" {
			return config.LoadDefaultConfig(ctx, optFns...)
		}
		profile = config.DefaultSharedConfigProfile
	}
	sc, err := config.LoadSharedConfigProfile(ctx, profile, sharedFiles(&lo, &env))
	if err != nil || !assumesRole(&sc) {
		// Missing profiles and profiles with nothing to cache behave, and
		// fail, exactly as in the SDK.
		return config.LoadDefaultConfig(ctx, optFns...)
	}

	// Load everything else (region, endpoints, retries, HTTP client) as the
	// SDK does; the credentials are set below.
	cfg, err := config.LoadDefaultConfig(ctx, append(optFns[:len(optFns):len(optFns)],
		config.WithCredentialsProvider(aws.AnonymousCredentials{}))...)
	if err != nil {
		return aws.Config{}, err
	}
	r, err := l.resolver(&lo, optFns)
	if err != nil {
		return aws.Config{}, err
	}
	p, err := r.resolve(ctx, cfg, &sc)
	if err != nil {
		return aws.Config{}, err
	}
	cfg.Credentials = r.memoryCache(p)
	return cfg, nil
}

// assumesRole reports whether a profile's credentials come from an STS
// role the AWS CLI caches.
func assumesRole(sc *config.SharedConfig) bool {
	return sc.RoleARN != ""
}

// resolver turns a profile into a chain of providers, mirroring the SDK's
// own resolution order so that only the caching differs.
type resolver struct {
	cache         *FileCache
	tokenProvider TokenProvider
	duration      time.Duration
	window        time.Duration
	logger        *slog.Logger
	userOpts      []func(*config.LoadOptions) error
	cacheOpts     func(*aws.CredentialsCacheOptions)
}

func (l *Loader) resolver(lo *config.LoadOptions, optFns []func(*config.LoadOptions) error) (*resolver, error) {
	r := &resolver{
		tokenProvider: l.TokenProvider,
		window:        l.ExpiryWindow,
		logger:        l.Logger,
		userOpts:      optFns,
		cacheOpts:     lo.CredentialsCacheOptions,
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

// resolve returns the provider of sc's credentials. Every role hop of a
// chain is cached under its own key, as botocore does.
func (r *resolver) resolve(ctx context.Context, cfg aws.Config, sc *config.SharedConfig) (aws.CredentialsProvider, error) {
	var src aws.CredentialsProvider
	var err error
	switch {
	case sc.Source != nil:
		src, err = r.resolve(ctx, cfg, sc.Source)
	case sc.Credentials.HasKeys():
		src = credentials.StaticCredentialsProvider{Value: sc.Credentials}
	case sc.CredentialSource != "":
		src, err = r.credentialSource(cfg, sc)
	case sc.RoleARN != "":
		return nil, fmt.Errorf("sessioncache: profile %s sets role_arn but no source_profile, credential_source or web_identity_token_file", sc.Profile)
	default:
		// SSO, credential_process, containers, instance roles: the SDK's own.
		src, err = r.sdkCredentials(ctx, sc.Profile)
	}
	if err != nil || sc.RoleARN == "" {
		return src, err
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.Credentials = r.memoryCache(src)
		if o.Region == "" {
			o.Region = "us-east-1"
		}
	})
	return r.provider(NewAssumeRoleFetcher(client, sc.RoleARN, r.assumeRoleOptions(sc))), nil
}

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

// ProfileEntry is one cache entry that a profile's credentials use.
type ProfileEntry struct {
	// Profile is the profile whose settings make the entry: the selected
	// profile, or a source profile of its chain.
	Profile string
	// Kind is "assume-role".
	Kind string
	// Key is the entry's cache key.
	Key string
	// RoleARN is the role the entry's credentials belong to.
	RoleARN string
}

// ProfileEntries returns the cache entries the selected profile uses, as
// LoadDefaultConfig would select and resolve it, from the first hop of a
// role chain to the profile itself. A profile that assumes no role uses
// none. Nothing is read from the cache and no service is called.
func (l *Loader) ProfileEntries(ctx context.Context, optFns ...func(*config.LoadOptions) error) ([]ProfileEntry, error) {
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
	profile := lo.SharedConfigProfile
	if profile == "" {
		profile = env.SharedConfigProfile
	}
	if profile == "" {
		profile = config.DefaultSharedConfigProfile
	}
	sc, err := config.LoadSharedConfigProfile(ctx, profile, sharedFiles(&lo, &env))
	if err != nil {
		return nil, err
	}
	r, err := l.resolver(&lo, optFns)
	if err != nil {
		return nil, err
	}
	var out []ProfileEntry
	for p := &sc; p != nil; p = p.Source {
		if p.RoleARN == "" {
			continue
		}
		f := NewAssumeRoleFetcher(nil, p.RoleARN, r.assumeRoleOptions(p))
		out = append(out, ProfileEntry{Profile: p.Profile, Kind: "assume-role", Key: f.CacheKey(), RoleARN: p.RoleARN})
	}
	slices.Reverse(out)
	return out, nil
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
