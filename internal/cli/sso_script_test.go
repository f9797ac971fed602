package cli

import (
	"flag"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sessioncache/sessioncache/ststest"
)

type ssoKey struct{}

// ssoServers are a script's local IAM Identity Center: the OIDC service
// that signs in and the portal that gives role credentials.
type ssoServers struct {
	oidc   *ststest.OIDCServer
	portal *ststest.SSOServer
}

// cmdSSOTest starts a local IAM Identity Center for the script and points
// the SDKs at it:
//
//	ssotest [-auto] [-deny] [-sts]
//
// -auto approves every sign-in at once; -deny denies every one; otherwise
// ssoapprove approves the pending one. -sts makes the role credentials the
// portal gives known to the ststest started before, and so to its
// federation endpoint.
func cmdSSOTest(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! ssotest")
	}
	fs := flag.NewFlagSet("ssotest", flag.ContinueOnError)
	auto := fs.Bool("auto", false, "approve every sign-in")
	deny := fs.Bool("deny", false, "deny every sign-in")
	linked := fs.Bool("sts", false, "make the role credentials known to the ststest started before")
	ts.Check(fs.Parse(args))
	portal := ststest.NewSSOServer(func(o *ststest.SSOOptions) {
		if *linked {
			if o.STS = *ts.Value(stsKey{}).(**ststest.Server); o.STS == nil {
				ts.Fatalf("ssotest -sts: no ststest running")
			}
		}
	})
	ts.Defer(portal.Close)
	oidc := ststest.NewOIDCServer(func(o *ststest.OIDCOptions) {
		o.AutoApprove = *auto
		o.Deny = *deny
		o.Portal = portal
	})
	ts.Defer(oidc.Close)
	*ts.Value(ssoKey{}).(**ssoServers) = &ssoServers{oidc: oidc, portal: portal}
	ts.Setenv("AWS_ENDPOINT_URL_SSO_OIDC", oidc.URL)
	ts.Setenv("AWS_ENDPOINT_URL_SSO", portal.URL)
}

func scriptSSO(ts *testscript.TestScript) *ssoServers {
	s := *ts.Value(ssoKey{}).(**ssoServers)
	if s == nil {
		ts.Fatalf("no ssotest running")
	}
	return s
}

// cmdSSOApprove waits for a sign-in to show its user code and approves it,
// as a person at the verification page:
//
//	ssoapprove
func cmdSSOApprove(ts *testscript.TestScript, neg bool, args []string) {
	s := scriptSSO(ts)
	code, err := s.oidc.WaitForUserCode(30 * time.Second)
	ts.Check(err)
	ts.Check(s.oidc.Approve(code))
}

// cmdSSOCalls checks how many calls of an operation the local OIDC
// service or portal answered:
//
//	ssocalls OPERATION N
func cmdSSOCalls(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: ssocalls OPERATION N")
	}
	s := scriptSSO(ts)
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	got := s.oidc.Calls(args[0]) + s.portal.Calls(args[0])
	if (got == want) == neg {
		ts.Fatalf("%d %s calls; want %d", got, args[0], want)
	}
}
