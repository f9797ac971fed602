package sessioncache

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sessioncache/sessioncache/ststest"
)

// dropinConfig adds to the kind tests' profiles the kinds of the
// compatibility table that they lack.
const dropinConfig = `
[profile chain]
role_arn = arn:aws:iam::210987654321:role/deploy
source_profile = audit

[profile from-env]
role_arn = arn:aws:iam::123456789012:role/audit
credential_source = Environment

[profile from-container]
role_arn = arn:aws:iam::123456789012:role/audit
credential_source = EcsContainer

[profile process-role]
role_arn = arn:aws:iam::123456789012:role/audit
credential_process = $HOME/creds.sh

[profile process]
credential_process = $HOME/creds.sh

[profile from-instance]
role_arn = arn:aws:iam::123456789012:role/audit
credential_source = Ec2InstanceMetadata

[profile nothing]
region = eu-west-1
`

// dropinLoaders are the loaders a program may switch between: the SDK's,
// sessioncache's drop-in, and sessioncache's with every opt-in on.
var dropinLoaders = map[string]func(w *kindsWorld) func(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error){
	"config.LoadDefaultConfig": func(*kindsWorld) func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error) {
		return config.LoadDefaultConfig
	},
	"sessioncache.LoadDefaultConfig": func(*kindsWorld) func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error) {
		return LoadDefaultConfig
	},
	"Loader with MFASession and ChainMFASession": func(w *kindsWorld) func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error) {
		l := &Loader{CacheDir: w.cacheDir, MFASession: true, ChainMFASession: true, TokenProvider: func(context.Context, string) (string, error) {
			return kindsCode, nil
		}}
		return l.LoadDefaultConfig
	},
}

// whoAmI is the program every loader runs: who do the credentials of
// profile belong to? The role session name is cut from assumed-role
// identities: the SDK names sessions aws-go-sdk-<nanoseconds>,
// sessioncache, as botocore, <name>-<seconds>, and that is the one
// intended difference.
func whoAmI(ctx context.Context, load func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error), opts []func(*config.LoadOptions) error) (string, error) {
	opts = append(opts, config.WithAssumeRoleCredentialOptions(func(o *stscreds.AssumeRoleOptions) {
		o.TokenProvider = func() (string, error) { return kindsCode, nil }
	}))
	cfg, err := load(ctx, opts...)
	if err != nil {
		return "", err
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	arn, userID := aws.ToString(out.Arn), aws.ToString(out.UserId)
	if strings.Contains(arn, ":assumed-role/") {
		arn = arn[:strings.LastIndex(arn, "/")]
		userID, _, _ = strings.Cut(userID, ":")
	}
	return aws.ToString(out.Account) + " " + arn + " " + userID, nil
}

func TestLoadDefaultConfigIsADropIn(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("credential_process is a shell script here")
	}
	tests := map[string]struct {
		profile string
		env     map[string]string
		// instance runs on an instance: the instance metadata service
		// answers, and no container's credentials are offered.
		instance bool
	}{
		"role from static keys":                           {profile: "audit"},
		"role with MFA from keys with mfa_serial":         {profile: "admin"},
		"chain of roles":                                  {profile: "chain"},
		"role from credential_source Environment":         {profile: "from-env", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEENV000001", "AWS_SECRET_ACCESS_KEY": "env-secret-not-real"}},
		"role from credential_source EcsContainer":        {profile: "from-container"},
		"role from credential_process":                    {profile: "process-role"},
		"web identity profile":                            {profile: "wi"},
		"role from a web identity":                        {profile: "deploy"},
		"web identity in the environment":                 {env: map[string]string{"AWS_ROLE_ARN": kindsWebRole, "AWS_WEB_IDENTITY_TOKEN_FILE": "$HOME/token"}},
		"sso_session":                                     {profile: "sso"},
		"legacy sso_start_url":                            {profile: "sso-legacy"},
		"role from SSO":                                   {profile: "sso-admin"},
		"long-term keys with mfa_serial, no role":         {profile: "user"},
		"long-term keys with mfa_serial and a duration":   {profile: "user-short"},
		"temporary keys with mfa_serial":                  {profile: "temporary"},
		"static keys":                                     {profile: "plain"},
		"credential_process":                              {profile: "process"},
		"keys in the environment":                         {env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEENV000001", "AWS_SECRET_ACCESS_KEY": "env-secret-not-real"}},
		"role from credential_source Ec2InstanceMetadata": {profile: "from-instance", instance: true},
		"container credentials":                           {profile: "nothing"},
		"instance role":                                   {profile: "nothing", instance: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newKindsWorld(t)
			// No terminal and no dialog: a drop-in that asked for a code
			// where the SDK asks none would fail here.
			noTerminal(t, "")
			w.appendFile(t, filepath.Join(".aws", "config"), dropinConfig)
			mustWrite(t, filepath.Join(w.home, "creds.sh"), "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAEXAMPLEPROC00001\", \"SecretAccessKey\": \"proc-secret-not-real\"}'\n")
			if err := os.Chmod(filepath.Join(w.home, "creds.sh"), 0o700); err != nil {
				t.Fatal(err)
			}
			container := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				_ = json.NewEncoder(rw).Encode(map[string]string{
					"AccessKeyId":     "AKIAEXAMPLECONT00001",
					"SecretAccessKey": "container-secret-not-real",
					"Expiration":      time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
				})
			}))
			defer container.Close()
			if tt.instance {
				imds := httptest.NewServer(http.HandlerFunc(serveInstanceMetadata))
				defer imds.Close()
				t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
				t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
			} else {
				t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.URL+"/creds")
			}
			for k, v := range tt.env {
				t.Setenv(k, strings.ReplaceAll(v, "$HOME", w.home))
			}

			var want, wantFrom string
			var sdkCalls map[string]int
			for _, loader := range []string{"config.LoadDefaultConfig", "sessioncache.LoadDefaultConfig", "Loader with MFASession and ChainMFASession"} {
				before := w.calls()
				got, err := whoAmI(context.Background(), dropinLoaders[loader](w), w.options(tt.profile))
				if err != nil {
					t.Fatalf("%s: %v", loader, err)
				}
				calls := w.calls()
				for op, n := range before {
					calls[op] -= n
				}
				switch loader {
				case "config.LoadDefaultConfig":
					want, wantFrom, sdkCalls = got, loader, calls
					continue
				case "sessioncache.LoadDefaultConfig":
					// On an empty cache, the drop-in makes the SDK's calls,
					// no more (an MFA session would add GetSessionToken).
					for op, n := range calls {
						if n != sdkCalls[op] {
							t.Errorf("%s made %d %s calls, the SDK %d", loader, n, op, sdkCalls[op])
						}
					}
				}
				if got != want {
					t.Errorf("%s resolves to %q, %s to %q", loader, got, wantFrom, want)
				}
			}
		})
	}
}

