package sessioncache

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/sessioncache/sessioncache/ststest"
)

// Settings shared by the tests of every kind of entry. The secrets are
// made up; tests check that none of them shows in an error.
const (
	kindsAccount     = "123456789012"
	kindsUserKey     = "AKIAEXAMPLEUSER00001"
	kindsUserSecret  = "user-secret-not-real-0000000000000000000"
	kindsSerial      = "arn:aws:iam::123456789012:mfa/alice"
	kindsCode        = "246810"
	kindsWebRole     = "arn:aws:iam::123456789012:role/ci"
	kindsDeployRole  = "arn:aws:iam::210987654321:role/deploy"
	kindsAdminRole   = "arn:aws:iam::123456789012:role/admin"
	kindsAuditRole   = "arn:aws:iam::123456789012:role/audit"
	kindsSSOSession  = "corp"
	kindsSSOStartURL = "https://corp.awsapps.com/start"
	kindsSSORole     = "ReadOnly"
	kindsSSOToken    = "sso-access-token-not-real"
	// kindsWebToken is a JWT whose claims say nothing; ststest accepts it.
	kindsWebToken = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl"
)

// kindsConfig is the config file of the kind tests; $HOME is replaced by
// the test's home directory.
const kindsConfig = `[profile wi]
role_arn = arn:aws:iam::123456789012:role/ci
web_identity_token_file = $HOME/token

[profile wi-named]
role_arn = arn:aws:iam::123456789012:role/ci
web_identity_token_file = $HOME/token
role_session_name = builder

[profile wi-missing]
role_arn = arn:aws:iam::123456789012:role/ci
web_identity_token_file = $HOME/no-such-token

[profile deploy]
role_arn = arn:aws:iam::210987654321:role/deploy
source_profile = wi

[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = ReadOnly
region = eu-west-1

[profile sso-legacy]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = ReadOnly

[profile sso-incomplete]
sso_start_url = https://corp.awsapps.com/start
sso_account_id = 123456789012

[profile sso-admin]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = sso

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile user]
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile user-short]
mfa_serial = arn:aws:iam::123456789012:mfa/alice
duration_seconds = 3600

[profile admin]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = user
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile audit]
role_arn = arn:aws:iam::123456789012:role/audit
source_profile = user

[profile temporary]
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile plain]
region = eu-west-1
`

const kindsCredentials = `[user]
aws_access_key_id = AKIAEXAMPLEUSER00001
aws_secret_access_key = user-secret-not-real-0000000000000000000

[user-short]
aws_access_key_id = AKIAEXAMPLEUSER00001
aws_secret_access_key = user-secret-not-real-0000000000000000000

[temporary]
aws_access_key_id = ASIAEXAMPLETEMP00001
aws_secret_access_key = temp-secret-not-real
aws_session_token = temp-token-not-real

[plain]
aws_access_key_id = AKIAEXAMPLEPLAIN0001
aws_secret_access_key = plain-secret-not-real
`

// Cache keys of the profiles above.
var (
	kindsWebKey      = WebIdentityKey(kindsWebRole, "")
	kindsSSOKey      = SSOKey(SSOKeyInput{AccountID: kindsAccount, RoleName: kindsSSORole, SessionName: kindsSSOSession})
	kindsSSOLegacy   = SSOKey(SSOKeyInput{AccountID: kindsAccount, RoleName: kindsSSORole, StartURL: kindsSSOStartURL})
	kindsSessionKey  = SessionTokenKey(SessionTokenKeyInput{AccessKeyID: kindsUserKey, SerialNumber: kindsSerial})
	kindsAdminKey    = AssumeRoleKey(AssumeRoleKeyInput{RoleARN: kindsAdminRole, SerialNumber: kindsSerial})
	kindsAuditKey    = AssumeRoleKey(AssumeRoleKeyInput{RoleARN: kindsAuditRole})
	kindsDeployKey   = AssumeRoleKey(AssumeRoleKeyInput{RoleARN: kindsDeployRole})
	kindsSSOAdminKey = AssumeRoleKey(AssumeRoleKeyInput{RoleARN: kindsAdminRole})
)

