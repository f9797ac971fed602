package sessioncache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/auth/bearer"
	"github.com/sessioncache/sessioncache/internal/safefile"
	"github.com/sessioncache/sessioncache/internal/tty"
	"github.com/sessioncache/sessioncache/ssologin"
)

// GetRoleCredentialsAPIClient is the part of the SSO portal client that
// SSOFetcher uses.
type GetRoleCredentialsAPIClient interface {
	GetRoleCredentials(ctx context.Context, params *sso.GetRoleCredentialsInput, optFns ...func(*sso.Options)) (*sso.GetRoleCredentialsOutput, error)
}

// SSOOptions configure an SSOFetcher. They mirror the profile settings of
// AWS CLI v2.
type SSOOptions struct {
	// SessionName is the profile's sso_session. It is part of the cache key
	// in place of the start URL. Default: none, a legacy profile that sets
	// sso_start_url itself.
	SessionName string
	// TokenProvider gives the SSO access token, for example an
	// ssocreds.SSOTokenProvider, which also refreshes an expired token.
	// It is asked once per fetch, and only when the portal must be called;
	// fetches overlap when a Provider has no cache, so wrap a provider that
	// is not safe for concurrent use in bearer.NewTokenCache. Default: the
	// token `aws sso login` cached in CachedTokenFilepath, read as the SDK
	// reads it for legacy profiles and never refreshed.
	TokenProvider bearer.TokenProvider
	// CachedTokenFilepath is the token file the default TokenProvider
	// reads. Default: ssocreds.StandardCachedTokenFilepath of SessionName,
	// or of the start URL when SessionName is empty, that is
	// ~/.aws/sso/cache/<sha1>.json.
	CachedTokenFilepath string
	// Profile names the profile in error messages, and in the `aws sso
	// login --profile` command they suggest. Default: none.
	Profile string
}

// SSOFetcher gets the role credentials of an IAM Identity Center (SSO)
// profile from the SSO portal with GetRoleCredentials. Use it with
// NewProvider.
//
// The entry has the key and the form AWS CLI v2 gives it, so the CLI and
// Go programs share the role credentials. The token comes from
// Options.TokenProvider; LoadDefaultConfig gives it an ssologin.TokenSource,
// which refreshes it and can sign in.
type SSOFetcher struct {
	client    GetRoleCredentialsAPIClient
	accountID string
	roleName  string
	startURL  string
	opts      SSOOptions
	key       string
}

// NewSSOFetcher returns a fetcher for the credentials of roleName in
// accountID, from the portal at startURL. The client must be configured
// for the portal's region (sso_region).
func NewSSOFetcher(client GetRoleCredentialsAPIClient, accountID, roleName, startURL string, optFns ...func(*SSOOptions)) *SSOFetcher {
	f := &SSOFetcher{client: client, accountID: accountID, roleName: roleName, startURL: startURL}
	for _, fn := range optFns {
		fn(&f.opts)
	}
	f.key = SSOKey(SSOKeyInput{AccountID: accountID, RoleName: roleName, SessionName: f.opts.SessionName, StartURL: startURL})
	return f
}

// CacheKey returns the key AWS CLI v2 gives these role credentials.
func (f *SSOFetcher) CacheKey() string { return f.key }

// SSOLoginError is returned when the SSO access token is missing, has
// expired and cannot be refreshed, or is refused by the portal. Only
// signing in again helps: run `sessioncache login --profile <Profile>` (or
// `aws sso login`, which writes the same token).
type SSOLoginError struct {
	// Profile is the SSO profile, "" when unknown.
	Profile string
	// Err says what was wrong with the token.
	Err error
}

func (e *SSOLoginError) Error() string {
	return fmt.Sprintf("sessioncache: the SSO session has expired or is missing (%v): run `%s`", e.Err, ssologin.LoginCommand(e.Profile))
}

// Unwrap returns the cause.
func (e *SSOLoginError) Unwrap() error { return e.Err }

// Fetch gets the access token and calls GetRoleCredentials with it.
func (f *SSOFetcher) Fetch(ctx context.Context) (*Entry, error) {
	token, err := f.accessToken(ctx)
	if err != nil {
		var lr *ssologin.LoginRequiredError
		if errors.As(err, &lr) {
			err = lr.Reason
		}
		return nil, &SSOLoginError{Profile: f.opts.Profile, Err: err}
	}
	out, err := f.client.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
		AccessToken: aws.String(token),
		AccountId:   aws.String(f.accountID),
		RoleName:    aws.String(f.roleName),
	})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "UnauthorizedException" {
			return nil, &SSOLoginError{Profile: f.opts.Profile, Err: err}
		}
		return nil, fmt.Errorf("sessioncache: get SSO role credentials for %s/%s: %w", f.accountID, f.roleName, err)
	}
	c := out.RoleCredentials
	if c == nil || aws.ToString(c.AccessKeyId) == "" {
		return nil, fmt.Errorf("sessioncache: get SSO role credentials for %s/%s: the response holds no credentials", f.accountID, f.roleName)
	}
	return &Entry{
		ProviderType: "sso",
		Credentials: EntryCredentials{
			AccessKeyID:     aws.ToString(c.AccessKeyId),
			SecretAccessKey: aws.ToString(c.SecretAccessKey),
			SessionToken:    aws.ToString(c.SessionToken),
			// The portal answers in milliseconds; the CLI keeps whole
			// seconds, and so does the file.
			Expiration: time.UnixMilli(c.Expiration).UTC().Truncate(time.Second),
			AccountID:  f.accountID,
		},
	}, nil
}

