package cli

import (
	"errors"
	"flag"
	"net/url"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sessioncache/sessioncache/ststest"
)

// browserLogEnv names the file where scripts' browser writes the URLs it
// is asked to open; unset, opening fails as with no browser.
const browserLogEnv = "SESSIONCACHE_TEST_BROWSER_LOG"

// scriptBrowser stands in for the browser in scripts.
func scriptBrowser(u string) error {
	path := os.Getenv(browserLogEnv)
	if path == "" {
		return errors.New("no browser")
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(u + "\n")
	return err
}

type federationKey struct{}

// cmdFederationTest starts a local federation endpoint for the script's
// local STS and points console at it:
//
//	federationtest [-fail STATUS] [-type TYPE] [-body BODY]
//
// -fail makes every answer STATUS, with BODY of content type TYPE.
func cmdFederationTest(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("federationtest", flag.ContinueOnError)
	fail := fs.Int("fail", 0, "answer this status")
	typ := fs.String("type", "text/plain", "content type of the failure")
	body := fs.String("body", "", "body of the failure")
	ts.Check(fs.Parse(args))
	sts := *ts.Value(stsKey{}).(**ststest.Server)
	if neg || sts == nil {
		ts.Fatalf("usage: federationtest [-fail STATUS] [-type TYPE] [-body BODY], after ststest")
	}
	f := ststest.NewFederationServer(sts)
	ts.Defer(f.Close)
	if *fail != 0 {
		f.FailNext(1<<20, *fail, *typ, *body)
	}
	*ts.Value(federationKey{}).(**ststest.FederationServer) = f
	ts.Setenv(federationEndpointEnv, f.URL+"/federation")
}

// cmdSignin checks the console sign-in URL in a file (the last command's
// stdout, or the browser's log) and prints what it is made of, for the
// script to match, after logging in with it at the local endpoint:
//
//	signin FILE
//
// It prints the sign-in host, the issuer, the destination, the identity
// the token signs in as, and the federation calls, one a line.
func cmdSignin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: signin FILE")
	}
	f := *ts.Value(federationKey{}).(**ststest.FederationServer)
	text := strings.TrimSpace(ts.ReadFile(args[0]))
	if strings.Count(text, "\n") != 0 {
		ts.Fatalf("%s holds more than the URL", args[0])
	}
	u, err := url.Parse(text)
	ts.Check(err)
	q := u.Query()
	if u.Scheme != "https" || u.Path != "/federation" || q.Get("Action") != "login" || len(q) != 4 {
		ts.Fatalf("not a login URL: %s://%s%s with %d parameters", u.Scheme, u.Host, u.Path, len(q))
	}
	arn, ok := f.SigninIdentity(q.Get("SigninToken"))
	if !ok {
		ts.Fatalf("the sign-in token is not one the endpoint gave out")
	}
	for _, line := range []string{"host " + u.Host, "issuer " + q.Get("Issuer"), "destination " + q.Get("Destination"), "identity " + arn} {
		ts.Stdout().Write([]byte(line + "\n"))
	}
	for _, r := range f.Requests() {
		ts.Stdout().Write([]byte("request " + r.Action + " duration=" + r.SessionDuration + "\n"))
	}
}
