package sessioncache

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
)

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
