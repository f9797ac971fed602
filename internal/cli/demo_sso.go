package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/ssologin"
	"github.com/sessioncache/sessioncache/ststest"
)

// The demo's IAM Identity Center profiles: two roles of one sso-session.
const demoSSOConfig = `
[sso-session demo-corp]
sso_start_url = https://d-demo.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile demo-sso]
sso_session = demo-corp
sso_account_id = 123456789012
sso_role_name = Developer

[profile demo-sso-admin]
sso_session = demo-corp
sso_account_id = 123456789012
sso_role_name = Admin
`

// demoSSO is the local IAM Identity Center of the demo.
type demoSSO struct {
	oidc   *ststest.OIDCServer
	portal *ststest.SSOServer
}

func newDemoSSO() *demoSSO {
	d := &demoSSO{portal: ststest.NewSSOServer()}
	d.oidc = ststest.NewOIDCServer(func(o *ststest.OIDCOptions) { o.Portal = d.portal })
	return d
}

func (d *demoSSO) Close() {
	d.oidc.Close()
	d.portal.Close()
}

// env points the SDK's SSO clients at the local service.
func (d *demoSSO) env() map[string]string {
	return map[string]string{"AWS_ENDPOINT_URL_SSO_OIDC": d.oidc.URL, "AWS_ENDPOINT_URL_SSO": d.portal.URL}
}

// run shows an SSO sign-in with a simulated approval, the role
// credentials it gives, and a second program that needs no sign-in.
func (d *demoSSO) run(ctx context.Context, g *globals, w io.Writer, st style, cacheDir string, tilde func(string) string) error {
	fmt.Fprintf(w, "%s\n", st.bold("5. IAM Identity Center (SSO): sign in once, with no AWS CLI v2"))
	fmt.Fprint(w, indent(demoSSOConfig[1:], "   │ "), "\n")

	// The person at the browser approves the code once it is shown.
	out := &indentWriter{w: w, prefix: "   │ "}
	go func() {
		code, err := d.oidc.WaitForUserCode(time.Minute)
		for i := 0; err == nil && i < 6000 && !out.shown(code); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if err == nil {
			out.note("   " + st.dim("(simulated: the user enters "+code+" in the browser and allows access)") + "\n")
			_ = d.oidc.Approve(code)
		}
	}()
	signIn := &sessioncache.Loader{CacheDir: cacheDir, Logger: g.logger(), SSOLoginOptions: func(o *ssologin.Options) {
		o.SignIn = true
		o.UseDeviceCode = true
		o.NoBrowser = true
		o.Output = out
	}}
	keyID, err := demoSSOCredentials(ctx, signIn, "demo-sso")
	if err != nil {
		return fmt.Errorf("demo: SSO sign-in: %w", err)
	}
	token := filepath.Join(filepath.Dir(filepath.Dir(cacheDir)), "sso", "cache", ssologin.CacheKey("demo-corp", "")+".json")
	fmt.Fprintf(w, "   got %s for Developer %s\n", keyID, st.dim(fmt.Sprintf("(sign-ins: %d, GetRoleCredentials calls: %d)", d.oidc.Calls("StartDeviceAuthorization"), d.portal.Calls("GetRoleCredentials"))))
	fmt.Fprintf(w, "   the SSO token is in %s, where the AWS CLI v2, boto3 and the Go SDK read it\n\n", tilde(token))

	fmt.Fprintf(w, "%s\n", st.bold("6. Another program, another role of the same session: no sign-in"))
	other := &sessioncache.Loader{CacheDir: cacheDir, Logger: g.logger(), SSOLoginOptions: func(o *ssologin.Options) { o.SignIn = false }}
	keyID, err = demoSSOCredentials(ctx, other, "demo-sso-admin")
	if err != nil {
		return fmt.Errorf("demo: second SSO use: %w", err)
	}
	fmt.Fprintf(w, "   got %s for Admin with the cached token %s\n\n", keyID, st.dim(fmt.Sprintf("(sign-ins: still %d, GetRoleCredentials calls: %d)", d.oidc.Calls("StartDeviceAuthorization"), d.portal.Calls("GetRoleCredentials"))))
	return nil
}

func demoSSOCredentials(ctx context.Context, l *sessioncache.Loader, profile string) (string, error) {
	cfg, err := l.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(profile))
	if err != nil {
		return "", err
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return "", err
	}
	return maskKeyID(creds.AccessKeyID), nil
}

// indentWriter puts a prefix before every line written through it, and
// remembers what was written.
type indentWriter struct {
	w      io.Writer
	prefix string

	mu      sync.Mutex
	mid     bool
	written bytes.Buffer
}

// shown reports whether s has been written.
func (iw *indentWriter) shown(s string) bool {
	iw.mu.Lock()
	defer iw.mu.Unlock()
	return bytes.Contains(iw.written.Bytes(), []byte(s))
}

// note writes s as it is, between the lines written through iw.
func (iw *indentWriter) note(s string) {
	iw.mu.Lock()
	defer iw.mu.Unlock()
	_, _ = io.WriteString(iw.w, s)
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	iw.mu.Lock()
	defer iw.mu.Unlock()
	iw.written.Write(p)
	for _, line := range bytes.SplitAfter(p, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !iw.mid {
			if _, err := io.WriteString(iw.w, iw.prefix); err != nil {
				return 0, err
			}
		}
		if _, err := iw.w.Write(line); err != nil {
			return 0, err
		}
		iw.mid = line[len(line)-1] != '\n'
	}
	return len(p), nil
}