// testClock is the clock of the package (timeNow), of the local STS and
// of the local SSO portal. It starts on a whole second, so expirations
// fall on exact instants.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// kindsWorld is a home directory holding the config files, an SSO token
// and a web identity token, a local STS and SSO portal that the
// environment points the SDK at, and a clock they share with the package.
// The environment keeps nothing of the caller's AWS settings.
type kindsWorld struct {
	home     string
	cacheDir string
	sts      *ststest.Server
	sso      *ststest.SSOServer
	clock    *testClock
	// code is what the TokenProvider answers; prompts counts its calls.
	code    string
	prompts atomic.Int32
	// chain sets Loader.ChainMFASession.
	chain bool
}

func newKindsWorld(t *testing.T, stsOpts ...func(*ststest.Options)) *kindsWorld {
	t.Helper()
	clearAWSEnv(t)
	w := &kindsWorld{
		home:  t.TempDir(),
		clock: &testClock{now: time.Now().UTC().Truncate(time.Second)},
		code:  kindsCode,
	}
	w.cacheDir = filepath.Join(w.home, ".aws", "cli", "cache")
	prev := timeNow
	timeNow = w.clock.Now
	t.Cleanup(func() { timeNow = prev })

	w.sts = ststest.NewServer(append([]func(*ststest.Options){func(o *ststest.Options) {
		o.Now = w.clock.Now
		o.MFACode = kindsCode
		o.WebIdentityToken = kindsWebToken
	}}, stsOpts...)...)
	t.Cleanup(w.sts.Close)
	w.sso = ststest.NewSSOServer(func(o *ststest.SSOOptions) {
		o.Now = w.clock.Now
		o.AccessToken = kindsSSOToken
		o.STS = w.sts
	})
	t.Cleanup(w.sso.Close)

	t.Setenv("HOME", w.home)
	t.Setenv("USERPROFILE", w.home)
	t.Setenv("AWS_ENDPOINT_URL_STS", w.sts.URL)
	t.Setenv("AWS_ENDPOINT_URL_SSO", w.sso.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// A developer's terminal must not start a sign-in with AWS.
	t.Setenv(EnvSSOSignIn, "never")

	mustWrite(t, filepath.Join(w.home, ".aws", "config"), strings.ReplaceAll(kindsConfig, "$HOME", w.home))
	mustWrite(t, filepath.Join(w.home, ".aws", "credentials"), kindsCredentials)
	mustWrite(t, filepath.Join(w.home, "token"), kindsWebToken)
	for _, name := range []string{kindsSSOSession, kindsSSOStartURL} {
		w.writeSSOToken(t, name, kindsSSOToken, time.Now().Add(8*time.Hour))
	}
	return w
}

// clearAWSEnv removes the caller's AWS settings from the environment for
// the test.
func clearAWSEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") || k == EnvCacheDir {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

// plainWorld is newKindsWorld with the default servers.
func plainWorld(t *testing.T) *kindsWorld {
	t.Helper()
	return newKindsWorld(t)
}

// mustWrite writes a file, making its directory.
func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeSSOToken writes the token `aws sso login` caches for an
// sso_session name or a legacy start URL.
func (w *kindsWorld) writeSSOToken(t *testing.T, name, token string, expires time.Time) {
	t.Helper()
	path, err := ssocreds.StandardCachedTokenFilepath(name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(path, w.home) {
		t.Fatalf("SSO token path %s is outside the test's home", path)
	}
	data, err := json.Marshal(map[string]string{
		"startUrl":    kindsSSOStartURL,
		"region":      "us-east-1",
		"accessToken": token,
		"expiresAt":   expires.UTC().Format(time.RFC3339),
	})
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, path, string(data))
}

// loader returns a Loader as a new process would have it, with MFA
// sessions on.
func (w *kindsWorld) loader() *Loader {
	return &Loader{
		CacheDir:        w.cacheDir,
		MFASession:      true,
		ChainMFASession: w.chain,
		TokenProvider: func(ctx context.Context, serial string) (string, error) {
			w.prompts.Add(1)
			return w.code, nil
		},
	}
}

// options selects profile in code, unless it is empty.
func (w *kindsWorld) options(profile string) []func(*config.LoadOptions) error {
	opts := []func(*config.LoadOptions) error{
		config.WithSharedConfigFiles([]string{filepath.Join(w.home, ".aws", "config")}),
		config.WithSharedCredentialsFiles([]string{filepath.Join(w.home, ".aws", "credentials")}),
		config.WithRegion("us-east-1"),
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	return opts
}

// load runs LoadDefaultConfig and Retrieve for profile as a new process.
func (w *kindsWorld) load(t *testing.T, profile string) (aws.Credentials, error) {
	t.Helper()
	cfg, err := w.loader().LoadDefaultConfig(context.Background(), w.options(profile)...)
	if err != nil {
		return aws.Credentials{}, err
	}
	return cfg.Credentials.Retrieve(context.Background())
}

func (w *kindsWorld) mustLoad(t *testing.T, profile string) aws.Credentials {
	t.Helper()
	creds, err := w.load(t, profile)
	if err != nil {
		t.Fatalf("load %q: %v", profile, err)
	}
	return creds
}

// calls returns how many calls each service got, by operation.
func (w *kindsWorld) calls() map[string]int {
	out := map[string]int{}
	for _, r := range w.sts.Requests() {
		out[r.Action]++
	}
	for _, r := range w.sso.Requests() {
		out[r.Action]++
	}
	return out
}

// entryFile reads key's cache file as JSON, after checking that only its
// owner may read it.
func (w *kindsWorld) entryFile(t *testing.T, key string) map[string]any {
	t.Helper()
	path := filepath.Join(w.cacheDir, key+".json")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no cache file: %v", err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode %v, want -rw-------", info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("cache file is not JSON: %v", err)
	}
	return m
}

// checkFields reports the fields of obj that are missing or of another
// value than want's; a nil want value only requires the field to be a
// non-empty string.
func checkFields(t *testing.T, what string, obj any, want map[string]any) {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Errorf("%s is not a JSON object", what)
		return
	}
	for k, v := range want {
		got, ok := m[k]
		switch {
		case !ok:
			t.Errorf("%s lacks %s", what, k)
		case v == nil:
			if s, _ := got.(string); s == "" {
				t.Errorf("%s.%s is not a non-empty string", what, k)
			}
		case got != v:
			t.Errorf("%s.%s = %v, want %v", what, k, got, v)
		}
	}
}

