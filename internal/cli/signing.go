package cli

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sessioncache/sessioncache"
)

// signingConfig returns the configuration that signs something for the
// selected profile, eks-token's token and console's sign-in: its region
// (region when set) and STS endpoint as the SDK resolves them, and
// credentials already retrieved from the shared cache as export
// retrieves them, so that a missing session fails here with the message
// export gives. With roleARN, the credentials are that role's, assumed
// from the profile's as sessionName and cached under the key botocore
// gives that role and session name.
func (g *globals) signingConfig(ctx context.Context, region, roleARN, sessionName string) (aws.Config, error) {
	opts := g.loadOptions()
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	// The loader, not the SDK, reads a role whose source is an aws login
	// session; the credentials it sets are replaced below, not retrieved.
	cfg, err := g.loader().LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, g.explain(err)
	}
	var creds aws.Credentials
	if roleARN == "" {
		creds, err = g.credentials(ctx)
	} else {
		creds, err = g.roleCredentials(ctx, cfg, roleARN, sessionName)
	}
	if err != nil {
		return aws.Config{}, err
	}
	cfg.Credentials = credentials.StaticCredentialsProvider{Value: creds}
	return cfg, nil
}

// roleCredentials returns a session of roleARN from the cache, or assumes
// it with the profile's credentials, which are retrieved only then.
func (g *globals) roleCredentials(ctx context.Context, cfg aws.Config, roleARN, sessionName string) (aws.Credentials, error) {
	dir, err := g.cacheDirPath()
	if err != nil {
		return aws.Credentials{}, err
	}
	source := &profileSource{g: g}
	cfg.Credentials = source
	f := sessioncache.NewAssumeRoleFetcher(sts.NewFromConfig(cfg), roleARN, func(o *sessioncache.AssumeRoleOptions) {
		o.RoleSessionName = sessionName
	})
	cache := sessioncache.NewFileCache(dir, func(o *sessioncache.FileCacheOptions) {
		o.Logger, o.OnWait, o.LockTimeout = g.logger(), g.onWait, g.lockTimeout
	})
	p := sessioncache.NewProvider(f, func(o *sessioncache.ProviderOptions) {
		o.Cache, o.Logger = cache, g.logger()
	})
	creds, err := p.Retrieve(ctx)
	if source.err != nil {
		// The SDK would bury the reason under its signing error.
		return aws.Credentials{}, source.err
	}
	return creds, err
}

// profileSource gives the profile's credentials to the STS client that
// assumes a role, and keeps the error that stopped it.
type profileSource struct {
	g   *globals
	err error
}

func (r *profileSource) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := r.g.credentials(ctx)
	r.err = err
	return creds, err
}
