package sessioncache

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/service/sso"
)

func TestSSOCaching(t *testing.T) {
	tests := map[string]cachingKind{
		"sso_session": {profile: "sso", key: kindsSSOKey},
		"legacy":      {profile: "sso-legacy", key: kindsSSOLegacy},
	}
	for name, k := range tests {
		t.Run(name, func(t *testing.T) {
			k.op = "GetRoleCredentials"
			k.lifetime = time.Hour
			checkCaching(t, plainWorld, k)
		})
	}
}

func TestSSOEntryHasTheAWSCLIv2Form(t *testing.T) {
	w := newKindsWorld(t)
	w.mustLoad(t, "sso")
	m := w.entryFile(t, kindsSSOKey)
	if m["ProviderType"] != "sso" {
		t.Errorf("ProviderType = %v, want sso", m["ProviderType"])
	}
	checkFields(t, "Credentials", m["Credentials"], map[string]any{
		"AccessKeyId": nil, "SecretAccessKey": nil, "SessionToken": nil,
		"Expiration": w.clock.Now().Add(time.Hour).Format("2006-01-02T15:04:05Z"),
		"AccountId":  kindsAccount,
	})
	for k := range m {
		if k != "ProviderType" && k != "Credentials" {
			t.Errorf("the entry has %s; AWS CLI v2's has only ProviderType and Credentials", k)
		}
	}
	req := w.sso.Requests()[0]
	if req.Params.Get("account_id") != kindsAccount || req.Params.Get("role_name") != kindsSSORole {
		t.Errorf("GetRoleCredentials asked for %v", req.Params)
	}
}

func TestSSOLoginErrors(t *testing.T) {
	tests := map[string]struct {
		profile string
		setup   func(t *testing.T, w *kindsWorld)
		// wantCalls is the GetRoleCredentials calls made.
		wantCalls int
		wantCause string
	}{
		"expired sso_session token": {
			profile: "sso",
			setup: func(t *testing.T, w *kindsWorld) {
				w.writeSSOToken(t, kindsSSOSession, kindsSSOToken, time.Now().Add(-time.Minute))
			},
			wantCause: "the cached SSO token expired at",
		},
		"missing sso_session token": {
			profile: "sso",
			setup: func(t *testing.T, w *kindsWorld) {
				removeSSOToken(t, kindsSSOSession)
			},
			wantCause: "no cached SSO token",
		},
		"expired legacy token": {
			profile: "sso-legacy",
			setup: func(t *testing.T, w *kindsWorld) {
				w.writeSSOToken(t, kindsSSOStartURL, kindsSSOToken, w.clock.Now())
			},
			wantCause: "the cached SSO token expired at",
		},
		"missing legacy token": {
			profile: "sso-legacy",
			setup: func(t *testing.T, w *kindsWorld) {
				removeSSOToken(t, kindsSSOStartURL)
			},
			wantCause: "no cached SSO token",
		},
		"token the portal refuses": {
			profile: "sso",
			setup: func(t *testing.T, w *kindsWorld) {
				w.sso.SetAccessToken(kindsSSOToken, w.clock.Now())
			},
			wantCalls: 1,
			wantCause: "UnauthorizedException",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newKindsWorld(t)
			tt.setup(t, w)
			_, err := w.load(t, tt.profile)
			var login *SSOLoginError
			if !errors.As(err, &login) {
				t.Fatalf("error %v, want an SSOLoginError", err)
			}
			if login.Profile != tt.profile {
				t.Errorf("Profile = %q, want %q", login.Profile, tt.profile)
			}
			msg := err.Error()
			if want := "run `sessioncache login --profile " + tt.profile + "`"; !strings.Contains(msg, "sessioncache: the SSO session") || !strings.Contains(msg, want) {
				t.Errorf("error %q does not say to %s", msg, want)
			}
			if !strings.Contains(msg, tt.wantCause) {
				t.Errorf("error %q lacks the cause %q", msg, tt.wantCause)
			}
			checkNoSecrets(t, err)
			if got := w.sso.Calls("GetRoleCredentials"); got != tt.wantCalls {
				t.Errorf("%d GetRoleCredentials calls, want %d", got, tt.wantCalls)
			}
			if _, err := os.Stat(w.cacheDir); err == nil {
				if _, err := os.Stat(filepath.Join(w.cacheDir, kindsSSOKey+".json")); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("an entry was written: %v", err)
				}
			}
		})
	}
}

