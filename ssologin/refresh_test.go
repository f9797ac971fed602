package ssologin

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/sessioncache/sessioncache/ststest"
)

func TestTokenRefreshesOnceAndKeepsUnknownFields(t *testing.T) {
	r := newRig(t, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	ts := r.source(t, sessionCorp(), browse(t))
	first, err := ts.Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Ten minutes left, and a field another tool keeps.
	first.ExpiresAt = time.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)
	first.extra = append(first.extra, pyjsonMember("otherTool", "kept"))
	if err := WriteToken(ts.Path(), first); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	tokens := make([]string, 8)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t2, err := r.source(t, sessionCorp()).Token(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i] = t2.AccessToken
		}()
	}
	wg.Wait()
	if n := countGrant(r.oidc, "refresh_token"); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	got, err := ReadToken(ts.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if tok != got.AccessToken {
			t.Error("a caller got another token than the refreshed one")
		}
	}
	if got.AccessToken == first.AccessToken || got.RefreshToken == first.RefreshToken {
		t.Error("the token was not refreshed")
	}
	data, _ := os.ReadFile(ts.Path())
	if !strings.Contains(string(data), `"otherTool": "kept"`) {
		t.Errorf("an unknown field was lost: %s", data)
	}
}

func countGrant(s *ststest.OIDCServer, grant string) int {
	n := 0
	for _, req := range s.Requests() {
		if req.Action == "CreateToken" && req.Params.Get("grantType") == grant {
			n++
		}
	}
	return n
}

// rewriteOnCreateToken is a transport that, before it sends a CreateToken
// request, writes tok to path, as another tool that does not take the lock
// and has just refreshed the token would.
type rewriteOnCreateToken struct {
	path string
	tok  *Token
	t    *testing.T
}

func (rt rewriteOnCreateToken) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/token") {
		if err := WriteToken(rt.path, rt.tok); err != nil {
			rt.t.Error(err)
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// A refresh token another tool spent meanwhile is refused; the token that
// tool wrote is then used, and no sign-in is needed.
func TestRefusedRefreshUsesTheTokenAnotherToolWrote(t *testing.T) {
	r := newRig(t, func(o *ststest.OIDCOptions) { o.AutoApprove = true })
	first, err := r.source(t, sessionCorp(), browse(t)).Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The other tool refreshes with the same refresh token first.
	other := r.source(t, sessionCorp())
	theirs, err := other.refresh(context.Background(), first, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	first.ExpiresAt = time.Now().Add(5 * time.Minute).UTC().Truncate(time.Second)
	if err := WriteToken(other.Path(), first); err != nil {
		t.Fatal(err)
	}
	ts := r.source(t, sessionCorp(), func(o *Options) {
		o.ClientOptions = append(o.ClientOptions, func(co *ssooidc.Options) {
			co.HTTPClient = &http.Client{Transport: rewriteOnCreateToken{path: other.Path(), tok: theirs, t: t}}
		})
	})
	got, err := ts.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != theirs.AccessToken {
		t.Error("the token the other tool wrote was not used")
	}
	if n := countRefused(r.oidc, "InvalidGrantException"); n != 1 {
		t.Errorf("%d refused refreshes, want 1", n)
	}
}

func countRefused(s *ststest.OIDCServer, code string) int {
	n := 0
	for _, req := range s.Requests() {
		if req.ErrorCode == code {
			n++
		}
	}
	return n
}
