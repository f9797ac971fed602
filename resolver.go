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
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sessioncache/sessioncache/ssologin"
)

// resolver turns a profile into a chain of providers, mirroring the SDK's
// own resolution order so that only the caching differs.
type resolver struct {
	cache           *FileCache
	tokenProvider   TokenProvider
	duration        time.Duration
	window          time.Duration
	logger          *slog.Logger
	chainMFASession bool
	mfaSession      bool
	loadOptions     *config.LoadOptions
	userOpts        []func(*config.LoadOptions) error
	cacheOpts       func(*aws.CredentialsCacheOptions)
	webIdentityOpts func(*stscreds.WebIdentityRoleOptions)
	ssoTokenOpts    func(*ssocreds.SSOTokenProviderOptions)
	ssoLoginOpts    func(*ssologin.Options)
	lockTimeout     time.Duration
	onWait          func(LockHolder)
	// keysOnly makes fetchers without service clients, for their keys.
	keysOnly bool
}

func (l *Loader) resolver(lo *config.LoadOptions, optFns []func(*config.LoadOptions) error) (*resolver, error) {
	r := &resolver{
		tokenProvider:   l.TokenProvider,
		window:          l.ExpiryWindow,
		logger:          l.Logger,
		chainMFASession: l.ChainMFASession,
		mfaSession:      l.MFASession,
		loadOptions:     lo,
		userOpts:        optFns,
		cacheOpts:       lo.CredentialsCacheOptions,
		webIdentityOpts: lo.WebIdentityRoleCredentialOptions,
		ssoTokenOpts:    lo.SSOTokenProviderOptions,
		ssoLoginOpts:    l.SSOLoginOptions,
		lockTimeout:     l.LockTimeout,
		onWait:          l.OnWait,
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
			onWait = func(h LockHolder) { tellWaiting(r.logger, h) }
		}
		r.cache = NewFileCache(dir, func(o *FileCacheOptions) {
			o.Logger = r.logger
			o.OnWait = onWait
			o.LockTimeout = l.LockTimeout
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
		// As a role's source, the AWS CLI signs with the keys themselves;
		// alone, the SDK and the AWS CLI use them as they are.
		if isMFASession(sc) && ((asSource && r.chainMFASession) || (!asSource && r.mfaSession)) {
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
	case sc.LoginSession != "":
		// Handled here, not by the SDK, which refuses it as a source.
		steps = []step{{KindLoginSession, sc}}
	case usesProcess(sc):
		// Run here, not by the SDK, whose errors quote the output.
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
			p = newProcessProvider(s.sc, r.loadOptions)
		case KindLoginSession:
			p = r.loginSession(cfg, s.sc)
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
			o.TokenProvider = r.tokenProviderFor(sc)
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
		if r.logger != nil {
			o.APIOptions = append(o.APIOptions, logCalls(r.logger))
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

func (f rekeyed) fetch(ctx context.Context, o fetchOptions) (*Entry, error) {
	return fetchWith(ctx, f.Fetcher, o)
}

// loginSession maps a login_session profile to a LoginSessionProvider,
// with the profile's region and the Loader's lock settings.
func (r *resolver) loginSession(cfg aws.Config, sc *config.SharedConfig) *LoginSessionProvider {
	return NewLoginSessionProvider(sc.LoginSession, func(o *LoginSessionOptions) {
		o.Profile = sc.Profile
		o.Region = cfg.Region
		if sc.Region != "" {
			o.Region = sc.Region
		}
		o.HTTPClient = cfg.HTTPClient
		o.LockTimeout = r.lockTimeout
		o.OnWait = r.onWait
		if o.OnWait == nil {
			o.OnWait = func(h LockHolder) { tellWaiting(r.logger, h) }
		}
		o.Logger = r.logger
	})
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
