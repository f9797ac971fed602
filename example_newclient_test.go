package sessioncache_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/ststest"
)

// NewClient builds any service client in one call, as boto3's
// client('sts', region_name=...) does. It takes the profile from the
// environment, as the SDK does: exampleSetup, below, makes one that
// stands for ~/.aws and AWS_PROFILE, with a local STS for AWS.
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