func removeSSOToken(t *testing.T, name string) {
	t.Helper()
	path, err := ssocreds.StandardCachedTokenFilepath(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func TestSSOFetcherOtherErrorsAreNotLoginErrors(t *testing.T) {
	w := newKindsWorld(t)
	w.sso.FailNext(1, "ForbiddenException", "No access", http.StatusForbidden)
	client := sso.New(sso.Options{Region: "us-east-1", BaseEndpoint: aws.String(w.sso.URL)})
	f := NewSSOFetcher(client, kindsAccount, kindsSSORole, kindsSSOStartURL)
	_, err := f.Fetch(context.Background())
	var login *SSOLoginError
	if err == nil || errors.As(err, &login) {
		t.Fatalf("error %v, want one that is not an SSOLoginError", err)
	}
	if !strings.Contains(err.Error(), "ForbiddenException") || !strings.Contains(err.Error(), kindsAccount+"/"+kindsSSORole) {
		t.Errorf("error %q does not name the refusal and the role", err)
	}
	checkNoSecrets(t, err)
}

func TestSSOFetcherTokenSources(t *testing.T) {
	tests := map[string]struct {
		opts    func(w *kindsWorld) func(*SSOOptions)
		wantKey string
	}{
		"legacy token file from the start URL": {
			opts:    func(*kindsWorld) func(*SSOOptions) { return func(*SSOOptions) {} },
			wantKey: kindsSSOLegacy,
		},
		"token file of the session name": {
			opts:    func(*kindsWorld) func(*SSOOptions) { return func(o *SSOOptions) { o.SessionName = kindsSSOSession } },
			wantKey: kindsSSOKey,
		},
		"explicit token file": {
			opts: func(w *kindsWorld) func(*SSOOptions) {
				path := filepath.Join(w.home, "elsewhere.json")
				mustWrite(t, path, `{"accessToken": "`+kindsSSOToken+`", "expiresAt": "2999-01-01T00:00:00Z"}`)
				return func(o *SSOOptions) { o.CachedTokenFilepath = path }
			},
			wantKey: kindsSSOLegacy,
		},
		"the SDK's token provider": {
			opts: func(w *kindsWorld) func(*SSOOptions) {
				path, err := ssocreds.StandardCachedTokenFilepath(kindsSSOSession)
				if err != nil {
					t.Fatal(err)
				}
				return func(o *SSOOptions) {
					o.SessionName = kindsSSOSession
					o.TokenProvider = ssocreds.NewSSOTokenProvider(nil, path)
				}
			},
			wantKey: kindsSSOKey,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newKindsWorld(t)
			client := sso.New(sso.Options{Region: "us-east-1", BaseEndpoint: aws.String(w.sso.URL)})
			f := NewSSOFetcher(client, kindsAccount, kindsSSORole, kindsSSOStartURL, tt.opts(w))
			if f.CacheKey() != tt.wantKey {
				t.Errorf("key %s, want %s", f.CacheKey(), tt.wantKey)
			}
			e, err := f.Fetch(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if e.ProviderType != "sso" || e.Credentials.AccountID != kindsAccount {
				t.Errorf("entry of type %q for account %q", e.ProviderType, e.Credentials.AccountID)
			}
			if !e.Credentials.Expiration.Equal(w.clock.Now().Add(time.Hour)) {
				t.Errorf("expires at %v, want in an hour", e.Credentials.Expiration)
			}
		})
	}
}

func TestReadSSOTokenRefusesBadFiles(t *testing.T) {
	now := time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		data string
		want string
	}{
		"not JSON":         {data: `{"accessToken": "` + kindsSSOToken, want: "not valid JSON"},
		"no access token":  {data: `{"expiresAt": "2026-11-28T21:00:00Z"}`, want: "lacks accessToken or expiresAt"},
		"no expiry":        {data: `{"accessToken": "` + kindsSSOToken + `"}`, want: "lacks accessToken or expiresAt"},
		"bad expiry":       {data: `{"accessToken": "` + kindsSSOToken + `", "expiresAt": "tomorrow"}`, want: "is not an RFC 3339 time"},
		"expiry a number":  {data: `{"accessToken": "` + kindsSSOToken + `", "expiresAt": 1}`, want: "field expiresAt is a JSON number"},
		"expired just now": {data: `{"accessToken": "` + kindsSSOToken + `", "expiresAt": "2026-11-28T20:00:00Z"}`, want: "expired at 2026-11-28T20:00:00Z"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "token.json")
			mustWrite(t, path, tt.data)
			_, err := readSSOToken(path, now)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
			checkNoSecrets(t, err)
		})
	}
	t.Run("a second before expiry", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "token.json")
		mustWrite(t, path, `{"accessToken": "`+kindsSSOToken+`", "expiresAt": "2026-11-28T20:00:01Z"}`)
		if tok, err := readSSOToken(path, now); err != nil || tok != kindsSSOToken {
			t.Errorf("the token was not read: %v", err)
		}
	})
}

func TestSSOProfileAsASourceProfile(t *testing.T) {
	w := newKindsWorld(t)
	w.mustLoad(t, "sso-admin")
	calls := w.calls()
	if calls["GetRoleCredentials"] != 1 || calls["AssumeRole"] != 1 {
		t.Fatalf("calls %v, want one GetRoleCredentials and one AssumeRole", calls)
	}
	c := NewFileCache(w.cacheDir)
	hop, err := c.Get(kindsSSOKey)
	if err != nil {
		t.Fatalf("the SSO hop is not cached: %v", err)
	}
	if got := w.sts.Requests()[0].AccessKeyID; got != hop.Credentials.AccessKeyID {
		t.Errorf("AssumeRole signed with %s, want the SSO credentials", got)
	}
	if _, err := c.Get(kindsSSOAdminKey); err != nil {
		t.Fatalf("the role hop is not cached: %v", err)
	}
	w.mustLoad(t, "sso")
	w.mustLoad(t, "sso-admin")
	if got := len(w.sts.Requests()) + len(w.sso.Requests()); got != 2 {
		t.Errorf("%d calls after reuse, want still 2", got)
	}
}
