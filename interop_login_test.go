package sessioncache_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/loginsession"
	"github.com/sessioncache/sessioncache/internal/peertest"
	"github.com/sessioncache/sessioncache/ststest"
)

const loginPeerSession = "arn:aws:iam::123456789012:user/alice"

// botocoreLogin prints the access key botocore 1.43's login provider gets
// for the profile login. Its provider signs DPoP proofs with awscrt, which
// this image lacks at a usable version; the script supplies the same EC
// primitive (SEC1 DER key, ES256 over a digest, r‖s) from cryptography.
const botocoreLogin = `
import botocore.credentials as bc, botocore.session
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

class _Key:
    def __init__(self, k):
        self.k = k
    def get_public_coords(self):
        n = self.k.public_key().public_numbers()
        return n.x.to_bytes(32, 'big'), n.y.to_bytes(32, 'big')
    def sign(self, digest):
        return self.k.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))

class EC:
    @staticmethod
    def new_key_from_der_data(der):
        return _Key(serialization.load_der_private_key(der, None))
    @staticmethod
    def decode_der_signature_to_padded_pair(sig, pad_to):
        r, s = utils.decode_dss_signature(sig)
        return r.to_bytes(pad_to, 'big') + s.to_bytes(pad_to, 'big')

if bc.EC is None:
    bc.EC = EC
creds = botocore.session.Session(profile='login').get_credentials().get_frozen_credentials()
print(creds.access_key)
`

// loginPeerWorld makes a HOME whose profile login is a login session, a
// local sign-in service, and the session's token file, expired, and points
// this process at them as a Go program run in that HOME would be.
func loginPeerWorld(t *testing.T) (*ststest.SigninServer, string, []string) {
	t.Helper()
	srv := ststest.NewSigninServer(func(o *ststest.SigninOptions) { o.Session = loginPeerSession })
	t.Cleanup(srv.Close)
	h := peertest.NewHome(t, "[profile login]\nlogin_session = "+loginPeerSession+"\nregion = us-east-1\n", "")
	path := loginsession.Path(filepath.Join(h.Dir, ".aws", "login", "cache"), loginPeerSession)
	data, err := srv.SignIn(-time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	env := h.Env(nil, "AWS_PROFILE=login", "AWS_ENDPOINT_URL_SIGNIN="+srv.URL)
	adoptEnv(t, env)
	return srv, path, env
}

func loginPeerToken(t *testing.T, path string) *loginsession.Token {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := loginsession.Parse(data)
	if err != nil {
		t.Fatalf("the token file no longer parses: %v", err)
	}
	return tok
}

// goLogin retrieves the profile's access key ID through sessioncache.
func goLogin(t *testing.T) string {
	t.Helper()
	return loadedKey(t, sessioncache.LoadDefaultConfig)
}

// sdkLogin retrieves it through the plain SDK (credentials/logincreds).
func sdkLogin(t *testing.T) string {
	t.Helper()
	return loadedKey(t, config.LoadDefaultConfig)
}

func loadedKey(t *testing.T, load func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error)) string {
	t.Helper()
	cfg, err := load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return creds.AccessKeyID
}

func botocoreKey(t *testing.T, env []string) string {
	t.Helper()
	out, stderr, err := peertest.Python(t, env, botocoreLogin, "")
	if err != nil {
		t.Fatalf("botocore: %v: %s", err, stderr)
	}
	return strings.TrimSpace(out)
}

func TestInteropLoginGoRefreshesBotocoreReads(t *testing.T) {
	srv, path, env := loginPeerWorld(t)
	idToken := loginPeerToken(t, path).IDToken
	key := goLogin(t)
	if got := botocoreKey(t, env); got != key {
		t.Fatalf("botocore got %s, want the key sessioncache refreshed, %s", got, key)
	}
	if n := srv.Calls("CreateOAuth2Token"); n != 1 {
		t.Fatalf("%d refresh calls, want 1: botocore refreshed again", n)
	}
	if loginPeerToken(t, path).IDToken != idToken {
		t.Fatal("the idToken was lost")
	}
}

func TestInteropLoginBotocoreRefreshesGoReads(t *testing.T) {
	srv, path, env := loginPeerWorld(t)
	key := botocoreKey(t, env)
	if n := srv.Calls("CreateOAuth2Token"); n != 1 {
		t.Fatalf("botocore made %d refresh calls, want 1", n)
	}
	if got := goLogin(t); got != key {
		t.Fatalf("sessioncache got %s, want botocore's %s", got, key)
	}
	if n := srv.Calls("CreateOAuth2Token"); n != 1 {
		t.Fatalf("%d refresh calls: sessioncache refreshed what botocore wrote", n)
	}
	_ = loginPeerToken(t, path)
}

func TestInteropLoginGoRefreshesSDKReads(t *testing.T) {
	srv, _, _ := loginPeerWorld(t)
	key := goLogin(t)
	if got := sdkLogin(t); got != key {
		t.Fatalf("the SDK got %s, want the key sessioncache refreshed, %s", got, key)
	}
	if n := srv.Calls("CreateOAuth2Token"); n != 1 {
		t.Fatalf("%d refresh calls, want 1", n)
	}
}

func TestInteropLoginSDKRefreshesGoReads(t *testing.T) {
	srv, path, _ := loginPeerWorld(t)
	key := sdkLogin(t)
	if n := srv.Calls("CreateOAuth2Token"); n != 1 {
		t.Fatalf("the SDK made %d refresh calls, want 1", n)
	}
	// The SDK writes expiresAt with fractions of a second and drops the
	// idToken; the file still reads.
	_ = loginPeerToken(t, path)
	if got := goLogin(t); got != key {
		t.Fatalf("sessioncache got %s, want the SDK's %s", got, key)
	}
	if n := srv.Calls("CreateOAuth2Token"); n != 1 {
		t.Fatalf("%d refresh calls: sessioncache refreshed what the SDK wrote", n)
	}
}

// The token file that `sessioncache login` writes is one that botocore
// and the SDK use as it is.
func TestInteropLoginSignInPeersRead(t *testing.T) {
	srv, path, env := loginPeerWorld(t)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	browser := func(u string) error {
		// The browser: the service approves at once and redirects to the
		// loopback listener.
		go func() {
			if resp, err := http.Get(u); err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	signin := ststest.NewSigninServer(func(o *ststest.SigninOptions) {
		o.Session = loginPeerSession
		o.AutoApprove = true
	})
	defer signin.Close()
	tok, session, err := loginsession.SignIn(context.Background(), loginsession.SignInOptions{
		Client: &loginsession.Client{Endpoint: signin.URL},
		Open:   browser,
	})
	if err != nil {
		t.Fatal(err)
	}
	if session != loginPeerSession || loginsession.Path(filepath.Dir(path), session) != path {
		t.Fatalf("signed in as %s", session)
	}
	if err := loginsession.Write(path, tok, nil); err != nil {
		t.Fatal(err)
	}
	// The peers refresh against srv, which never issued this token: a
	// refresh would fail. They must use the credentials as they are.
	if got := botocoreKey(t, env); got != tok.AccessKeyID {
		t.Fatalf("botocore got %s, want the signed-in %s", got, tok.AccessKeyID)
	}
	if got := sdkLogin(t); got != tok.AccessKeyID {
		t.Fatalf("the SDK got %s, want the signed-in %s", got, tok.AccessKeyID)
	}
	if n := srv.Calls("CreateOAuth2Token"); n != 0 {
		t.Fatalf("%d refresh calls", n)
	}
}