// accessToken returns the SSO access token. Its errors never hold it.
func (f *SSOFetcher) accessToken(ctx context.Context) (string, error) {
	if f.opts.TokenProvider != nil {
		t, err := f.opts.TokenProvider.RetrieveBearerToken(ctx)
		if err != nil {
			return "", err
		}
		if t.Value == "" {
			return "", errors.New("the SSO token provider gave an empty token")
		}
		return t.Value, nil
	}
	path := f.opts.CachedTokenFilepath
	if path == "" {
		name := f.startURL
		if f.opts.SessionName != "" {
			name = f.opts.SessionName
		}
		var err error
		if path, err = ssocreds.StandardCachedTokenFilepath(name); err != nil {
			return "", err
		}
	}
	return readSSOToken(path, timeNow())
}

// maxSSOTokenSize bounds what is read of a token file; real ones are a
// few kilobytes.
const maxSSOTokenSize = 1 << 20

// readSSOToken reads a token file of ~/.aws/sso/cache as the SDK and
// botocore do for legacy profiles: accessToken and expiresAt (RFC 3339)
// must be there, and an expired token is not used.
func readSSOToken(path string, now time.Time) (string, error) {
	data, err := safefile.ReadFile(filepath.Dir(path), path, maxSSOTokenSize)
	if err != nil {
		return "", fmt.Errorf("read the cached SSO token: %w", err)
	}
	var t struct {
		AccessToken *string `json:"accessToken"`
		ExpiresAt   *string `json:"expiresAt"`
	}
	if err := json.Unmarshal(data, &t); err != nil {
		return "", fmt.Errorf("the cached SSO token %s: %s", path, jsonProblem(err))
	}
	if t.AccessToken == nil || *t.AccessToken == "" || t.ExpiresAt == nil {
		return "", fmt.Errorf("the cached SSO token %s lacks accessToken or expiresAt", path)
	}
	exp, err := time.Parse(time.RFC3339, *t.ExpiresAt)
	if err != nil {
		return "", fmt.Errorf("the cached SSO token %s: expiresAt %q is not an RFC 3339 time", path, truncate(*t.ExpiresAt, 40))
	}
	if !now.Before(exp) {
		return "", fmt.Errorf("the cached SSO token expired at %s", exp.UTC().Format(time.RFC3339))
	}
	return *t.AccessToken, nil
}

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

// ssoFetcher maps an SSO profile to an SSOFetcher: the portal client in
// sso_region, with the token of ssoTokenSource, or, when the caller set
// config.WithSSOTokenProviderOptions, the SDK's token provider as the SDK
// would use it.
func (r *resolver) ssoFetcher(cfg aws.Config, sc *config.SharedConfig) (*SSOFetcher, error) {
	ssoCfg := cfg.Copy()
	startURL, region := sc.SSOStartURL, sc.SSORegion
	opts := []func(*SSOOptions){func(o *SSOOptions) { o.Profile = sc.Profile }}
	if s := sc.SSOSession; sc.SSOSessionName != "" && s != nil {
		startURL, region = s.SSOStartURL, s.SSORegion
		opts = append(opts, func(o *SSOOptions) { o.SessionName = s.Name })
	}
	ssoCfg.Region = region
	var client GetRoleCredentialsAPIClient
	if !r.keysOnly {
		client = sso.NewFromConfig(ssoCfg, func(o *sso.Options) {
			if r.logger != nil {
				o.APIOptions = append(o.APIOptions, logCalls(r.logger))
			}
		})
		var tp bearer.TokenProvider
		if r.ssoTokenOpts != nil && sc.SSOSessionName != "" {
			path, err := ssoCacheKeyPath(sc.SSOSessionName)
			if err != nil {
				return nil, fmt.Errorf("sessioncache: find the SSO token of profile %s: %w", sc.Profile, err)
			}
			tp = ssocreds.NewSSOTokenProvider(ssooidc.NewFromConfig(ssoCfg), path, r.ssoTokenOpts)
		} else {
			ts, err := r.ssoTokenSource(ssoCfg, sc)
			if err != nil {
				return nil, err
			}
			tp = ts
		}
		opts = append(opts, func(o *SSOOptions) { o.TokenProvider = tp })
	}
	return NewSSOFetcher(client, sc.SSOAccountID, sc.SSORoleName, startURL, opts...), nil
}
