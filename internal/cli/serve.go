package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/credserver"
	"github.com/sessioncache/sessioncache/internal/tty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The variables that point the SDKs and the AWS CLI at a credential
// server.
const (
	fullURIEnv   = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	authTokenEnv = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
	// botocore reads the relative URI before the full one, and both SDKs
	// read the token file before the token.
	relativeURIEnv   = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
	authTokenFileEnv = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
)

// serveFormats are the formats of export that set variables.
var serveFormats = exportFormats[1:]

func newServeCommand(g *globals) *cobra.Command {
	var f serverFlags
	var format string
	cmd := &cobra.Command{
		Use:   "serve [-p PROFILE] [--addr HOST:PORT] [--format FORMAT]",
		Short: "Serve the profile's credentials to SDKs on a local port, refreshed from the cache",
		Long: `Serve binds its address, takes the profile's credentials from the cache
when the AWS CLI would use them (more than 15 minutes left), or else
fetches them (asking for an MFA code if it must), prints the lines that
set AWS_CONTAINER_CREDENTIALS_FULL_URI and
AWS_CONTAINER_AUTHORIZATION_TOKEN, and serves the credentials there until
it gets SIGINT or SIGTERM. Every AWS SDK and the AWS CLI started with
those two variables (and no other credentials) fetch credentials from it,
and fetch again before they expire, so they can run for longer than a role
session lasts:

  (umask 077; sessioncache serve -p admin > ~/.aws/serve.env)   # in a terminal of its own
  . ~/.aws/serve.env                                              # in other shells

The token gives the credentials to whoever reads it: keep the file
private (umask 077 makes it 0600).

The server refreshes the credentials through the AWS CLI's cache 20
minutes before they expire; when that needs an MFA code, it asks on its
terminal while it goes on serving the old credentials. The credentials
of an aws login session (login_session), which last 15 minutes, are
refreshed five minutes before they expire, as botocore does.

Formats: env (the default), env-no-export, powershell, windows-cmd and fish.
The address must be a loopback one unless --allow-non-loopback is given.`,
		Example: "  sessioncache serve -p admin\n  sessioncache serve -p admin --addr 127.0.0.1:9911 --format fish",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), g, f, format, cmd.OutOrStdout())
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&format, "format", "env", "output `format`: "+strings.Join(serveFormats, ", "))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(serveFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runServe(ctx context.Context, g *globals, f serverFlags, format string, stdout io.Writer) error {
	if !slices.Contains(serveFormats, format) {
		return usageErrorf("unknown format %q: use one of %s", format, strings.Join(serveFormats, ", "))
	}
	ctx, caught, stop := onInterrupt(ctx)
	defer stop()
	f.quitOnInterrupt = true
	s, err := startServer(ctx, g, f)
	if err != nil {
		return quietInterrupt(g, caught(), err)
	}
	defer s.stop()
	// The variables that would send the SDKs elsewhere first, as exec
	// --server removes them; a .env file (env-no-export) cannot unset.
	var b strings.Builder
	if unset := envUnsetFormats[format]; unset != "" {
		for _, name := range []string{relativeURIEnv, authTokenFileEnv} {
			fmt.Fprintf(&b, unset, name)
		}
	}
	line := envLineFormats[format]
	fmt.Fprintf(&b, line+line, fullURIEnv, s.url, authTokenEnv, s.token)
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		return err
	}
	if fl, ok := stdout.(interface{ Flush() error }); ok {
		if err := fl.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(g.stderr, "sessioncache: serving the credentials of profile %s on %s until interrupted\n", g.quotedProfile(), s.url)
	warnDefaultProfile(ctx, g.stderr)
	<-ctx.Done()
	if s.phase.prompting.Load() {
		return quietInterrupt(g, caught(), sessioncache.ErrMFAPromptInterrupted)
	}
	return nil
}

// envUnsetFormats are the lines that unset a variable in each shell
// format that can.
var envUnsetFormats = map[string]string{
	"env":         "unset %s\n",
	"powershell":  "Remove-Item Env:%s -ErrorAction SilentlyContinue\n",
	"windows-cmd": "set %s=\n",
	"fish":        "set -e %s\n",
}

// serverFlags are the flags of serve and exec --server.
type serverFlags struct {
	addr             string
	allowNonLoopback bool
	chainMFASession  bool
	// quitOnInterrupt is set by serve, not a flag: see serverPhase.
	quitOnInterrupt bool
}

func (f *serverFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "`address` to listen on (port 0: a free one)")
	fs.BoolVar(&f.allowNonLoopback, "allow-non-loopback", false, "allow an address other than a loopback one (anyone who can reach it and has the token gets the credentials)")
	fs.BoolVar(&f.chainMFASession, "chain-mfa-session", false, "assume roles with the source profile's MFA session, without a code each hour (see docs/server.md)")
}

