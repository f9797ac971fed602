package sessioncache

import (
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sessioncache/sessioncache/ststest"
)

func TestWebIdentityCaching(t *testing.T) {
	checkCaching(t, plainWorld, cachingKind{
		profile:  "wi",
		key:      kindsWebKey,
		op:       "AssumeRoleWithWebIdentity",
		lifetime: time.Hour,
	})
}

func TestWebIdentityFromTheEnvironmentCaching(t *testing.T) {
	checkCaching(t, func(t *testing.T) *kindsWorld {
		t.Helper()
		w := newKindsWorld(t)
		t.Setenv("AWS_ROLE_ARN", kindsWebRole)
		t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", filepath.Join(w.home, "token"))
		t.Setenv("AWS_ROLE_SESSION_NAME", "from-env")
		return w
	}, cachingKind{
		key:      WebIdentityKey(kindsWebRole, "from-env"),
		op:       "AssumeRoleWithWebIdentity",
		lifetime: time.Hour,
	})
}

// kindsSTSClient returns an SDK STS client for the local STS, with no
// credentials.
func kindsSTSClient(w *kindsWorld) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(w.sts.URL)})
}

func TestWebIdentityFetcherSendsTheProfileSettings(t *testing.T) {
	tests := map[string]struct {
		opts       func(*WebIdentityOptions)
		wantParams map[string]string
		wantKey    string
	}{
		"defaults": {
			opts:       func(*WebIdentityOptions) {},
			wantParams: map[string]string{"RoleArn": kindsWebRole, "DurationSeconds": "", "Policy": ""},
			wantKey:    WebIdentityKey(kindsWebRole, ""),
		},
		"session name": {
			opts:       func(o *WebIdentityOptions) { o.RoleSessionName = "builder" },
			wantParams: map[string]string{"RoleSessionName": "builder"},
			wantKey:    WebIdentityKey(kindsWebRole, "builder"),
		},
		"duration and policy": {
			opts: func(o *WebIdentityOptions) {
				o.Duration = 2 * time.Hour
				o.Policy = `{"Version":"2012-10-17","Statement":[]}`
			},
			wantParams: map[string]string{"DurationSeconds": "7200", "Policy": `{"Version":"2012-10-17","Statement":[]}`},
			wantKey: AssumeRoleKey(AssumeRoleKeyInput{RoleARN: kindsWebRole, DurationSeconds: 7200,
				Policy: `{"Version":"2012-10-17","Statement":[]}`}),
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newKindsWorld(t)
			f := NewWebIdentityFetcher(kindsSTSClient(w), kindsWebRole, filepath.Join(w.home, "token"), tt.opts)
			if f.CacheKey() != tt.wantKey {
				t.Errorf("key %s, want %s", f.CacheKey(), tt.wantKey)
			}
			e, err := f.Fetch(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			reqs := w.sts.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			p := reqs[0].Params
			if reqs[0].AccessKeyID != "" {
				t.Error("AssumeRoleWithWebIdentity was signed; it must not need credentials")
			}
			for k, v := range tt.wantParams {
				if got := p.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if _, ok := tt.wantParams["RoleSessionName"]; !ok {
				if want := "sessioncache-" + strconv.FormatInt(w.clock.Now().Unix(), 10); p.Get("RoleSessionName") != want {
					t.Errorf("RoleSessionName = %q, want the generated %q", p.Get("RoleSessionName"), want)
				}
			}
			if e.AssumedRoleUser == nil || !strings.Contains(e.AssumedRoleUser.ARN, ":assumed-role/ci/") {
				t.Errorf("AssumedRoleUser = %+v, want the ci role's session", e.AssumedRoleUser)
			}
			if e.Credentials.AccountID != kindsAccount {
				t.Errorf("AccountID = %q, want the role's account", e.Credentials.AccountID)
			}
		})
	}
}

func TestWebIdentityEntryHasTheAWSCLIForm(t *testing.T) {
	w := newKindsWorld(t)
	w.mustLoad(t, "wi")
	m := w.entryFile(t, kindsWebKey)
	checkFields(t, "Credentials", m["Credentials"], map[string]any{
		"AccessKeyId": nil, "SecretAccessKey": nil, "SessionToken": nil,
		"Expiration": w.clock.Now().Add(time.Hour).Format("2006-01-02T15:04:05Z"),
		"AccountId":  kindsAccount,
	})
	checkFields(t, "AssumedRoleUser", m["AssumedRoleUser"], map[string]any{"AssumedRoleId": nil, "Arn": nil})
	if arn, _ := m["AssumedRoleUser"].(map[string]any)["Arn"].(string); !strings.HasPrefix(arn, "arn:aws:sts::123456789012:assumed-role/ci/sessioncache-") {
		t.Errorf("AssumedRoleUser.Arn = %q, want a session of the ci role", arn)
	}
	if _, ok := m["ProviderType"]; ok {
		t.Error("a web identity entry has a ProviderType")
	}
}

func TestWebIdentityTokenIsReadOnlyToCallSTS(t *testing.T) {
	w := newKindsWorld(t)
	w.mustLoad(t, "wi")
	if err := os.Remove(filepath.Join(w.home, "token")); err != nil {
		t.Fatal(err)
	}
	// A hit needs no token.
	w.mustLoad(t, "wi")
	// A refresh does.
	w.clock.Advance(time.Hour)
	_, err := w.load(t, "wi")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want one wrapping fs.ErrNotExist", err)
	}
	if got := w.calls()["AssumeRoleWithWebIdentity"]; got != 1 {
		t.Errorf("%d calls, want only the first", got)
	}
}