// checkNoSecrets fails the test when err's message holds a secret of the
// kind tests. It never prints the secret.
func checkNoSecrets(t *testing.T, err error, extra ...string) {
	t.Helper()
	if err == nil {
		return
	}
	secrets := append([]string{kindsUserSecret, kindsCode, kindsSSOToken, kindsWebToken}, extra...)
	for i, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("the error holds secret #%d", i)
		}
	}
}

// cachingKind describes a kind of entry for checkCaching.
type cachingKind struct {
	profile string
	key     string
	// op is the call that makes the entry; ops are the calls made per
	// fetch (the role chain tests make two).
	op string
	// lifetime is how long the service's credentials last.
	lifetime time.Duration
	// prompts is how many MFA codes a fetch asks for.
	prompts int
}

// checkCaching runs the cache cases every kind of entry must pass: a miss
// calls the service once, a hit not at all, and an entry with less than
// 15 minutes left is replaced.
func checkCaching(t *testing.T, newWorld func(t *testing.T) *kindsWorld, k cachingKind) {
	t.Helper()
	tests := map[string]struct {
		// advance is how far the clock moves after the first load, or a
		// negative value for no first load.
		advance   time.Duration
		wantCalls int
		refreshed bool
	}{
		"a miss calls once":                          {advance: -1, wantCalls: 1},
		"a fresh entry is a hit":                     {advance: 0, wantCalls: 1},
		"15 minutes left is a hit":                   {advance: k.lifetime - 15*time.Minute, wantCalls: 1},
		"a nanosecond under 15 minutes is refreshed": {advance: k.lifetime - 15*time.Minute + time.Nanosecond, wantCalls: 2, refreshed: true},
		"an expired entry is refreshed":              {advance: k.lifetime + time.Minute, wantCalls: 2, refreshed: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			var first aws.Credentials
			if tt.advance >= 0 {
				first = w.mustLoad(t, k.profile)
				w.clock.Advance(tt.advance)
			}
			creds := w.mustLoad(t, k.profile)
			if got := w.calls()[k.op]; got != tt.wantCalls {
				t.Errorf("%d %s calls, want %d", got, k.op, tt.wantCalls)
			}
			if got := int(w.prompts.Load()); got != tt.wantCalls*k.prompts {
				t.Errorf("%d MFA prompts, want %d", got, tt.wantCalls*k.prompts)
			}
			if tt.advance >= 0 && (creds.AccessKeyID != first.AccessKeyID) != tt.refreshed {
				t.Errorf("second load gave new credentials: %v, want %v", creds.AccessKeyID != first.AccessKeyID, tt.refreshed)
			}
			e, err := NewFileCache(w.cacheDir).Get(k.key)
			if err != nil {
				t.Fatalf("no entry under %s: %v", k.key, err)
			}
			if e.Credentials.AccessKeyID != creds.AccessKeyID || e.Credentials.SessionToken != creds.SessionToken {
				t.Error("the credentials served are not the entry's")
			}
			if want := w.clock.Now().Truncate(time.Second).Add(k.lifetime); tt.refreshed && !e.Credentials.Expiration.Equal(want) {
				t.Errorf("refreshed entry expires at %v, want %v", e.Credentials.Expiration, want)
			}
		})
	}
	t.Run("another process's entry is used without a call", func(t *testing.T) {
		w := newWorld(t)
		planted := &Entry{Credentials: EntryCredentials{
			AccessKeyID:     "ASIAPLANTED000000001",
			SecretAccessKey: "planted-secret-not-real",
			SessionToken:    "planted-token-not-real",
			Expiration:      w.clock.Now().Add(time.Hour),
		}}
		if err := NewFileCache(w.cacheDir).Set(k.key, planted); err != nil {
			t.Fatal(err)
		}
		creds := w.mustLoad(t, k.profile)
		if creds.AccessKeyID != planted.Credentials.AccessKeyID || creds.SessionToken != planted.Credentials.SessionToken {
			t.Error("the planted entry was not served")
		}
		if got := len(w.sts.Requests()) + len(w.sso.Requests()); got != 0 {
			t.Errorf("%d calls, want none", got)
		}
		if got := w.prompts.Load(); got != 0 {
			t.Errorf("%d MFA prompts, want none", got)
		}
	})
}

