// Package ststest provides a local AWS Security Token Service (STS), a
// local IAM Identity Center (SSO) portal, a local SSO OIDC service (the
// sign-in: [OIDCServer]) and a local sign-in service of `aws login`
// sessions ([SigninServer]) for tests, in the spirit of net/http/httptest.
//
// Point any AWS SDK or the AWS CLI at [Server.URL] (for aws-sdk-go-v2, set
// BaseEndpoint on sts.Options, or AWS_ENDPOINT_URL_STS in the environment)
// and it answers over real HTTP, in the STS query protocol, with the XML
// documents and errors real STS sends. The package depends on the standard
// library and this module's own code only.
//
// # Actions
//
// The server answers AssumeRole, GetSessionToken, GetCallerIdentity,
// GetFederationToken and AssumeRoleWithWebIdentity. It checks parameters
// against the constraints of the STS API (role ARN shape, session name
// length and characters, DurationSeconds range, token code format, policy
// JSON) and answers violations with ValidationError, worded as STS words it.
//
// Issued credentials look like real ones (ASIA access key IDs, 40-character
// secrets, long session tokens) and expire at the clock's now plus the
// requested duration, written as 2006-01-02T15:04:05Z. The server
// remembers them: they sign later calls, so role chains work and
// GetCallerIdentity answers with the assumed-role ARN. Assuming a role
// with another role's credentials is role chaining, limited to one hour as
// in AWS. GetSessionToken refuses session credentials, as AWS does.
//
// # Authentication
//
// Every action but AssumeRoleWithWebIdentity must be SigV4-signed, in the
// Authorization header or a presigned URL. The server checks the shape of
// the signature, not its value, so tests may sign with any secret. Keys the
// server did not issue belong to an IAM user (Options.UserName) of
// Options.AccountID. With Options.VerifySignatures the signature itself is
// checked too (see [VerifySignature]), with the secrets the server issued
// and those of Options.Secrets, as for presigned EKS tokens. Keys it issued
// must come with their session token (else InvalidClientTokenId) and stop
// working at their expiration (then ExpiredToken).
//
// # MFA
//
// A call carrying SerialNumber must carry a six-digit TokenCode, equal to
// Options.MFACode when that is set (see [Server.SetMFACode]); a wrong code
// gets AccessDenied with STS's own message. With Options.RequireMFA, calls
// without MFA are refused, as for a role whose trust policy requires it,
// unless they are signed with credentials obtained with MFA.
//
// # Errors
//
// Errors are ErrorResponse documents with the HTTP status AWS uses (400 for
// ValidationError, 403 for AccessDenied, InvalidClientTokenId and
// ExpiredToken), so SDKs surface them as their typed API errors.
// [Server.FailNext] injects any error, such as Throttling, for retry tests.
//
// # Inspecting calls
//
// [Server.Calls] counts answered requests by action and [Server.Requests]
// returns what was sent, for assertions such as "the second run used the
// cache and did not call STS". The other servers have the same two
// methods, and FailNext.
//
// # Console sign-in
//
// [FederationServer] is the sign-in federation endpoint: getSigninToken
// turns the server's role and federation sessions into sign-in tokens,
// with the rules the real endpoint applies to SessionDuration, and login
// redirects to the destination.
//
// # SSO
//
// [SSOServer] is the portal API behind SSO profiles: GetRoleCredentials
// turns an access token into role credentials. Point the SDK's sso client
// at [SSOServer.URL]; with SSOOptions.STS set, the credentials it hands out
// also sign calls to that STS.
//
// # aws login
//
// [SigninServer] is the sign-in service of `aws login` sessions
// (login_session profiles): /v1/authorize of the browser sign-in, and
// CreateOAuth2Token at /v1/token, which verifies each request's DPoP
// proof (signature, htm, htu, iat window, single-use jti, and the key the
// refresh token is bound to) and rotates refresh tokens. Point
// AWS_ENDPOINT_URL_SIGNIN at [SigninServer.URL]; [SigninServer.SignIn]
// returns a token file as `aws login` writes it.
package ststest