func TestWebIdentityTokenErrors(t *testing.T) {
	expired := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"ci","exp":1000000000}`)) + ".c2ln"
	tests := map[string]struct {
		profile   string
		token     *string // replaces the token file's content
		wantCalls int
		wantErr   []string
	}{
		"missing token file": {
			profile: "wi-missing",
			wantErr: []string{"sessioncache: read the web identity token file (profile wi-missing)", "no-such-token"},
		},
		"empty token file": {
			profile: "wi", token: new(string),
			wantErr: []string{"sessioncache: the web identity token file", "is empty"},
		},
		"expired token": {
			profile: "wi", token: &expired, wantCalls: 1,
			wantErr: []string{"ExpiredTokenException", "has expired: whatever writes that file must renew it"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newKindsWorld(t, func(o *ststest.Options) { o.WebIdentityToken = "" })
			if tt.token != nil {
				mustWrite(t, filepath.Join(w.home, "token"), *tt.token)
			}
			_, err := w.load(t, tt.profile)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			checkNoSecrets(t, err, expired)
			if got := w.calls()["AssumeRoleWithWebIdentity"]; got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
			if _, err := os.Stat(filepath.Join(w.cacheDir, kindsWebKey+".json")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("an entry was written: %v", err)
			}
		})
	}
}

func TestWebIdentityProfileAsASourceProfile(t *testing.T) {
	w := newKindsWorld(t)
	creds := w.mustLoad(t, "deploy")
	calls := w.calls()
	if calls["AssumeRoleWithWebIdentity"] != 1 || calls["AssumeRole"] != 1 {
		t.Fatalf("calls %v, want one web identity and one AssumeRole", calls)
	}
	c := NewFileCache(w.cacheDir)
	hop, err := c.Get(kindsWebKey)
	if err != nil {
		t.Fatalf("the web identity hop is not cached: %v", err)
	}
	reqs := w.sts.Requests()
	if reqs[1].Action != "AssumeRole" || reqs[1].AccessKeyID != hop.Credentials.AccessKeyID {
		t.Errorf("AssumeRole signed with %s, want the web identity's key", reqs[1].AccessKeyID)
	}
	last, err := c.Get(kindsDeployKey)
	if err != nil {
		t.Fatalf("the role hop is not cached: %v", err)
	}
	if last.Credentials.AccessKeyID != creds.AccessKeyID {
		t.Error("the chain's credentials are not the role's entry")
	}

	// Both hops serve later processes without a call.
	w.mustLoad(t, "wi")
	w.mustLoad(t, "deploy")
	if got := len(w.sts.Requests()); got != 2 {
		t.Errorf("%d calls after reuse, want still 2", got)
	}
}
