// Package credserver serves AWS credentials to other processes over the
// container credentials contract, the local HTTP endpoint from which the
// AWS SDKs and the AWS CLI fetch and refresh credentials on their own:
//
//	AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/
//	AWS_CONTAINER_AUTHORIZATION_TOKEN=TOKEN
//
// A program given these two variables asks the server for credentials
// whenever its own are about to expire, so it can run for longer than one
// role session lasts. A Server is an http.Handler: serve it on a loopback
// listener of your own, or run `sessioncache serve`.
//
// # Quick start
//
//	cfg, err := sessioncache.LoadDefaultConfig(ctx, config.WithSharedConfigProfile("admin"))
//	token, err := credserver.NewToken()
//	srv, err := credserver.New(cfg.Credentials, token)
//	ln, err := net.Listen("tcp", "127.0.0.1:0")
//	err = srv.Load(ctx) // the cached session, or a new one (MFA prompt if need be)
//	go srv.Run(ctx)     // refresh ahead of expiry
//	go srv.Serve(ctx, ln)
//
// # The contract
//
// GET on the path (Options.Path, "/" by default) with the header
// "Authorization: TOKEN" (the raw token, no scheme) answers 200 with
//
//	{"AccessKeyId": "...", "SecretAccessKey": "...", "Token": "...",
//	 "Expiration": "2026-01-02T15:04:05Z", "AccountId": "123456789012"}
//
// Expiration is RFC 3339 in UTC; AccountId is left out when unknown;
// credentials that do not expire get an Expiration one hour ahead, since
// botocore requires one. A missing or wrong token answers 403 (the token
// is compared in constant time), another path 404, another method 405, and
// when the server holds no credentials valid for MinValidity, 503. Error
// answers carry {"code": ..., "message": ...}, the shape the Go SDK reads,
// and never a secret.
//
// # Refreshing
//
// Every 200 answer carries credentials that stay valid for at least
// MinValidity (15 minutes): boto3 fetches again on every use once fewer
// than 15 minutes remain and fails under 10, and the Go SDK refreshes 5
// minutes ahead. Requests are answered from memory, without calling the
// provider; Run refreshes in the background once the credentials come
// within RefreshWindow (20 minutes) of expiry, so an MFA prompt comes five
// minutes before the old credentials stop being served, and no request
// ever waits for a person.
//
// The provider must therefore return fresh credentials when called within
// RefreshWindow of expiry. A provider with an Invalidate method
// (aws.CredentialsCache) is invalidated before each refresh, and the
// refresh asks with sessioncache.WithRefreshAhead for credentials that stay
// valid for RefreshWindow more: the credentials of
// sessioncache.LoadDefaultConfig then refresh through the AWS CLI's file
// cache, under its lock, so a session another process refreshed is reused
// and the AWS CLI sees the one the server made. Refresh returns a
// *StaleError when the provider gives credentials that are already within
// the window.
//
// # Security
//
// Serve bounds what clients can hold: a header must arrive within
// ReadHeaderTimeout, an idle keep-alive connection is closed after
// IdleTimeout, at most MaxConns connections are open (an idle one makes
// room for a new one), every 4xx answer closes its connection, and
// refused requests are logged once per burst. A Server used as a plain
// http.Handler gets only the last two.
//
// Serve on a loopback address. The SDKs accept plain http only to loopback
// addresses and to 169.254.170.2, 169.254.170.23 and fd00:ec2::23. Anyone
// who holds the token can read the credentials: make it with NewToken and
// pass it only in the environment of the processes that need it.
package credserver
