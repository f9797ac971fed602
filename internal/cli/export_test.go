package cli

import (
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestFormatCredentials(t *testing.T) {
	session := aws.Credentials{
		AccessKeyID:     "ASIAEXAMPLE",
		SecretAccessKey: "secret/+=",
		SessionToken:    "token",
		CanExpire:       true,
		Expires:         time.Date(2023, 1, 1, 18, 18, 38, 0, time.UTC),
	}
	static := aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "secret"}
	tests := map[string]struct {
		format string
		creds  aws.Credentials
		want   string
	}{
		"process": {"process", session, `{
  "Version": 1,
  "AccessKeyId": "ASIAEXAMPLE",
  "SecretAccessKey": "secret/+=",
  "SessionToken": "token",
  "Expiration": "2023-01-01T18:18:38+00:00"
}
`},
		"process static": {"process", static, `{
  "Version": 1,
  "AccessKeyId": "AKIAEXAMPLE",
  "SecretAccessKey": "secret"
}
`},
		"process non-ascii is escaped as json.dumps does": {"process", aws.Credentials{AccessKeyID: "é", SecretAccessKey: "\"\\"}, `{
  "Version": 1,
  "AccessKeyId": "\u00e9",
  "SecretAccessKey": "\"\\"
}
`},
		"env":           {"env", session, "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=secret/+=\nexport AWS_SESSION_TOKEN=token\nexport AWS_CREDENTIAL_EXPIRATION=2023-01-01T18:18:38+00:00\n"},
		"env static":    {"env", static, "export AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=secret\n"},
		"env-no-export": {"env-no-export", session, "AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nAWS_SECRET_ACCESS_KEY=secret/+=\nAWS_SESSION_TOKEN=token\nAWS_CREDENTIAL_EXPIRATION=2023-01-01T18:18:38+00:00\n"},
		"powershell":    {"powershell", session, "$Env:AWS_ACCESS_KEY_ID=\"ASIAEXAMPLE\"\n$Env:AWS_SECRET_ACCESS_KEY=\"secret/+=\"\n$Env:AWS_SESSION_TOKEN=\"token\"\n$Env:AWS_CREDENTIAL_EXPIRATION=\"2023-01-01T18:18:38+00:00\"\n"},
		"windows-cmd":   {"windows-cmd", session, "set AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nset AWS_SECRET_ACCESS_KEY=secret/+=\nset AWS_SESSION_TOKEN=token\nset AWS_CREDENTIAL_EXPIRATION=2023-01-01T18:18:38+00:00\n"},
		"fish":          {"fish", session, "set -gx AWS_ACCESS_KEY_ID \"ASIAEXAMPLE\"\nset -gx AWS_SECRET_ACCESS_KEY \"secret/+=\"\nset -gx AWS_SESSION_TOKEN \"token\"\nset -gx AWS_CREDENTIAL_EXPIRATION \"2023-01-01T18:18:38+00:00\"\n"},
		"fish static":   {"fish", static, "set -gx AWS_ACCESS_KEY_ID \"AKIAEXAMPLE\"\nset -gx AWS_SECRET_ACCESS_KEY \"secret\"\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := formatCredentials(tt.format, tt.creds); got != tt.want {
				// Fake credentials only: showing them is safe.
				t.Errorf("formatCredentials(%q) =\n%s\nwant\n%s", tt.format, got, tt.want)
			}
		})
	}
}

func TestIsoformat(t *testing.T) {
	tests := map[string]struct {
		t    time.Time
		want string
	}{
		"whole seconds":             {time.Date(2026, 11, 28, 20, 39, 6, 0, time.UTC), "2026-11-28T20:39:06+00:00"},
		"microseconds":              {time.Date(2026, 11, 28, 20, 39, 6, 730961000, time.UTC), "2026-11-28T20:39:06.730961+00:00"},
		"leading zero microseconds": {time.Date(2026, 11, 28, 20, 39, 6, 1000, time.UTC), "2026-11-28T20:39:06.000001+00:00"},
		"below a microsecond":       {time.Date(2026, 11, 28, 20, 39, 6, 999, time.UTC), "2026-11-28T20:39:06+00:00"},
		"another offset":            {time.Date(2026, 11, 28, 22, 39, 6, 0, time.FixedZone("", 2*3600)), "2026-11-28T20:39:06+00:00"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := isoformat(tt.t); got != tt.want {
				t.Errorf("isoformat(%v) = %s, want %s", tt.t, got, tt.want)
			}
		})
	}
}

func TestEnterExportChain(t *testing.T) {
	t.Setenv(exportChainEnv, "")
	os.Unsetenv(exportChainEnv)

	restoreA, err := enterExportChain("a")
	if err != nil {
		t.Fatal(err)
	}
	restoreB, err := enterExportChain("b")
	if err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv(exportChainEnv); got != "a,b" {
		t.Errorf("%s = %q, want a,b", exportChainEnv, got)
	}
	if _, err := enterExportChain("a"); err == nil || err.Error() != "profile \"a\" gets its credentials from itself: a -> b -> a (check its credential_process)" {
		t.Errorf("a again: err = %v", err)
	}
	restoreB()
	if got := os.Getenv(exportChainEnv); got != "a" {
		t.Errorf("after b: %s = %q, want a", exportChainEnv, got)
	}
	restoreA()
	if _, ok := os.LookupEnv(exportChainEnv); ok {
		t.Errorf("after a: %s is still set", exportChainEnv)
	}
}
