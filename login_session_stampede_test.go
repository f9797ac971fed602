package sessioncache

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/internal/loginsession"
	"github.com/sessioncache/sessioncache/ststest"
)

// envHelperSignin is the sign-in service of a login helper process.
const envHelperSignin = "SESSIONCACHE_TEST_SIGNIN"

// loginHelperMain is the body of the login helper processes: they refresh
// the login session of loginARN in $SESSIONCACHE_TEST_DIR.
func loginHelperMain(role string) error {
	p := NewLoginSessionProvider(loginARN, func(o *LoginSessionOptions) {
		o.Profile = "login"
		o.CacheDir = os.Getenv(envHelperDir)
		o.Endpoint = os.Getenv(envHelperSignin)
	})
	switch role {
	case "login-stampede":
		return retrieveWithTheOthers(p)
	case "login-crash":
		step := os.Getenv(envHelperStep)
		loginWriteStep = func(s string) {
			if s == step {
				self, _ := os.FindProcess(os.Getpid())
				_ = self.Kill()
				select {} // the kill is asynchronous on some systems
			}
		}
		_, err := p.Retrieve(context.Background())
		return err
	}
	return fmt.Errorf("unknown helper %q", role)
}

func TestLoginSessionStampedeRefreshesOnce(t *testing.T) {
	const processes = 40
	srv := ststest.NewSigninServer(func(o *ststest.SigninOptions) { o.Session = loginARN })
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "login")
	data, err := srv.SignIn(-time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, loginsession.Path(dir, loginARN), string(data))

	keys := stampede(t, processes, "login-stampede", envHelperDir+"="+dir, envHelperSignin+"="+srv.URL)
	if n := srv.Calls("CreateOAuth2Token"); n != 1 {
		t.Errorf("%d refresh calls, want 1", n)
	}
	if len(keys) != 1 {
		t.Errorf("the processes got %d different access key ids, want 1", len(keys))
	}
	after, err := os.ReadFile(loginsession.Path(dir, loginARN))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := loginsession.Parse(after)
	if err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		if k != tok.AccessKeyID {
			t.Error("the processes' credentials are not those of the file")
		}
	}
}

func TestLoginSessionKilledWriterLeavesAWholeFile(t *testing.T) {
	for _, step := range []string{"create", "write", "sync", "close"} {
		t.Run(step, func(t *testing.T) {
			srv := ststest.NewSigninServer(func(o *ststest.SigninOptions) { o.Session = loginARN })
			defer srv.Close()
			dir := filepath.Join(t.TempDir(), "login")
			before, err := srv.SignIn(-time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			path := loginsession.Path(dir, loginARN)
			mustWrite(t, path, string(before))
			h := startHelper(t, "login-crash", envHelperDir+"="+dir, envHelperSignin+"="+srv.URL, envHelperStep+"="+step)
			h.stdin.Close()
			if err := h.cmd.Wait(); err == nil {
				t.Fatal("the helper was not killed")
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Fatal("the token file is not the old one, whole")
			}
			// The lock died with its holder: the next process proceeds.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = NewLoginSessionProvider(loginARN, func(o *LoginSessionOptions) {
				o.CacheDir = dir
				o.Endpoint = srv.URL
			}).Retrieve(ctx)
			// The killed process spent the refresh token: the service
			// says to sign in again, which is a clear error, not a hang.
			if err == nil || !strings.Contains(err.Error(), "TOKEN_EXPIRED") {
				t.Fatalf("next run: %v", err)
			}
		})
	}
}
