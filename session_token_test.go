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
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/sessioncache/sessioncache/ststest"
)

// mfaWorld is a kindsWorld whose STS refuses calls without MFA, as a role
// or user policy that requires MFA does.
func mfaWorld(t *testing.T) *kindsWorld {
	t.Helper()
	return newKindsWorld(t, func(o *ststest.Options) { o.RequireMFA = true })
}

func TestMFASessionCaching(t *testing.T) {
	checkCaching(t, mfaWorld, cachingKind{
		profile:  "user",
		key:      kindsSessionKey,
		op:       "GetSessionToken",
		lifetime: 12 * time.Hour,
		prompts:  1,
	})
}

func TestMFASessionEntry(t *testing.T) {
	w := mfaWorld(t)
	creds := w.mustLoad(t, "user")
	req := w.sts.Requests()[0]
	if req.AccessKeyID != kindsUserKey {
		t.Errorf("GetSessionToken signed with %s, want the profile's long-term key", req.AccessKeyID)
	}
	if req.Params.Get("SerialNumber") != kindsSerial || req.Params.Has("DurationSeconds") {
		t.Errorf("GetSessionToken sent SerialNumber %q, DurationSeconds %q: want mfa_serial and no duration",
			req.Params.Get("SerialNumber"), req.Params.Get("DurationSeconds"))
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SessionToken == "" {
		t.Errorf("credentials %s are not a session", creds.AccessKeyID)
	}

	m := w.entryFile(t, kindsSessionKey)
	checkFields(t, "Credentials", m["Credentials"], map[string]any{
		"AccessKeyId": creds.AccessKeyID, "SecretAccessKey": nil, "SessionToken": nil,
		"Expiration": w.clock.Now().Add(12 * time.Hour).Format("2006-01-02T15:04:05Z"),
		"AccountId":  kindsAccount,
	})
	for _, k := range []string{"AssumedRoleUser", "ProviderType"} {
		if _, ok := m[k]; ok {
			t.Errorf("an MFA session entry has %s", k)
		}
	}

	// The session works, as the user.
	out, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(w.sts.URL),
		Credentials: credentials.StaticCredentialsProvider{Value: creds}}).
		GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(aws.ToString(out.Arn), ":user/test") {
		t.Errorf("the session is %s, want the user", aws.ToString(out.Arn))
	}
}

func TestMFASessionDurationFromProfile(t *testing.T) {
	w := mfaWorld(t)
	w.mustLoad(t, "user-short")
	if got := w.sts.Requests()[0].Params.Get("DurationSeconds"); got != "3600" {
		t.Errorf("DurationSeconds = %q, want 3600", got)
	}
	key := SessionTokenKey(SessionTokenKeyInput{AccessKeyID: kindsUserKey, SerialNumber: kindsSerial, DurationSeconds: 3600})
	e, err := NewFileCache(w.cacheDir).Get(key)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Credentials.Expiration.Equal(w.clock.Now().Add(time.Hour)) {
		t.Errorf("the session expires at %v, want in an hour", e.Credentials.Expiration)
	}
}

func TestMFASessionFailuresAreNotRetried(t *testing.T) {
	tests := map[string]struct {
		setup    func(w *kindsWorld)
		wantCode string
		// wantPrompts: a refused code is asked for again, and the same
		// code is not resent.
		wantPrompts int32
	}{
		"rejected code": {
			setup:       func(w *kindsWorld) { w.code = "135790" },
			wantCode:    "AccessDenied",
			wantPrompts: 2,
		},
		"server error": {
			setup: func(w *kindsWorld) {
				w.sts.FailNext(1, "InternalFailure", "internal failure", http.StatusInternalServerError)
			},
			wantCode:    "InternalFailure",
			wantPrompts: 1,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := mfaWorld(t)
			tt.setup(w)
			_, err := w.load(t, "user")
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantCode {
				t.Fatalf("error %v, want STS's %s", err, tt.wantCode)
			}
			if !strings.Contains(err.Error(), "sessioncache: get an MFA session for "+kindsSerial) {
				t.Errorf("error %q does not say what failed", err)
			}
			checkNoSecrets(t, err, "135790")
			if got := w.sts.Calls("GetSessionToken"); got != 1 {
				t.Errorf("%d GetSessionToken calls, want 1: a call with an MFA code must not be resent", got)
			}
			if got := w.prompts.Load(); got != tt.wantPrompts {
				t.Errorf("%d prompts, want %d", got, tt.wantPrompts)
			}
			if _, err := os.Stat(filepath.Join(w.cacheDir, kindsSessionKey+".json")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("an entry was written: %v", err)
			}
		})
	}
}