// credentialServer serves the selected profile's credentials on a port.
type credentialServer struct {
	url, token string
	cancel     context.CancelFunc
	done       chan struct{}
	phase      *serverPhase
}

// serverPhase is what a server's code source shares with its command.
type serverPhase struct {
	// background is set once the first credentials are served: codes
	// are then asked for only where no standard input is needed.
	background atomic.Bool
	// prompting is set while a code is asked for at the terminal in the
	// background.
	prompting atomic.Bool
	// quitOnInterrupt says that Ctrl-C at a background prompt ends the
	// command (serve), rather than the prompt only (exec --server, whose
	// command gets the Ctrl-C too and decides).
	quitOnInterrupt bool
}

// startServer binds f.addr, then loads the selected profile's credentials,
// prompting only when the cache has no session the AWS CLI would use, and
// serves them there, refreshing them ahead of expiry until stop is
// called.
func startServer(ctx context.Context, g *globals, f serverFlags) (_ *credentialServer, err error) {
	if err := checkAddr(f.addr, f.allowNonLoopback, g.stderr); err != nil {
		return nil, err
	}
	// Before any code is asked for: a busy port would waste it.
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w: choose another --addr, or port 0 for a free one", f.addr, unwrapOp(err))
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	phase := &serverPhase{quitOnInterrupt: f.quitOnInterrupt}
	provider := g.serverProvider(f.chainMFASession, phase)
	token, err := credserver.NewToken()
	if err != nil {
		return nil, err
	}
	minValidity, refreshWindow := credserver.DefaultMinValidity, credserver.DefaultRefreshWindow
	if src, _, _, _, lerr := g.loginSessionOf(ctx); lerr == nil && src != "" {
		if selected, _ := g.profileName(); src == selected {
			// An aws login session's credentials last 15 minutes at most:
			// serve them until shortly before they expire, and refresh
			// them when the login session itself does.
			minValidity, refreshWindow = loginServeMinValidity, sessioncache.DefaultLoginRefreshWindow
		}
	}
	srv, err := credserver.New(provider, token, func(o *credserver.Options) {
		o.Logger = g.logger()
		o.MinValidity, o.RefreshWindow = minValidity, refreshWindow
	})
	if err != nil {
		return nil, err
	}
	if err := loadServer(ctx, g, srv, minValidity); err != nil {
		return nil, err
	}
	phase.background.Store(true)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &credentialServer{
		url:    serverURL(ln.Addr().(*net.TCPAddr)),
		token:  token,
		cancel: cancel,
		done:   make(chan struct{}),
		phase:  phase,
	}
	go func() {
		defer close(s.done)
		srv.Serve(runCtx, ln)
	}()
	go srv.Run(runCtx)
	return s, nil
}

// loadServer gives srv its first credentials: the cached session when the
// AWS CLI would use it (more than 15 minutes left), with no prompt and no
// STS call, and otherwise new ones. Run asks for the next code in the
// background before the 15-minute line. minValidity is the server's.
func loadServer(ctx context.Context, g *globals, srv *credserver.Server, minValidity time.Duration) error {
	// A session with less than a minute to hand out is refreshed now.
	err := srv.Load(sessioncache.WithRefreshAhead(ctx, serveMargin))
	var stale *credserver.StaleError
	if err == nil || errors.As(err, &stale) && time.Until(stale.Expires) >= minValidity+serveMargin {
		return nil
	}
	if !errors.As(err, &stale) {
		if u := errors.Unwrap(err); u != nil {
			err = u
		}
		return err
	}
	// Fresh, they are already too short to hand out: clients would be
	// refused, and every refresh would call STS.
	return fmt.Errorf("profile %s: its new credentials last only %s, and the server hands out only credentials with %s left: raise the profile's duration_seconds to 1200 or more",
		g.quotedProfile(), shortDuration(time.Until(stale.Expires)), shortDuration(minValidity))
}

// loginServeMinValidity is how long the credentials of an aws login
// session stay valid at least when served: they are refreshed five
// minutes before they expire, so this is reached only while the sign-in
// service fails.
const loginServeMinValidity = time.Minute

