package sessioncache

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sessioncache/sessioncache/ststest"
)

const testConfig = `[profile mfa]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile short]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
duration_seconds = 900

[profile chain]
role_arn = arn:aws:iam::210987654321:role/deploy
source_profile = mfa
role_session_name = deployer

[profile plain]
region = eu-west-1
`

const testCredentials = `[base]
aws_access_key_id = AKIAEXAMPLEBASE00001
aws_secret_access_key = base-secret-not-real

[plain]
aws_access_key_id = AKIAEXAMPLEPLAIN0001
aws_secret_access_key = plain-secret-not-real
`

// world is a local STS, a config directory and a cache directory.
type world struct {
	sts      *ststest.Server
	dir      string
	cacheDir string
	prompts  atomic.Int32
}

func newWorld(t *testing.T, optFns ...func(*ststest.Options)) *world {
	t.Helper()
	for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", EnvCacheDir} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	w := &world{sts: ststest.NewServer(append([]func(*ststest.Options){func(o *ststest.Options) { o.RequireMFA = true }}, optFns...)...), dir: t.TempDir()}
	t.Cleanup(w.sts.Close)
	w.cacheDir = filepath.Join(w.dir, "cache")
	writeFile(t, filepath.Join(w.dir, "config"), testConfig)
	writeFile(t, filepath.Join(w.dir, "credentials"), testCredentials)
	return w
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// loader returns a Loader as a new process would have it, answering MFA
// prompts with code.
func (w *world) loader(code string) *Loader {
	return &Loader{
		CacheDir: w.cacheDir,
		TokenProvider: func(ctx context.Context, serial string) (string, error) {
			w.prompts.Add(1)
			return code, nil
		},
	}
}

func (w *world) options(profile string) []func(*config.LoadOptions) error {
	return []func(*config.LoadOptions) error{
		config.WithSharedConfigFiles([]string{filepath.Join(w.dir, "config")}),
		config.WithSharedCredentialsFiles([]string{filepath.Join(w.dir, "credentials")}),
		config.WithSharedConfigProfile(profile),
		config.WithRegion("us-east-1"),
		config.WithBaseEndpoint(w.sts.URL),
	}
}

func (w *world) retrieve(t *testing.T, profile string) aws.Credentials {
	t.Helper()
	cfg, err := w.loader("123456").LoadDefaultConfig(context.Background(), w.options(profile)...)
	if err != nil {
		t.Fatalf("LoadDefaultConfig(%s): %v", profile, err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("Retrieve(%s): %v", profile, err)
	}
	return creds
}

var mfaKey = AssumeRoleKey(AssumeRoleKeyInput{RoleARN: "arn:aws:iam::123456789012:role/admin", SerialNumber: "arn:aws:iam::123456789012:mfa/alice"})

func TestLoadDefaultConfigCachesAcrossProcesses(t *testing.T) {
	w := newWorld(t)
	first := w.retrieve(t, "mfa")
	if got := w.sts.Calls("AssumeRole"); got != 1 {
		t.Fatalf("first load: %d AssumeRole calls, want 1", got)
	}
	if got := w.prompts.Load(); got != 1 {
		t.Fatalf("first load: %d prompts, want 1", got)
	}
	if !strings.HasPrefix(first.AccessKeyID, "ASIA") || !first.CanExpire {
		t.Errorf("credentials are not temporary: key %s, CanExpire %v", first.AccessKeyID, first.CanExpire)
	}
	req := w.sts.Requests()[0]
	if req.Params.Has("DurationSeconds") {
		t.Errorf("DurationSeconds sent although the profile sets none: %s", req.Params.Get("DurationSeconds"))
	}
	if req.AccessKeyID != "AKIAEXAMPLEBASE00001" {
		t.Errorf("AssumeRole signed with %s, want the source profile's key", req.AccessKeyID)
	}

	// The entry is where the AWS CLI looks for it, readable by its owner only.
	info, err := os.Stat(filepath.Join(w.cacheDir, "c08bbcd61d2960e17757c33319b79219a44dea4e.json"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("entry mode %o, want 600", info.Mode().Perm())
	}

	second := w.retrieve(t, "mfa")
	if got := w.sts.Calls("AssumeRole"); got != 1 {
		t.Errorf("second load: %d AssumeRole calls, want still 1", got)
	}
	if got := w.prompts.Load(); got != 1 {
		t.Errorf("second load prompted: %d prompts, want still 1", got)
	}
	if second.AccessKeyID != first.AccessKeyID || second.SecretAccessKey != first.SecretAccessKey || !second.Expires.Equal(first.Expires) {
		t.Error("second load returned other credentials than the cached ones")
	}

	// The cached credentials work.
	out, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(w.sts.URL), Credentials: aws.CredentialsProviderFunc(
		func(context.Context) (aws.Credentials, error) { return second, nil })}).
		GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(out.Arn), ":assumed-role/admin/") {
		t.Errorf("identity %s, want the assumed role", aws.ToString(out.Arn))
	}
}