func TestMFASessionFetcherWithoutSerial(t *testing.T) {
	w := newKindsWorld(t)
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(w.sts.URL),
		Credentials: credentials.NewStaticCredentialsProvider(kindsUserKey, kindsUserSecret, "")})
	tp := func(context.Context, string) (string, error) {
		t.Error("asked for a code without an MFA device")
		return "", nil
	}
	f := NewSessionTokenFetcher(client, kindsUserKey, "", func(o *SessionTokenOptions) { o.TokenProvider = tp })
	e, err := f.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p := w.sts.Requests()[0].Params; p.Has("SerialNumber") || p.Has("TokenCode") {
		t.Errorf("MFA sent without a device: %v", p)
	}
	if e.Credentials.AccountID != "" {
		t.Errorf("AccountID %q, want none: nothing tells it", e.Credentials.AccountID)
	}
}

func TestRoleFromAnMFASessionProfile(t *testing.T) {
	tests := map[string]struct {
		chain bool
		// wantSession is whether an MFA session is made and cached.
		wantSession bool
		// wantSigner is the key AssumeRole of admin is signed with: "user"
		// for the long-term key, "session" for the MFA session's.
		wantSigner string
		// wantMFA is whether AssumeRole of admin carries the code.
		wantMFA bool
		// wantPrompts is the codes asked for to get admin then audit.
		wantPrompts int
	}{
		"the AWS CLI's way by default": {wantSigner: "user", wantMFA: true, wantPrompts: 1},
		"ChainMFASession":              {chain: true, wantSession: true, wantSigner: "session", wantPrompts: 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := mfaWorld(t)
			w.chain = tt.chain
			creds := w.mustLoad(t, "admin")
			c := NewFileCache(w.cacheDir)
			session, sessionErr := c.Get(kindsSessionKey)
			if (sessionErr == nil) != tt.wantSession {
				t.Fatalf("MFA session cached: %v, want %v", sessionErr == nil, tt.wantSession)
			}
			var assume ststest.Request
			for _, r := range w.sts.Requests() {
				if r.Action == "AssumeRole" {
					assume = r
				}
			}
			signer := kindsUserKey
			if tt.wantSession {
				signer = session.Credentials.AccessKeyID
			}
			if assume.AccessKeyID != signer {
				t.Errorf("AssumeRole signed with %s, want the %s key", assume.AccessKeyID, tt.wantSigner)
			}
			if got := assume.Params.Get("SerialNumber"); (got == kindsSerial) != tt.wantMFA {
				t.Errorf("AssumeRole SerialNumber = %q, want MFA on AssumeRole: %v", got, tt.wantMFA)
			}
			// The role's entry has the key the AWS CLI gives the profile.
			e, err := c.Get(kindsAdminKey)
			if err != nil {
				t.Fatalf("the role is not cached under the AWS CLI's key: %v", err)
			}
			if e.Credentials.AccessKeyID != creds.AccessKeyID {
				t.Error("the role's entry does not hold the credentials served")
			}

			// A second role of the same source: the chained way needs no
			// new code; the AWS CLI's way asks none either, as audit sets
			// no mfa_serial, but needs no MFA only if STS does not require
			// it, which this STS does.
			_, err = w.load(t, "audit")
			if tt.chain && err != nil {
				t.Fatalf("audit from the MFA session: %v", err)
			}
			if !tt.chain && err == nil {
				t.Fatal("audit without MFA succeeded; the STS requires MFA")
			}
			if got := int(w.prompts.Load()); got != tt.wantPrompts {
				t.Errorf("%d prompts for two roles, want %d", got, tt.wantPrompts)
			}
			if tt.chain {
				if _, err := c.Get(kindsAuditKey); err != nil {
					t.Errorf("audit is not cached: %v", err)
				}
				if got := w.sts.Calls("GetSessionToken"); got != 1 {
					t.Errorf("%d GetSessionToken calls, want 1 shared by both roles", got)
				}
			}
		})
	}
}

func TestTemporaryKeysWithMFASerialStayAsTheyAre(t *testing.T) {
	w := mfaWorld(t)
	creds := w.mustLoad(t, "temporary")
	if creds.AccessKeyID != "ASIAEXAMPLETEMP00001" {
		t.Errorf("credentials %s, want the profile's own", creds.AccessKeyID)
	}
	if len(w.sts.Requests()) != 0 || w.prompts.Load() != 0 {
		t.Error("temporary keys were used for an MFA session")
	}
}
