package cli

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestExecEnv(t *testing.T) {
	session := aws.Credentials{
		AccessKeyID:     "ASIAEXAMPLE",
		SecretAccessKey: "secret",
		SessionToken:    "token",
		CanExpire:       true,
		Expires:         time.Date(2026, 11, 28, 21, 39, 6, 0, time.FixedZone("", 3600)),
	}
	static := aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "secret"}
	base := []string{
		"PATH=/bin",
		"AWS_PROFILE=other",
		"AWS_DEFAULT_PROFILE=other",
		"AWS_ACCESS_KEY_ID=old",
		"AWS_SECRET_ACCESS_KEY=old",
		"AWS_SESSION_TOKEN=old",
		"AWS_SECURITY_TOKEN=old",
		"AWS_CREDENTIAL_EXPIRATION=old",
		"AWS_ROLE_ARN=old",
		"AWS_ROLE_SESSION_NAME=old",
		"AWS_WEB_IDENTITY_TOKEN_FILE=old",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=old",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=old",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN=old",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=old",
		"AWS_REGION=old",
		"AWS_DEFAULT_REGION=old",
		"AWS_CONFIG_FILE=/kept",
		"SESSIONCACHE_PROFILE=",
		"HOME=/home/u",
	}
	kept := []string{"PATH=/bin", "AWS_CONFIG_FILE=/kept", "HOME=/home/u"}
	tests := map[string]struct {
		creds  aws.Credentials
		region string
		want   []string
	}{
		"session with region": {session, "eu-west-1", append(slices.Clone(kept),
			"AWS_ACCESS_KEY_ID=ASIAEXAMPLE",
			"AWS_SECRET_ACCESS_KEY=secret",
			"AWS_SESSION_TOKEN=token",
			"AWS_CREDENTIAL_EXPIRATION=2026-11-28T20:39:06+00:00",
			"AWS_REGION=eu-west-1",
			"AWS_DEFAULT_REGION=eu-west-1",
			"SESSIONCACHE_PROFILE=p",
		)},
		"static keys without region keep the region variables": {static, "", []string{
			"PATH=/bin", "AWS_REGION=old", "AWS_DEFAULT_REGION=old", "AWS_CONFIG_FILE=/kept", "HOME=/home/u",
			"AWS_ACCESS_KEY_ID=AKIAEXAMPLE",
			"AWS_SECRET_ACCESS_KEY=secret",
			"SESSIONCACHE_PROFILE=p",
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := execEnv(base, tt.creds, tt.region, "p")
			if !slices.Equal(got, tt.want) {
				t.Errorf("execEnv =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestIsCredentialEnv(t *testing.T) {
	tests := map[string]bool{
		"AWS_PROFILE":                           true,
		"AWS_CONTAINER_CREDENTIALS_ANYTHING":    true,
		"AWS_CONTAINER_AUTHORIZATION_TOKEN":     true,
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FOO": true,
		"SESSIONCACHE_PROFILE":                  true,
		"AWS_CONFIG_FILE":                       false,
		"AWS_REGION":                            false,
		"AWS_PROFILES":                          false,
		"AWS_CONTAINER":                         false,
		"aws_profile":                           runtime.GOOS == "windows",
	}
	for name, want := range tests {
		if got := isCredentialEnv(name); got != want {
			t.Errorf("isCredentialEnv(%q) = %v, want %v", name, got, want)
		}
	}
}
