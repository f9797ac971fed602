package cli

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sessioncache/sessioncache/internal/ekstoken"
)

// cmdEKSCheck checks the ExecCredential on the last command's standard
// output as the cluster's authenticator checks its token, and prints the
// token's URL, one parameter a line after it, for the script to match:
//
//	ekscheck [-local] CLUSTER
//
// -local takes a URL of the local STS (AWS_ENDPOINT_URL_STS), which the
// authenticator would refuse, and checks only its shape.
func cmdEKSCheck(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("ekscheck", flag.ContinueOnError)
	local := fs.Bool("local", false, "the URL is the local STS's")
	ts.Check(fs.Parse(args))
	if neg || fs.NArg() != 1 {
		ts.Fatalf("usage: ekscheck [-local] CLUSTER")
	}
	var doc struct {
		Kind   string
		Status struct {
			ExpirationTimestamp string
			Token               string
		}
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile("stdout")), &doc))
	if doc.Kind != "ExecCredential" {
		ts.Fatalf("kind is %q", doc.Kind)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(doc.Status.Token, ekstoken.Prefix))
	ts.Check(err)
	token := doc.Status.Token
	if *local {
		// Check the rest as if the local STS were a real one.
		_, rest, _ := strings.Cut(string(raw), "/?")
		token = ekstoken.Prefix + base64.RawURLEncoding.EncodeToString([]byte("https://sts.us-east-1.amazonaws.com/?"+rest))
	}
	if _, err := ekstoken.Verify(token, fs.Arg(0), time.Now(), nil); err != nil {
		ts.Fatalf("the authenticator would refuse the token: %v", err)
	}
	exp, err := time.Parse(time.RFC3339, doc.Status.ExpirationTimestamp)
	ts.Check(err)
	u, _, _ := strings.Cut(string(raw), "?")
	fmt.Fprintln(ts.Stdout(), u)
	_, query, _ := strings.Cut(string(raw), "?")
	for p := range strings.SplitSeq(query, "&") {
		if k, v, _ := strings.Cut(p, "="); k == "X-Amz-Date" {
			signed, err := time.Parse("20060102T150405Z", v)
			ts.Check(err)
			if !exp.Equal(signed.Add(14 * time.Minute)) {
				ts.Fatalf("expirationTimestamp %s is not X-Amz-Date %s plus 14 minutes", exp, signed)
			}
		}
		if strings.HasPrefix(p, "X-Amz-Security-Token=") || strings.HasPrefix(p, "X-Amz-Signature=") {
			p, _, _ = strings.Cut(p, "=")
			p += "=..."
		}
		fmt.Fprintln(ts.Stdout(), p)
	}
}