func TestProfileEntriesNamesEveryKind(t *testing.T) {
	type want struct{ profile, kind, key, subject string }
	tests := map[string]struct {
		profile string
		env     map[string]string
		chain   bool
		want    []want
	}{
		"web identity": {profile: "wi", want: []want{{"wi", KindWebIdentity, kindsWebKey, kindsWebRole}}},
		"web identity with a session name": {profile: "wi-named", want: []want{
			{"wi-named", KindWebIdentity, WebIdentityKey(kindsWebRole, "builder"), kindsWebRole},
		}},
		"role from a web identity": {profile: "deploy", want: []want{
			{"wi", KindWebIdentity, kindsWebKey, kindsWebRole},
			{"deploy", KindAssumeRole, kindsDeployKey, kindsDeployRole},
		}},
		"web identity in the environment": {
			env:  map[string]string{"AWS_ROLE_ARN": kindsWebRole, "AWS_WEB_IDENTITY_TOKEN_FILE": "token", "AWS_ROLE_SESSION_NAME": "env"},
			want: []want{{"", KindWebIdentity, WebIdentityKey(kindsWebRole, "env"), kindsWebRole}},
		},
		"sso session": {profile: "sso", want: []want{{"sso", KindSSO, kindsSSOKey, kindsAccount + "/" + kindsSSORole}}},
		"legacy sso":  {profile: "sso-legacy", want: []want{{"sso-legacy", KindSSO, kindsSSOLegacy, kindsAccount + "/" + kindsSSORole}}},
		"role from sso": {profile: "sso-admin", want: []want{
			{"sso", KindSSO, kindsSSOKey, kindsAccount + "/" + kindsSSORole},
			{"sso-admin", KindAssumeRole, kindsSSOAdminKey, kindsAdminRole},
		}},
		"mfa session": {profile: "user", want: []want{{"user", KindMFASession, kindsSessionKey, kindsSerial}}},
		"mfa session with a duration": {profile: "user-short", want: []want{
			{"user-short", KindMFASession, SessionTokenKey(SessionTokenKeyInput{AccessKeyID: kindsUserKey, SerialNumber: kindsSerial, DurationSeconds: 3600}), kindsSerial},
		}},
		"role from an mfa session profile, as the AWS CLI": {profile: "admin", want: []want{
			{"admin", KindAssumeRole, kindsAdminKey, kindsAdminRole},
		}},
		"role from an mfa session profile, chained": {profile: "admin", chain: true, want: []want{
			{"user", KindMFASession, kindsSessionKey, kindsSerial},
			{"admin", KindAssumeRole, kindsAdminKey, kindsAdminRole},
		}},
		"temporary keys make no mfa session": {profile: "temporary"},
		"static keys":                        {profile: "plain"},
		"keys in the environment win over the default profile": {
			env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEENV000001", "AWS_SECRET_ACCESS_KEY": "env-secret-not-real", "AWS_PROFILE": "wi"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newKindsWorld(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			l := w.loader()
			l.ChainMFASession = tt.chain
			got, err := l.ProfileEntries(context.Background(), w.options(tt.profile)...)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ProfileEntries = %+v, want %+v", got, tt.want)
			}
			for i, e := range got {
				if g := (want{e.Profile, e.Kind, e.Key, e.RoleARN}); g != tt.want[i] {
					t.Errorf("entry %d = %+v, want %+v", i, g, tt.want[i])
				}
			}
			if len(w.sts.Requests())+len(w.sso.Requests()) != 0 {
				t.Error("ProfileEntries called a service")
			}
		})
	}
}

