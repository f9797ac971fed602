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
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/ststest"
)

// A Go program switches from config.LoadDefaultConfig to
// sessioncache.LoadDefaultConfig and shares the AWS CLI's cache: the
// first run asks for an MFA code, and later runs, in this process or any
// other (the AWS CLI and boto3 included), use the cached credentials.
// Here a local STS stands for AWS, and a config file and cache directory
// of the example's own for ~/.aws.
func ExampleLoadDefaultConfig() {
	server := ststest.NewServer(func(o *ststest.Options) { o.RequireMFA = true })
	defer server.Close()
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	configFile := filepath.Join(dir, "config")
	err = os.WriteFile(configFile, []byte(`[profile admin]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
region = us-east-1

[profile base]
aws_access_key_id = AKIAEXAMPLEBASE00001
aws_secret_access_key = base-secret-not-real
`), 0o600)
	if err != nil {
		log.Fatal(err)
	}

	for run := 1; run <= 2; run++ {
		// Each run stands for a new process; the TokenProvider for the
		// person typing a code at the terminal.
		l := sessioncache.Loader{
			CacheDir: filepath.Join(dir, "cache"), // default ~/.aws/cli/cache
			TokenProvider: func(ctx context.Context, serial string) (string, error) {
				fmt.Println("MFA code asked for", serial)
				return "123456", nil
			},
		}
		cfg, err := l.LoadDefaultConfig(context.Background(),
			config.WithSharedConfigFiles([]string{configFile}),
			config.WithSharedCredentialsFiles([]string{filepath.Join(dir, "credentials")}),
			config.WithSharedConfigProfile("admin"),
			config.WithBaseEndpoint(server.URL))
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
// asked. Here a fetcher assumes a role with MFA at a local STS.
func ExampleChainTokenProviders() {
	server := ststest.NewServer(func(o *ststest.Options) { o.RequireMFA = true })
	defer server.Close()
	os.Setenv("EXAMPLE_MFA_CODE", "123456")
	defer os.Unsetenv("EXAMPLE_MFA_CODE")

	fromEnv := func(ctx context.Context, serial string) (string, error) {
		if code := os.Getenv("EXAMPLE_MFA_CODE"); code != "" {
			return code, nil
		}
		return "", &sessioncache.MFACodeUnavailableError{Serial: serial}
	}
	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(server.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAEXAMPLEBASE00001", "base-secret-not-real", ""),
	})
	f := sessioncache.NewAssumeRoleFetcher(client, "arn:aws:iam::123456789012:role/admin", func(o *sessioncache.AssumeRoleOptions) {
		o.SerialNumber = "arn:aws:iam::123456789012:mfa/alice"
		o.TokenProvider = sessioncache.ChainTokenProviders(fromEnv, sessioncache.DefaultTokenProvider)
	})
	if _, err := f.Fetch(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(server.Calls("AssumeRole"), "AssumeRole call")
	// Output: 1 AssumeRole call
}

// ProcessTokenProvider takes codes from a command, such as
// `ykman oath accounts code --single my-aws` for a YubiKey; a profile's
// mfa_process setting does the same without code. Here a fetcher assumes
// a role with MFA at a local STS.
func ExampleProcessTokenProvider() {
	server := ststest.NewServer(func(o *ststest.Options) { o.RequireMFA = true })
	defer server.Close()

	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(server.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAEXAMPLEBASE00001", "base-secret-not-real", ""),
	})
	f := sessioncache.NewAssumeRoleFetcher(client, "arn:aws:iam::123456789012:role/admin", func(o *sessioncache.AssumeRoleOptions) {
		o.SerialNumber = "arn:aws:iam::123456789012:mfa/alice"
		o.TokenProvider = sessioncache.ProcessTokenProvider("echo 123456")
	})
	e, err := f.Fetch(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.AssumedRoleUser.ARN != "")
	// Output: true
}