// The drop-in asks for no code where the SDK asks none, and makes no
// MFA session unless told to.
func TestKeysWithMFASerialAreUsedAsTheyAre(t *testing.T) {
	w := newKindsWorld(t, func(o *ststest.Options) { o.RequireMFA = true })
	noTerminal(t, "")
	cfg, err := LoadDefaultConfig(context.Background(), w.options("user")...)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != kindsUserKey || creds.CanExpire {
		t.Errorf("credentials %s (temporary %v), want the profile's long-term keys", creds.AccessKeyID, creds.CanExpire)
	}
	if n := len(w.sts.Requests()); n != 0 {
		t.Errorf("%d STS calls, want none", n)
	}
	if _, err := os.Stat(w.cacheDir); !os.IsNotExist(err) {
		t.Errorf("the cache directory was touched: %v", err)
	}
	entries, err := (&Loader{}).ProfileEntries(context.Background(), w.options("user")...)
	if err != nil || len(entries) != 0 {
		t.Errorf("ProfileEntries = %v, %v; want none", entries, err)
	}
}

// With no way to get a code, the error of an MFA session says what can
// help; the AWS CLI cannot, since it makes no MFA session.
func TestMFASessionWithoutACodeSaysWhatHelps(t *testing.T) {
	w := newKindsWorld(t, func(o *ststest.Options) { o.RequireMFA = true })
	noTerminal(t, "")
	l := &Loader{CacheDir: w.cacheDir, MFASession: true}
	cfg, err := l.LoadDefaultConfig(context.Background(), w.options("user")...)
	if err == nil {
		_, err = cfg.Credentials.Retrieve(context.Background())
	}
	var unavailable *MFACodeUnavailableError
	if !errors.As(err, &unavailable) {
		t.Fatalf("error = %v, want *MFACodeUnavailableError", err)
	}
	if !strings.Contains(err.Error(), "set mfa_process in the profile, or run the program once in a terminal") {
		t.Errorf("error %q does not say what helps", err)
	}
	if strings.Contains(err.Error(), "aws sts") {
		t.Errorf("error %q sends the user to the AWS CLI, which makes no MFA session", err)
	}
	if n := len(w.sts.Requests()); n != 0 {
		t.Errorf("%d STS calls, want none", n)
	}
}

// serveInstanceMetadata answers as the instance metadata service of an
// instance with the role ec2-role.
func serveInstanceMetadata(rw http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
		rw.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
		_, _ = rw.Write([]byte("imds-token-not-real"))
	case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
		_, _ = rw.Write([]byte("ec2-role"))
	case r.URL.Path == "/latest/meta-data/iam/security-credentials/ec2-role":
		_ = json.NewEncoder(rw).Encode(map[string]string{
			"Code":            "Success",
			"Type":            "AWS-HMAC",
			"AccessKeyId":     "AKIAEXAMPLEIMDS00001",
			"SecretAccessKey": "imds-secret-not-real",
			"Expiration":      time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	default:
		http.NotFound(rw, r)
	}
}
