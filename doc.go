// Package sessioncache makes aws-sdk-go-v2 share the AWS CLI's credential
// cache, so that Go programs, the AWS CLI and boto3 need one MFA code per
// role session instead of one per process.
//
// The SDK keeps the credentials of an assumed role in memory only: every
// new process assumes the role again and, when the role needs MFA, asks
// for a code again. The AWS CLI keeps them in ~/.aws/cli/cache until they
// near expiry. This package reads and writes that cache exactly as
// botocore does, so an entry the CLI made serves a Go program and the
// other way round.
//
// # Quick start
//
// Replace config.LoadDefaultConfig with LoadDefaultConfig; nothing else
// changes:
//
//	cfg, err := sessioncache.LoadDefaultConfig(ctx, config.WithRegion("eu-west-1"))
//	if err != nil {
//		return err
//	}
//	client := s3.NewFromConfig(cfg)
//
// Or build a client in one call, as boto3's client('ecs', region_name=...):
//
//	client, err := sessioncache.NewClient(ctx, ecs.NewFromConfig, func(o *ecs.Options) {
//		o.Region = "us-west-2"
//	})
//
// A Loader sets the cache directory, the MFA TokenProvider, the expiry
// window, or turns the file cache off.
//
// # What is cached
//
// When the selected profile (AWS_PROFILE, config.WithSharedConfigProfile,
// or default) sets role_arn with source_profile or credential_source,
// every role of the chain is cached under the key botocore gives it. An
// entry with at least 15 minutes left is used with no MFA prompt and no
// STS call; otherwise STS is called once and the response written to the
// cache. Every other kind of profile is resolved by the SDK itself.
//
// # Compatibility
//
// Keys are the SHA-1 of Python's json.dumps(args, sort_keys=True) of the
// AssumeRole parameters the profile sets, so they match botocore's for
// every setting, including role_session_name, external_id, mfa_serial and
// duration_seconds. DurationSeconds is sent only when the profile sets it,
// as the AWS CLI does. Files are the STS response as botocore writes it;
// every spelling of Expiration the AWS CLI and boto3 write is read, and
// unknown fields are kept. The MFA prompt, "Enter MFA code for <serial>: ",
// is written to the controlling terminal, so it works when standard output
// is captured.
//
// # Processes and files
//
// Before it calls STS, a Provider takes a lock beside the entry and reads
// the cache again: of many processes that start together, one prompts and
// the others use what it wrote. Entries are written to a temporary file
// and renamed into place with mode 0600. A damaged entry is a cache miss;
// so is one that another user could have written or planted.
package sessioncache
