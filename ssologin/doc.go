// Package ssologin signs in to AWS IAM Identity Center (SSO) as `aws sso
// login` of the AWS CLI v2 does, without the CLI, and keeps the SSO token
// fresh for any number of processes.
//
// # Signing in
//
// A TokenSource is made for a Session (an [sso-session NAME] section, or
// the sso_start_url and sso_region of a legacy profile; LoadSession reads
// them from ~/.aws/config). TokenSource.Login registers a public client
// with SSO OIDC (reusing the registration the AWS CLI v2 keeps, until 15
// minutes before it expires) and runs one of two flows:
//
//   - the authorization code flow with PKCE, for sso-session profiles: a
//     listener on a 127.0.0.1 port receives the browser's redirect, whose
//     state must match;
//   - the device authorization flow, for legacy profiles and with
//     Options.UseDeviceCode: a URL and a code the user enters on any
//     device, while CreateToken is polled every interval (5 seconds more
//     after each slow_down).
//
// The browser is opened with github.com/pkg/browser, unless
// Options.NoBrowser is set or there is no display; the URL and the user
// code are written to Options.Output either way.
//
// # The token file
//
// The token is written atomically, mode 0600, to
// ~/.aws/sso/cache/<sha1>.json, the SHA-1 being of the sso-session name or
// of the start URL, in the fields and layout of the AWS CLI v2 (startUrl,
// region, accessToken, expiresAt, clientId, clientSecret,
// registrationExpiresAt, refreshToken). botocore's SSOTokenProvider and the
// Go SDK's ssocreds use it as it is. Fields this package does not know are
// kept when it rewrites a file; a damaged file is a miss, replaced by the
// next sign-in.
//
// # Many processes
//
// TokenSource.Token returns the cached token while it is valid, and
// otherwise takes a lock every process shares (a lock file in LockDir, or
// Options.Locker), reads the file again, and only then refreshes
// the token (when fewer than 15 minutes remain and it has a refresh token)
// or, with Options.SignIn, signs in. Of many processes that find no valid
// token at once, one refreshes or signs in and the others use what it
// wrote: one browser tab, one device code, one single-use refresh token
// spent. Neither botocore nor the Go SDK locks; when a refresh token is
// refused because one of them spent it, the file is read again.
//
// Nothing this package logs, prints or returns holds an access token, a
// refresh token, a client secret or a code other than the user code.
package ssologin