func TestLoadDefaultConfigRefreshesNearExpiry(t *testing.T) {
	tests := map[string]struct {
		later     time.Duration
		wantCalls int
	}{
		"16 minutes left is a hit":       {later: 44 * time.Minute, wantCalls: 1},
		"14 minutes left refreshes":      {later: 46 * time.Minute, wantCalls: 2},
		"expired refreshes":              {later: 2 * time.Hour, wantCalls: 2},
		"right after the first is a hit": {later: 0, wantCalls: 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			w.retrieve(t, "mfa")
			t.Cleanup(func() { timeNow = time.Now })
			timeNow = func() time.Time { return time.Now().Add(tt.later) }
			w.retrieve(t, "mfa")
			if got := w.sts.Calls("AssumeRole"); got != tt.wantCalls {
				t.Errorf("%d AssumeRole calls, want %d", got, tt.wantCalls)
			}
			if got := int(w.prompts.Load()); got != tt.wantCalls {
				t.Errorf("%d prompts, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestLoadDefaultConfigCachesEveryHopOfAChain(t *testing.T) {
	w := newWorld(t)
	creds := w.retrieve(t, "chain")
	if got := w.sts.Calls("AssumeRole"); got != 2 {
		t.Fatalf("%d AssumeRole calls, want 2", got)
	}
	reqs := w.sts.Requests()
	hop, err := NewFileCache(w.cacheDir).Get(mfaKey)
	if err != nil {
		t.Fatalf("first hop not cached: %v", err)
	}
	if reqs[1].AccessKeyID != hop.Credentials.AccessKeyID {
		t.Errorf("second hop signed with %s, want the first hop's key %s", reqs[1].AccessKeyID, hop.Credentials.AccessKeyID)
	}
	if got := reqs[1].Params.Get("RoleSessionName"); got != "deployer" {
		t.Errorf("RoleSessionName %q, want the profile's", got)
	}
	chainKey := AssumeRoleKey(AssumeRoleKeyInput{RoleARN: "arn:aws:iam::210987654321:role/deploy", RoleSessionName: "deployer"})
	last, err := NewFileCache(w.cacheDir).Get(chainKey)
	if err != nil {
		t.Fatalf("last hop not cached: %v", err)
	}
	if last.Credentials.AccessKeyID != creds.AccessKeyID {
		t.Error("the chain's credentials are not the last hop's entry")
	}

	// The first hop serves its own profile without a prompt.
	w.retrieve(t, "mfa")
	w.retrieve(t, "chain")
	if got := w.sts.Calls("AssumeRole"); got != 2 {
		t.Errorf("%d AssumeRole calls after reuse, want still 2", got)
	}
	if got := w.prompts.Load(); got != 1 {
		t.Errorf("%d prompts, want 1", got)
	}
}

func TestLoadDefaultConfigSendsDurationOnlyWhenSet(t *testing.T) {
	w := newWorld(t)
	w.retrieve(t, "short")
	if got := w.sts.Requests()[0].Params.Get("DurationSeconds"); got != "900" {
		t.Errorf("DurationSeconds = %q, want 900", got)
	}
	// The key includes the duration, as botocore's does.
	e, err := NewFileCache(w.cacheDir).Get("4837cd9292b64aa13af061af02464fe8058238a3")
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(e.Credentials.Expiration); left > 15*time.Minute || left < 14*time.Minute {
		t.Errorf("credentials last %v, want 15 minutes", left)
	}
}

func TestLoadDefaultConfigReplacesDamagedEntry(t *testing.T) {
	w := newWorld(t)
	if err := os.MkdirAll(w.cacheDir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(w.cacheDir, mfaKey+".json")
	writeFile(t, path, `{"Credentials": {"AccessKeyId": "ASIATORN`)
	w.retrieve(t, "mfa")
	if got := w.sts.Calls("AssumeRole"); got != 1 {
		t.Errorf("%d AssumeRole calls, want 1", got)
	}
	if _, err := NewFileCache(w.cacheDir).Get(mfaKey); err != nil {
		t.Errorf("damaged entry not replaced: %v", err)
	}
}

func TestLoadDefaultConfigLeavesOtherProfilesToTheSDK(t *testing.T) {
	w := newWorld(t)
	cfg, err := w.loader("123456").LoadDefaultConfig(context.Background(), w.options("plain")...)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "AKIAEXAMPLEPLAIN0001" || creds.CanExpire {
		t.Errorf("static profile gave %s (CanExpire %v), want its own keys", creds.AccessKeyID, creds.CanExpire)
	}
	if _, err := os.Stat(w.cacheDir); !os.IsNotExist(err) {
		t.Errorf("a static profile touched the cache directory: %v", err)
	}
	if w.sts.Calls("AssumeRole") != 0 {
		t.Error("a static profile called STS")
	}
}

func TestLoadDefaultConfigUnknownProfileFailsAsTheSDK(t *testing.T) {
	w := newWorld(t)
	_, err := w.loader("123456").LoadDefaultConfig(context.Background(), w.options("nope")...)
	_, sdkErr := config.LoadDefaultConfig(context.Background(), w.options("nope")...)
	if err == nil || sdkErr == nil || err.Error() != sdkErr.Error() {
		t.Errorf("error %v, want the SDK's %v", err, sdkErr)
	}
}

func TestLoadDefaultConfigWithDisabledCacheKeepsNothing(t *testing.T) {
	w := newWorld(t)
	l := w.loader("123456")
	l.DisableCache = true
	for i := 0; i < 2; i++ {
		cfg, err := l.LoadDefaultConfig(context.Background(), w.options("mfa")...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cfg.Credentials.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.sts.Calls("AssumeRole"); got != 2 {
		t.Errorf("%d AssumeRole calls, want one per load", got)
	}
	if _, err := os.Stat(w.cacheDir); !os.IsNotExist(err) {
		t.Errorf("cache directory made with the cache off: %v", err)
	}
}

func TestLoadDefaultConfigReadsCacheDirFromEnvironment(t *testing.T) {
	w := newWorld(t)
	dir := filepath.Join(w.dir, "from-env")
	t.Setenv(EnvCacheDir, dir)
	l := &Loader{TokenProvider: func(context.Context, string) (string, error) { return "123456", nil }}
	cfg, err := l.LoadDefaultConfig(context.Background(), w.options("mfa")...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Credentials.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, mfaKey+".json")); err != nil {
		t.Errorf("entry not in $%s: %v", EnvCacheDir, err)
	}
}

func TestProfileEntriesListsEveryHop(t *testing.T) {
	w := newWorld(t)
	var l Loader
	got, err := l.ProfileEntries(context.Background(), w.options("chain")...)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Profile != "mfa" || got[0].Key != mfaKey || got[1].Profile != "chain" {
		t.Errorf("ProfileEntries = %+v, want the mfa hop then the chain hop", got)
	}
}

func TestCredentialsReportTheRealExpiry(t *testing.T) {
	w := newWorld(t)
	l := w.loader("123456")
	miss, err := l.Credentials(context.Background(), w.options("mfa")...)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewFileCache(w.cacheDir).Get(mfaKey)
	if err != nil {
		t.Fatal(err)
	}
	if !miss.Expires.Equal(e.Credentials.Expiration) {
		t.Errorf("on a miss Expires = %v, want the entry's %v", miss.Expires, e.Credentials.Expiration)
	}
	hit, err := w.loader("").Credentials(context.Background(), w.options("mfa")...)
	if err != nil {
		t.Fatal(err)
	}
	if hit.AccessKeyID != miss.AccessKeyID || !hit.Expires.Equal(e.Credentials.Expiration) {
		t.Errorf("on a hit got key %s expiring %v, want the cached %s expiring %v", hit.AccessKeyID, hit.Expires, miss.AccessKeyID, e.Credentials.Expiration)
	}
	if got := w.sts.Calls("AssumeRole"); got != 1 {
		t.Errorf("%d AssumeRole calls, want 1", got)
	}

	// Fourteen minutes left: the fast path must not serve it.
	t.Cleanup(func() { timeNow = time.Now })
	timeNow = func() time.Time { return e.Credentials.Expiration.Add(-14 * time.Minute) }
	if _, err := w.loader("123456").Credentials(context.Background(), w.options("mfa")...); err != nil {
		t.Fatal(err)
	}
	if got := w.sts.Calls("AssumeRole"); got != 2 {
		t.Errorf("%d AssumeRole calls after the entry neared expiry, want 2", got)
	}
}

func TestCredentialSourceEcsContainerSendsAuthorizationToken(t *testing.T) {
	tests := map[string]struct {
		token     string // AWS_CONTAINER_AUTHORIZATION_TOKEN
		tokenFile string // content of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, "" for none
		want      string
	}{
		"token in the environment": {token: "env-token", want: "env-token"},
		"token in a file":          {tokenFile: "file-token", want: "file-token"},
		"the file wins":            {token: "env-token", tokenFile: "file-token", want: "file-token"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var got atomic.Value
			got.Store("")
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got.Store(r.Header.Get("Authorization"))
				fmt.Fprintf(w, `{"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": "s", "Token": "t", "Expiration": %q}`,
					time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
			}))
			defer srv.Close()
			t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/creds")
			t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", tt.token)
			t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "")
			if tt.tokenFile != "" {
				path := filepath.Join(t.TempDir(), "token")
				writeFile(t, path, tt.tokenFile)
				t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path)
			}

			var r resolver
			p, err := r.credentialSource(aws.Config{}, &config.SharedConfig{Profile: "p", CredentialSource: "EcsContainer"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Retrieve(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got.Load() != tt.want {
				t.Errorf("the container endpoint got the wrong authorization token (want the one from %s)", name)
			}
		})
	}
}

// The SDK accepts role_arn beside credential_process and assumes the role
// with what the process prints; so must the drop-in, and cache the role.
func TestRoleWithCredentialProcessInTheSameProfile(t *testing.T) {
	w := newWorld(t, func(o *ststest.Options) { o.RequireMFA = false })
	script := filepath.Join(w.dir, "creds.sh")
	writeFile(t, script, "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAEXAMPLEPROC00001\", \"SecretAccessKey\": \"proc-secret-not-real\"}'\n")
	if err := os.Chmod(script, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(w.dir, "config"), testConfig+`
[profile proc]
role_arn = arn:aws:iam::123456789012:role/admin
credential_process = `+script+`
`)
	first := w.retrieve(t, "proc")
	second := w.retrieve(t, "proc")
	if got := w.sts.Calls("AssumeRole"); got != 1 {
		t.Errorf("%d AssumeRole calls, want 1", got)
	}
	if reqs := w.sts.Requests(); len(reqs) == 0 || reqs[0].AccessKeyID != "AKIAEXAMPLEPROC00001" {
		t.Error("AssumeRole was not signed with the process's key")
	}
	if first.AccessKeyID != second.AccessKeyID || !strings.HasPrefix(first.AccessKeyID, "ASIA") {
		t.Errorf("got %s then %s, want one cached role session", first.AccessKeyID, second.AccessKeyID)
	}
}
