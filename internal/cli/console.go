package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/pkg/browser"
	"github.com/sessioncache/sessioncache/internal/console"
	"github.com/spf13/cobra"
)

// federationEndpointEnv overrides the getSigninToken endpoint, for tests
// against a local one.
const federationEndpointEnv = "SESSIONCACHE_FEDERATION_ENDPOINT"

// openBrowser opens a URL in the user's browser; tests replace it.
var openBrowser = func(u string) error {
	// The launcher's own output could echo the URL.
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	return browser.OpenURL(u)
}

type consoleFlags struct {
	print           bool
	region, service string
}

func newConsoleCommand(g *globals) *cobra.Command {
	var f consoleFlags
	cmd := &cobra.Command{
		Use:   "console [-p PROFILE] [--print] [--region R] [--service S]",
		Short: "Open the AWS console signed in with the profile's session",
		Long: `Console opens the AWS Management Console in the browser, signed in
with the profile's session from the shared cache: no prompt and no STS
call while the session lasts. Long-term keys first get a GetFederationToken
session with the user's permissions.

--print writes the sign-in URL on standard output instead; it signs in
whoever opens it for 15 minutes, so treat it as a secret. --region and
--service choose the page to land on (--service ec2, s3, lambda...).`,
		Example: "  sessioncache console -p admin\n  sessioncache console -p admin --service ec2 --region eu-west-1",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConsole(cmd.Context(), g, f, cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.print, "print", false, "write the sign-in URL on standard output instead of opening it")
	fl.StringVar(&f.region, "region", "", "`region` of the page to land on (default: the profile's)")
	fl.StringVar(&f.service, "service", "", "`service` whose page to land on (default: the console's home)")
	return cmd
}

func runConsole(ctx context.Context, g *globals, f consoleFlags, stdout io.Writer) error {
	// Refused before anything is sent anywhere.
	if _, err := console.Destination(f.region, f.service); err != nil {
		return usageErrorf("%w", err)
	}
	var endpoint *url.URL
	if raw := os.Getenv(federationEndpointEnv); raw != "" {
		var err error
		if endpoint, err = console.CheckEndpoint(raw); err != nil {
			return fmt.Errorf("%s: %w", federationEndpointEnv, err)
		}
	}
	cfg, err := g.signingConfig(ctx, f.region, "", "")
	if err != nil {
		return err
	}
	// The region may also come from the environment or the profile.
	destination, err := console.Destination(cfg.Region, f.service)
	if err != nil {
		return configErrorf("%w", err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	log := g.logger()
	if creds.SessionToken == "" {
		profile, _ := g.profileName()
		log.Debug("getting a federation session for long-term keys", "profile", profile)
		if creds, err = console.FederationToken(ctx, sts.NewFromConfig(cfg), profile); err != nil {
			return err
		}
	}
	hosts := console.HostsFor(cfg.Region)
	if endpoint == nil {
		endpoint, _ = url.Parse(hosts.FederationEndpoint())
	}
	client := &http.Client{Timeout: 30 * time.Second}
	token, err := console.SigninToken(ctx, client, endpoint, creds)
	if err != nil {
		return err
	}
	log.Debug("got a sign-in token", "endpoint", endpoint.Host, "signin", hosts.Signin, "destination", destination)
	login := console.LoginURL(hosts.Signin, destination, token)
	if f.print {
		_, err := io.WriteString(stdout, login+"\n")
		return err
	}
	if err := openBrowser(login); err != nil {
		log.Debug("opening a browser failed", "error", err)
		return errors.New("no browser could be opened: pass --print to get the sign-in URL, and open it yourself")
	}
	fmt.Fprintf(g.stderr, "sessioncache: opened the AWS console as %s in the browser\n", g.quotedProfile())
	return nil
}
