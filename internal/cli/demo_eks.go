package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/ekstoken"
	"github.com/sessioncache/sessioncache/ststest"
)

var (
	demoTokenRE  = regexp.MustCompile(`k8s-aws-v1\.[A-Za-z0-9_-]+`)
	demoSigninRE = regexp.MustCompile(`SigninToken=[^&\s]+`)
)

// demoEKSAndConsole shows the demo role's cached session sign a token for
// kubectl and a console sign-in, with no prompt and no STS call; a local
// federation endpoint stands in for AWS's.
func demoEKSAndConsole(ctx context.Context, g *globals, w io.Writer, st style, srv *ststest.Server, cacheDir string) error {
	fmt.Fprintf(w, "%s\n", st.bold("7. kubectl and the AWS console, from the role's cached session: no prompt, no STS call"))
	dg := &globals{profile: demoProfile, cacheDir: cacheDir, debug: g.debug, mfaSession: true,
		lockTimeout: sessioncache.DefaultLockTimeout, stdin: bytes.NewReader(nil), stdout: io.Discard, stderr: g.stderr}
	var out bytes.Buffer
	if err := runEKSToken(ctx, dg, eksTokenFlags{cluster: "demo"}, &out); err != nil {
		return fmt.Errorf("demo: eks-token: %w", err)
	}
	fmt.Fprintf(w, "   %s %s\n", "$ sessioncache eks-token --cluster-name demo -p demo", st.dim("# what kubectl runs, for every command"))
	shown := demoTokenRE.ReplaceAllStringFunc(out.String(), func(t string) string { return ekstoken.Prefix + hidden(strings.TrimPrefix(t, ekstoken.Prefix)) })
	fmt.Fprint(w, indent(shown, "   │ "))

	fed := ststest.NewFederationServer(srv)
	defer fed.Close()
	// The demo's environment is put back as it was when it ends.
	if err := os.Setenv(federationEndpointEnv, fed.URL+"/federation"); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	out.Reset()
	if err := runConsole(ctx, dg, consoleFlags{print: true}, &out); err != nil {
		return fmt.Errorf("demo: console: %w", err)
	}
	fmt.Fprintf(w, "   %s %s\n", "$ sessioncache console -p demo --print", st.dim("# without --print, the browser opens it"))
	shown = demoSigninRE.ReplaceAllStringFunc(out.String(), func(t string) string { return "SigninToken=" + hidden(t[len("SigninToken="):]) })
	fmt.Fprint(w, indent(shown, "   │ "))
	fmt.Fprintf(w, "   %s\n\n", st.dim(fmt.Sprintf("(the sign-in token came from a local federation endpoint, so the URL signs in nowhere; STS AssumeRole calls: still %d)", srv.Calls("AssumeRole"))))
	return nil
}
