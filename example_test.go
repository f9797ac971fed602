package sessioncache_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/ststest"
)

// exampleSetup points this process at a local STS and a temporary HOME
// whose profile "admin" assumes a role with MFA, as ~/.aws/config would.
func exampleSetup() (server *ststest.Server, cleanup func()) {
	home, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	server = ststest.NewServer(func(o *ststest.Options) { o.RequireMFA = true })
	os.MkdirAll(filepath.Join(home, ".aws"), 0o700)
	os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(`[profile admin]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
region = us-east-1
`), 0o600)
	os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte(`[base]
aws_access_key_id = AKIAEXAMPLEBASE00001
aws_secret_access_key = base-secret-not-real
`), 0o600)
	restore := setEnv(map[string]string{
		"HOME":                        home,
		"AWS_CONFIG_FILE":             filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, ".aws", "credentials"),
		"AWS_ENDPOINT_URL_STS":        server.URL,
		"AWS_PROFILE":                 "admin",
		// Keys in the environment would win over the profile.
		"AWS_ACCESS_KEY_ID":     "",
		"AWS_SECRET_ACCESS_KEY": "",
		"AWS_SESSION_TOKEN":     "",
	})
	return server, func() {
		restore()
		server.Close()
		os.RemoveAll(home)
	}
}

// setEnv sets the variables of env, unsetting those whose value is empty,
// and returns the function that puts back each as it was: unset ones
// unset, not empty.
func setEnv(env map[string]string) (restore func()) {
	type saved struct {
		value string
		set   bool
	}
	old := map[string]saved{}
	for k, v := range env {
		value, set := os.LookupEnv(k)
		old[k] = saved{value, set}
		if v == "" {
			os.Unsetenv(k)
		} else {
			os.Setenv(k, v)
		}
	}
	return func() {
		for k, s := range old {
			if s.set {
				os.Setenv(k, s.value)
			} else {
				os.Unsetenv(k)
			}
		}
	}
}

// A Go program switches from config.LoadDefaultConfig to
// sessioncache.LoadDefaultConfig and shares the AWS CLI's cache: the
// first run asks for an MFA code, and later runs, in this process or any
// other (the AWS CLI and boto3 included), use the cached credentials.
func ExampleLoadDefaultConfig() {
	server, cleanup := exampleSetup()
	defer cleanup()

	for run := 1; run <= 2; run++ {
		// Each run stands for a new process; a TokenProvider stands for
		// the person typing a code at the terminal.
		l := sessioncache.Loader{TokenProvider: func(ctx context.Context, serial string) (string, error) {
			fmt.Println("MFA code asked for", serial)
			return "123456", nil
		}}
		cfg, err := l.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"))
		if err != nil {
			log.Fatal(err)
		}
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("run %d: account %s, %d AssumeRole call(s) so far\n", run, aws.ToString(out.Account), server.Calls("AssumeRole"))
	}
	// Output:
	// MFA code asked for arn:aws:iam::123456789012:mfa/alice
	// run 1: account 123456789012, 1 AssumeRole call(s) so far
	// run 2: account 123456789012, 1 AssumeRole call(s) so far
}

// NewClient builds any service client in one call, as boto3's
// client('sts', region_name=...) does.
func ExampleNewClient() {
	_, cleanup := exampleSetup()
	defer cleanup()
	// The default TokenProvider asks at the terminal; a cached entry
	// makes that unnecessary here.
	seedCache()

	client, err := sessioncache.NewClient(context.Background(), sts.NewFromConfig, func(o *sts.Options) {
		o.Region = "us-east-1"
	})
	if err != nil {
		log.Fatal(err)
	}
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(aws.ToString(out.Account))
	// Output: 123456789012
}

// seedCache fetches the admin profile's credentials once, as a first run
// in a terminal would.
func seedCache() {
	l := sessioncache.Loader{TokenProvider: func(context.Context, string) (string, error) { return "123456", nil }}
	cfg, err := l.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := cfg.Credentials.Retrieve(context.Background()); err != nil {
		log.Fatal(err)
	}
}

// The cache is the AWS CLI's directory of JSON files; FileCache reads and
// writes it as botocore does.
func ExampleFileCache() {
	dir, err := os.MkdirTemp("", "cache")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cache := sessioncache.NewFileCache(dir)

	key := sessioncache.AssumeRoleKey(sessioncache.AssumeRoleKeyInput{
		RoleARN:      "arn:aws:iam::123456789012:role/admin",
		SerialNumber: "arn:aws:iam::123456789012:mfa/alice",
	})
	err = cache.Set(key, &sessioncache.Entry{Credentials: sessioncache.EntryCredentials{
		AccessKeyID:     "ASIAEXAMPLE",
		SecretAccessKey: "secret",
		SessionToken:    "token",
		Expiration:      time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}})
	if err != nil {
		log.Fatal(err)
	}
	entries, err := cache.List()
	if err != nil {
		log.Fatal(err)
	}
	for _, le := range entries {
		fmt.Println(le.Key, le.Entry.Credentials.AccessKeyID, le.Entry.Credentials.Expiration.Format(time.RFC3339))
	}
	// Output: c08bbcd61d2960e17757c33319b79219a44dea4e ASIAEXAMPLE 2030-01-02T03:04:05Z
}

// A program can put a source of codes of its own before the default ones
// (the profile's mfa_process, the terminal, a desktop dialog). A source
// with nothing to give returns *MFACodeUnavailableError, and the next is
// asked.
func ExampleChainTokenProviders() {
	server, cleanup := exampleSetup()
	defer cleanup()
	os.Setenv("EXAMPLE_MFA_CODE", "123456")
	defer os.Unsetenv("EXAMPLE_MFA_CODE")

	fromEnv := func(ctx context.Context, serial string) (string, error) {
		if code := os.Getenv("EXAMPLE_MFA_CODE"); code != "" {
			return code, nil
		}
		return "", &sessioncache.MFACodeUnavailableError{Serial: serial}
	}
	l := sessioncache.Loader{TokenProvider: sessioncache.ChainTokenProviders(fromEnv, sessioncache.DefaultTokenProvider)}
	cfg, err := l.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := cfg.Credentials.Retrieve(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(server.Calls("AssumeRole"), "AssumeRole call")
	// Output: 1 AssumeRole call
}

// ProcessTokenProvider takes codes from a command, such as
// `ykman oath accounts code --single my-aws` for a YubiKey; a profile's
// mfa_process setting does the same without code.
func ExampleProcessTokenProvider() {
	_, cleanup := exampleSetup()
	defer cleanup()

	l := sessioncache.Loader{TokenProvider: sessioncache.ProcessTokenProvider("echo 123456")}
	cfg, err := l.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(creds.CanExpire)
	// Output: true
}