func TestLoadDefaultConfigSelectsCredentialsAsTheSDK(t *testing.T) {
	tests := map[string]struct {
		profile string
		env     map[string]string
		wantKey string
		wantOp  string
	}{
		"keys in the environment win over AWS_PROFILE": {
			env:     map[string]string{"AWS_PROFILE": "wi", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEENV000001", "AWS_SECRET_ACCESS_KEY": "env-secret-not-real"},
			wantKey: "AKIAEXAMPLEENV000001",
		},
		"a profile chosen in code wins over keys in the environment": {
			profile: "plain",
			env:     map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEENV000001", "AWS_SECRET_ACCESS_KEY": "env-secret-not-real"},
			wantKey: "AKIAEXAMPLEPLAIN0001",
		},
		"a profile chosen in code wins over a web identity in the environment": {
			profile: "plain",
			env:     map[string]string{"AWS_ROLE_ARN": kindsWebRole, "AWS_WEB_IDENTITY_TOKEN_FILE": "token"},
			wantKey: "AKIAEXAMPLEPLAIN0001",
		},
		"a web identity in the environment wins over AWS_PROFILE": {
			env:    map[string]string{"AWS_PROFILE": "plain", "AWS_ROLE_ARN": kindsWebRole, "AWS_WEB_IDENTITY_TOKEN_FILE": "token"},
			wantOp: "AssumeRoleWithWebIdentity",
		},
		"AWS_PROFILE selects a profile": {
			env:    map[string]string{"AWS_PROFILE": "user"},
			wantOp: "GetSessionToken",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newKindsWorld(t)
			for k, v := range tt.env {
				if k == "AWS_WEB_IDENTITY_TOKEN_FILE" {
					v = filepath.Join(w.home, v)
				}
				t.Setenv(k, v)
			}
			creds := w.mustLoad(t, tt.profile)
			if tt.wantKey != "" && creds.AccessKeyID != tt.wantKey {
				t.Errorf("credentials %s, want %s", creds.AccessKeyID, tt.wantKey)
			}
			calls := w.calls()
			if tt.wantOp == "" && len(calls) != 0 {
				t.Errorf("calls %v, want none", calls)
			}
			if tt.wantOp != "" && (len(calls) != 1 || calls[tt.wantOp] != 1) {
				t.Errorf("calls %v, want one %s", calls, tt.wantOp)
			}
			if tt.wantOp != "" && !creds.CanExpire {
				t.Error("the credentials are not temporary")
			}

			// The SDK picks the same long-term keys.
			if tt.wantKey != "" {
				cfg, err := config.LoadDefaultConfig(context.Background(), w.options(tt.profile)...)
				if err != nil {
					t.Fatal(err)
				}
				sdk, err := cfg.Credentials.Retrieve(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if sdk.AccessKeyID != creds.AccessKeyID {
					t.Errorf("the SDK picks %s, sessioncache %s", sdk.AccessKeyID, creds.AccessKeyID)
				}
			}
		})
	}
}

func TestLoadDefaultConfigLeavesWhatItCannotCacheToTheSDK(t *testing.T) {
	tests := map[string]struct {
		profile string
		env     map[string]string
	}{
		"temporary keys with mfa_serial": {profile: "temporary"},
		"web identity without a role": {
			env: map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "token"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newKindsWorld(t)
			for k, v := range tt.env {
				t.Setenv(k, filepath.Join(w.home, v))
			}
			ours, ourErr := w.load(t, tt.profile)
			cfg, sdkErr := config.LoadDefaultConfig(context.Background(), w.options(tt.profile)...)
			var sdk aws.Credentials
			if sdkErr == nil {
				sdk, sdkErr = cfg.Credentials.Retrieve(context.Background())
			}
			if (ourErr == nil) != (sdkErr == nil) || (ourErr != nil && ourErr.Error() != sdkErr.Error()) {
				t.Errorf("error %v, want the SDK's %v", ourErr, sdkErr)
			}
			if ours.AccessKeyID != sdk.AccessKeyID {
				t.Errorf("credentials %q, the SDK's %q", ours.AccessKeyID, sdk.AccessKeyID)
			}
			if _, err := os.Stat(w.cacheDir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the cache directory was touched: %v", err)
			}
			if calls := w.calls(); calls["GetSessionToken"]+calls["AssumeRoleWithWebIdentity"] != 0 {
				t.Errorf("calls %v, want none of sessioncache's", calls)
			}
		})
	}
}

// Incomplete SSO settings are one error, from ProfileEntries and
// LoadDefaultConfig alike, that names the profile, the file and what is
// missing, rather than the SDK's or the portal's words at the first call.
func TestIncompleteSSOSettings(t *testing.T) {
	w := newKindsWorld(t)
	l := w.loader()
	_, entriesErr := l.ProfileEntries(context.Background(), w.options("sso-incomplete")...)
	_, loadErr := l.LoadDefaultConfig(context.Background(), w.options("sso-incomplete")...)
	for name, err := range map[string]error{"ProfileEntries": entriesErr, "LoadDefaultConfig": loadErr} {
		var pse *ProfileSettingsError
		if !errors.As(err, &pse) {
			t.Fatalf("%s: error %v, want a *ProfileSettingsError", name, err)
		}
		if pse.Profile != "sso-incomplete" || !slices.Equal(pse.Missing, []string{"sso_role_name"}) || !strings.HasSuffix(pse.File, "config") {
			t.Errorf("%s: %+v, want profile sso-incomplete, missing sso_role_name, in the config file", name, pse)
		}
	}
	if calls := w.calls(); len(calls) != 0 {
		t.Errorf("calls %v, want none", calls)
	}
}