// serveMargin is how long, past the 15 minutes the server keeps in hand,
// a session must last for the server to start with it.
const serveMargin = time.Minute

// unwrapOp drops the "listen tcp ADDR:" prefix of a net.OpError, which
// the message says already.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// stop closes the listener and its connections, and ends the refreshes
// without waiting for one under way: it may be waiting for an MFA code
// nobody will type now.
func (s *credentialServer) stop() {
	s.cancel()
	<-s.done
}

// serverURL is the URL clients on this host use for addr: an address
// that listens everywhere is reached on 127.0.0.1.
func serverURL(addr *net.TCPAddr) string {
	ip := addr.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return "http://" + net.JoinHostPort(ip.String(), fmt.Sprint(addr.Port)) + "/"
}

// checkAddr refuses an address that is not a loopback one unless allow is
// set, and then warns.
func checkAddr(addr string, allow bool, stderr io.Writer) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageErrorf("--addr %q is not HOST:PORT: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if host != "" && ip == nil {
		return usageErrorf("--addr %q: give the host as an IP address", addr)
	}
	if ip != nil && ip.IsLoopback() {
		return nil
	}
	if !allow {
		return usageErrorf("--addr %s is not a loopback address: anyone who can reach it and has the token would get the credentials; pass --allow-non-loopback to serve there anyway", addr)
	}
	fmt.Fprintf(stderr, "sessioncache: warning: serving credentials on %s, which is not a loopback address: anyone who can reach it and has the token gets them\n", addr)
	return nil
}

// serverProvider returns the selected profile's credentials with their
// real expiry; the server's refresh goes through the cache once they come
// within its refresh window (see sessioncache.WithRefreshAhead). Once background is set, an MFA code is asked
// for only at a terminal: standard input belongs to the command exec runs.
func (g *globals) serverProvider(chainMFASession bool, phase *serverPhase) aws.CredentialsProvider {
	l := g.loader()
	l.ChainMFASession = chainMFASession
	l.TokenProvider = g.serverTokenProvider(phase)
	opts := g.loadOptions()
	return aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		c, err := l.Credentials(ctx, opts...)
		if err != nil {
			return aws.Credentials{}, g.explain(err)
		}
		return c, nil
	})
}

// serverTokenProvider gives codes as the other commands do for the first
// fetch; once background is set, from the sources that need no standard
// input and no --mfa-token (used already): the profile's mfa_process, the
// terminal, then a dialog, saying on the terminal why a code is asked for.
func (g *globals) serverTokenProvider(phase *serverPhase) sessioncache.TokenProvider {
	first := g.tokenProvider()
	if first == nil {
		first = sessioncache.DefaultTokenProvider
	}
	profile := g.quotedProfile()
	return func(ctx context.Context, serial string) (string, error) {
		if !phase.background.Load() {
			return first(ctx, serial)
		}
		if haveTerminal() {
			fmt.Fprintf(g.stderr, "\nsessioncache: the credentials of profile %s are due for refresh\n", profile)
			phase.prompting.Store(true)
			defer phase.prompting.Store(false)
			code, err := sessioncache.DefaultTokenProvider(ctx, serial)
			if errors.Is(err, sessioncache.ErrMFAPromptInterrupted) {
				// The Ctrl-C ends serve, and most likely exec's command,
				// which got it too: wait for that, rather than report a
				// failed refresh. A command that goes on is asked for a
				// code again later.
				var later <-chan time.Time
				if !phase.quitOnInterrupt {
					later = time.After(credserver.DefaultRetryInterval)
				}
				select {
				case <-ctx.Done():
				case <-later:
				}
			}
			return code, err
		}
		code, err := unattended(ctx, serial)
		var unavailable *sessioncache.MFACodeUnavailableError
		if errors.As(err, &unavailable) {
			// A background job has no terminal: say how to give a code.
			fmt.Fprintf(g.stderr, "\nsessioncache: the credentials of profile %s are due for refresh and need an MFA code for %s, but serve has no terminal to ask on (it runs in the background, or without one): bring it to the foreground (fg) or set mfa_process in the profile; it keeps serving and asks again\n", profile, serial)
		}
		return code, err
	}
}

// unattended gives codes with no terminal: the profile's mfa_process,
// then a dialog.
var unattended = sessioncache.ChainTokenProviders(sessioncache.ProfileProcessTokenProvider, sessioncache.DialogTokenProvider)

// haveTerminal reports whether this process has a controlling terminal
// to prompt on, in the foreground; a variable so that tests can say there
// is none.
var haveTerminal = tty.Available
