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
// Every temporary credential the AWS CLI caches, each under the key and in
// the form the CLI gives it:
//
//   - assumed roles: role_arn with source_profile or credential_source,
//     every role of a chain under its own key;
//   - web identity roles: role_arn with web_identity_token_file, or, when
//     no profile is chosen in code and no keys are in the environment,
//     AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE (and
//     AWS_ROLE_SESSION_NAME); the token file is read only to call STS;
//   - SSO role credentials: sso_session (or the legacy sso_start_url)
//     with sso_account_id and sso_role_name, as AWS CLI v2 caches them;
//     the SSO token comes from package ssologin, which refreshes it under
//     a lock every process shares and, on a terminal (see EnvSSOSignIn),
//     signs in when there is none;
//   - `aws login` sessions: login_session, whose credentials live in the
//     token file the AWS CLI, botocore and the SDK share, refreshed there
//     by one process at a time (see LoginSessionProvider); a role whose
//     source is one is cached as any role.
//
// And, with Loader.MFASession, one the AWS CLI cannot: a profile with
// long-term keys and mfa_serial but no role_arn gets an MFA session
// (GetSessionToken), prompted for once and cached for 12 hours, or for its
// duration_seconds. Without it, as in the SDK and the AWS CLI, the keys
// are used as they are. A role whose source_profile is such a profile is
// assumed as the AWS CLI does, with the code on AssumeRole, unless
// Loader.ChainMFASession assumes it from the session instead.
//
// The credentials are selected as the SDK selects them: the profile of
// config.WithSharedConfigProfile, else keys in the environment, else a web
// identity in the environment, else the profile AWS_PROFILE or default.
// An entry with at least 15 minutes left is used with no MFA prompt and no
// call; otherwise the service is called once and the response written to
// the cache. Every other kind of profile is resolved by the SDK itself.
//
// # Compatibility
//
// Keys are the SHA-1 of Python's json.dumps(args, sort_keys=True) of the
// AssumeRole parameters the profile sets (for SSO, of the account, role
// and session name or start URL), so they match botocore's for
// every setting, including role_session_name, external_id, mfa_serial and
// duration_seconds. DurationSeconds is sent only when the profile sets it,
// as the AWS CLI does. Files are the STS response as botocore writes it;
// every spelling of Expiration the AWS CLI and boto3 write is read, and
// unknown fields are kept.
//
// # MFA codes
//
// DefaultTokenProvider takes a code from the profile's mfa_process (as
// aws-vault does), else from the controlling terminal ("Enter MFA code
// for <serial>: ", without echo, so it works when standard output is
// captured; Ctrl-C restores the terminal), else, with no terminal, from a
// desktop dialog. Standard input is never read. A code STS refuses is
// asked for again from the same source, up to three codes, and never sent
// twice. Loader.TokenProvider replaces the default; ChainTokenProviders
// composes sources.
//
// # Processes and files
//
// Before it calls STS, a Provider takes a lock beside the entry and reads
// the cache again: of many processes that start together, one prompts and
// the others use what it wrote. A waiter gives up after
// DefaultLockTimeout (Loader.LockTimeout) or the context's deadline, with
// a *LockTimeoutError naming the holder. Entries are written to a temporary file
// and renamed into place with mode 0600. A damaged entry is a cache miss;
// so is one that another user could have written or planted. SSO tokens
// and client registrations get the same checks and the same lock.
//
// A line of the shared config or credentials file that cannot be parsed
// (a header without its closing bracket, a setting before any section, a
// line without "=") is a *ConfigParseError naming the file and the line,
// for every profile, as the AWS CLI stops with ConfigParseError. A process
// in a background job, outside its terminal's foreground process group,
// has no terminal to prompt on: it is never stopped by SIGTTOU.
//
// # Long-running programs
//
// Package credserver serves a Loader's credentials to other processes over
// the container credentials endpoint the SDKs refresh from, so a program
// can outlive one role session; `sessioncache serve` and
// `sessioncache exec --server` run it.
package sessioncache
