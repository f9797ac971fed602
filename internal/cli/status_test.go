package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
)

// statusHome makes a HOME whose profile "admin" assumes a role with MFA
// and has a session cached for exp, and points the environment at it.
func statusHome(tb testing.TB, exp time.Time) {
	tb.Helper()
	home := tb.TempDir()
	aws := filepath.Join(home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		tb.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(aws, name), []byte(text), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	write("config", "[profile base]\nregion = eu-west-1\n\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n")
	write("credentials", "[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = not-a-real-secret\n")
	for k, v := range map[string]string{
		"HOME": home, "USERPROFILE": home,
		"AWS_CONFIG_FILE": filepath.Join(aws, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(aws, "credentials"),
		"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "SESSIONCACHE_DIR": "",
	} {
		tb.Setenv(k, v)
	}
	l := &sessioncache.Loader{}
	pes, err := l.ProfileEntries(context.Background(), config.WithSharedConfigProfile("admin"))
	if err != nil || len(pes) != 1 {
		tb.Fatalf("ProfileEntries: %v, %d entries", err, len(pes))
	}
	e := &sessioncache.Entry{Credentials: sessioncache.EntryCredentials{
		AccessKeyID: "ASIAEXAMPLEEXAMPLE01", SecretAccessKey: "s", SessionToken: "t", Expiration: exp,
	}}
	if err := sessioncache.NewFileCache(filepath.Join(aws, "cli", "cache")).Set(pes[0].Key, e); err != nil {
		tb.Fatal(err)
	}
}

func TestStatusBoundaries(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		left time.Duration
		want string
	}{
		"42 minutes":                 {42 * time.Minute, "42m\n"},
		"one nanosecond under 42m":   {42*time.Minute - 1, "41m\n"},
		"over an hour":               {65 * time.Minute, "1h05m\n"},
		"under a minute":             {30 * time.Second, "30s\n"},
		"expires now":                {0, ""},
		"expired one nanosecond ago": {-1, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			statusHome(t, now.Add(tt.left))
			defer func(f func() time.Time) { timeNow = f }(timeNow)
			timeNow = func() time.Time { return now }
			var out bytes.Buffer
			g := &globals{profile: "admin", stderr: &out}
			if err := runStatus(context.Background(), g, false, &out); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("status printed %q, want %q", out.String(), tt.want)
			}
		})
	}
}

// BenchmarkStatusWarm is what a shell prompt pays in process on every
// prompt: read the profile's settings and its one cache entry.
func BenchmarkStatusWarm(b *testing.B) {
	statusHome(b, time.Now().Add(time.Hour))
	var out bytes.Buffer
	g := &globals{profile: "admin", stderr: &out}
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := runStatus(context.Background(), g, false, &out); err != nil || out.Len() == 0 {
			b.Fatalf("status: %v, printed %q", err, out.String())
		}
	}
}
