package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache/ststest"
)

// credentialSettings is what of a profile's settings choose its
// credentials and make its cache keys, down its chain of sources.
func credentialSettings(c *config.SharedConfig) string {
	var b strings.Builder
	for ; c != nil; c = c.Source {
		d := "unset"
		if c.RoleDurationSeconds != nil {
			d = c.RoleDurationSeconds.String()
		}
		fmt.Fprintf(&b, "[%s] role=%q ext=%q mfa=%q name=%q src=%q csrc=%q proc=%q wit=%q sso=%q/%q/%q/%q/%q login=%q keys=%q/%q/%q/%q region=%q dur=%s",
			c.Profile, c.RoleARN, c.ExternalID, c.MFASerial, c.RoleSessionName, c.SourceProfileName, c.CredentialSource,
			c.CredentialProcess, c.WebIdentityTokenFile, c.SSOSessionName, c.SSORegion, c.SSOStartURL, c.SSOAccountID, c.SSORoleName,
			c.LoginSession, c.Credentials.AccessKeyID, c.Credentials.SecretAccessKey, c.Credentials.SessionToken, c.Credentials.AccountID, c.Region, d)
		if s := c.SSOSession; s != nil {
			fmt.Fprintf(&b, " session=%q/%q/%q", s.Name, s.SSORegion, s.SSOStartURL)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestSharedConfigReadsProfilesAsTheSDK compares, profile by profile, what
// the one-pass reading finds with what config.LoadSharedConfigProfile
// finds, over files with the quirks the SDK's parser has.
func TestSharedConfigReadsProfilesAsTheSDK(t *testing.T) {
	const configFile = "# a comment\n; another\n" +
		"[default]\nregion = eu-west-1\n" +
		"[profile base]\nregion: us-east-2 ; comment\n" +
		"[profile role]\nrole_arn = arn:aws:iam::123456789012:role/admin # comment\nsource_profile = base\nmfa_serial = 'arn:aws:iam::123456789012:mfa/alice'\nROLE_SESSION_NAME = \"alice\"\nexternal_id=ext#not-a-comment\nduration_seconds = 900\n" +
		"[profile   spaced  ]\r\nrole_arn = arn:aws:iam::123456789012:role/spaced\r\nsource_profile = role\r\n" +
		"[profile chain3]\nrole_arn = arn:aws:iam::123456789012:role/c3\nsource_profile = spaced\nrole_session_name = s\n" +
		"[profile self]\nrole_arn = arn:aws:iam::123456789012:role/self\nsource_profile = self\naws_access_key_id = AKIASELF\naws_secret_access_key = selfsecret\n" +
		"[profile loop-a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = loop-b\n" +
		"[profile loop-b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = loop-a\n" +
		"[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n" +
		"[sso-session corp]\nsso_region = eu-central-1\nsso_start_url = https://corp.awsapps.com/start\n" +
		"[profile legacy-sso]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\n" +
		"[profile web]\nrole_arn = arn:aws:iam::123456789012:role/web\nweb_identity_token_file = /tmp/token\nrole_session_name = w\n" +
		"[profile ec2]\nrole_arn = arn:aws:iam::123456789012:role/ec2\ncredential_source = Ec2InstanceMetadata\n" +
		"[profile proc]\ncredential_process = /bin/creds --flag \"x\"\n" +
		"[profile proc-role]\ncredential_process = /bin/creds\nrole_arn = arn:aws:iam::123456789012:role/pr\n" +
		"[profile both]\nsource_profile = base\ncredential_source = Environment\nrole_arn = arn:aws:iam::123456789012:role/both\n" +
		"[profile norole]\nsource_profile = base\n" +
		"[profile missing-src]\nrole_arn = arn:aws:iam::123456789012:role/m\nsource_profile = nowhere\n" +
		"[profile dup]\nrole_arn = arn:aws:iam::123456789012:role/first\nsource_profile = base\n" +
		"[profile dup]\nrole_arn = arn:aws:iam::123456789012:role/second\n" +
		"[profile nested]\nrole_arn = arn:aws:iam::123456789012:role/n\nsource_profile = base\ns3 =\n  max_concurrent_requests = 20\n" +
		"[profile mfa-session]\naws_access_key_id = AKIAMFA\naws_secret_access_key = mfasecret\nmfa_serial = arn:aws:iam::123456789012:mfa/bob\n" +
		"[profile partial]\naws_access_key_id = AKIAPARTIAL\n" +
		"[plain-not-profile]\nrole_arn = arn:aws:iam::123456789012:role/ignored\n" +
		"[profile in-both]\nrole_arn = arn:aws:iam::123456789012:role/both-files\nsource_profile = base\n" +
		"[profile oct]\nrole_arn = arn:aws:iam::123456789012:role/oct\nsource_profile = base\nduration_seconds = 03600\n"
	const credentialsFile = "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = basesecret\n" +
		"[credsonly]\naws_access_key_id = AKIACREDS\naws_secret_access_key = credssecret\naws_session_token = tok\naws_account_id = 123456789012\n" +
		"[in-both]\naws_access_key_id = AKIABOTH\naws_secret_access_key = bothsecret\n" +
		"[profile ignored]\naws_access_key_id = AKIAIGNORED\naws_secret_access_key = x\n"
	dir := t.TempDir()
	cfgPath, credsPath := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	writeFile(t, cfgPath, configFile)
	writeFile(t, credsPath, credentialsFile)
	files := func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{cfgPath}
		o.CredentialsFiles = []string{credsPath}
	}
	set, err := readSharedConfig([]string{cfgPath}, []string{credsPath})
	if err != nil {
		t.Fatal(err)
	}

	names := append(append([]string{}, set.names...), "nowhere", "plain-not-profile", "ignored")
	read := 0
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			want, wantErr := config.LoadSharedConfigProfile(context.Background(), name, files)
			got, err := set.profile(name)
			if errors.Is(err, errUnsure) {
				return // the SDK reads it: nothing to compare
			}
			read++
			if err != nil || wantErr != nil {
				t.Fatalf("one pass: %v; SDK: %v", err, wantErr)
			}
			if name == "oct" {
				// Read as botocore does, not as the SDK.
				if d := got.RoleDurationSeconds; d == nil || *d != time.Hour {
					t.Errorf("duration_seconds = 03600 read as %v, want 1h as botocore", d)
				}
				got.RoleDurationSeconds = want.RoleDurationSeconds
			}
			if g, w := credentialSettings(got), credentialSettings(&want); g != w {
				t.Errorf("one pass read\n%s\nthe SDK\n%s", g, w)
			}
		})
	}
	if read < 15 {
		t.Errorf("only %d profiles read in one pass; the others were left to the SDK", read)
	}
	for _, name := range []string{"nested", "partial", "both", "norole", "missing-src", "loop-a"} {
		if _, err := set.profile(name); !errors.Is(err, errUnsure) {
			t.Errorf("profile %s: %v, want it left to the SDK", name, err)
		}
	}
}

func TestPythonIntSeconds(t *testing.T) {
	tests := map[string]*time.Duration{
		"3600": aws.Duration(time.Hour), "03600": aws.Duration(time.Hour), " 3600 ": aws.Duration(time.Hour),
		"+3600": aws.Duration(time.Hour), "3_600": aws.Duration(time.Hour), "0": aws.Duration(0),
		"0x10": nil, "3600s": nil, "": nil, "1e3": nil, "3__600": nil, "_3600": nil, "3600_": nil, "36.0": nil,
	}
	for in, want := range tests {
		got := pythonIntSeconds(in)
		if (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("pythonIntSeconds(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestDurationSecondsIsReadAsBotocoreReadsIt(t *testing.T) {
	tests := map[string]struct {
		value string
		want  int // 0: not sent, as botocore ignores a value int() refuses
	}{
		"leading zero": {"03600", 3600},
		"underscore":   {"3_600", 3600},
		"plain":        {"900", 900},
		"hex":          {"0x10", 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, func(o *ststest.Options) { o.RequireMFA = false })
			writeFile(t, filepath.Join(w.dir, "config"), "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\nduration_seconds = "+tt.value+"\n")
			l := w.loader("")
			pes, err := l.ProfileEntries(context.Background(), w.options("r")...)
			if err != nil {
				t.Fatal(err)
			}
			wantKey := AssumeRoleKey(AssumeRoleKeyInput{RoleARN: "arn:aws:iam::123456789012:role/admin", DurationSeconds: tt.want})
			if len(pes) != 1 || pes[0].Key != wantKey {
				t.Errorf("entries %+v, want the key %s of DurationSeconds %d", pes, wantKey, tt.want)
			}
			w.retrieve(t, "r")
			reqs := w.sts.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			got := reqs[0].Params.Get("DurationSeconds")
			if want := strconv.Itoa(tt.want); tt.want != 0 && got != want || tt.want == 0 && got != "" {
				t.Errorf("DurationSeconds sent = %q, want %d (0: not sent)", got, tt.want)
			}
			if _, err := os.Stat(filepath.Join(w.cacheDir, wantKey+".json")); err != nil {
				t.Errorf("the entry is not under the AWS CLI's key: %v", err)
			}
		})
	}
}

func TestSourceProfileLoopIsNamed(t *testing.T) {
	w := newWorld(t)
	writeFile(t, filepath.Join(w.dir, "config"), "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n"+
		"[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = c\n"+
		"[profile c]\nrole_arn = arn:aws:iam::123456789012:role/c\nsource_profile = a\n"+
		"[profile self]\nrole_arn = arn:aws:iam::123456789012:role/s\nsource_profile = self\naws_access_key_id = AKIASELF\naws_secret_access_key = s\n")
	_, err := w.loader("").LoadDefaultConfig(context.Background(), w.options("a")...)
	var loop *ProfileLoopError
	if !errors.As(err, &loop) || strings.Join(loop.Chain, " -> ") != "a -> b -> c -> a" || strings.Contains(err.Error(), "<nil>") {
		t.Errorf("LoadDefaultConfig error = %v, want a *ProfileLoopError with the chain a -> b -> c -> a", err)
	}
	// A profile that is its own source, with keys, is no loop.
	if _, err := w.loader("").ProfileEntries(context.Background(), w.options("self")...); err != nil {
		t.Errorf("ProfileEntries(self): %v", err)
	}
}

// A syntax error in a shared file is a *ConfigParseError naming the file
// and the line, from every entry point, for every profile: never the SDK's
// "profile does not exist", and never the broken section's settings given
// to the profile above it.
func TestSyntaxErrorIsOneParseError(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	dir := t.TempDir()
	cfgPath, credsPath := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	writeFile(t, credsPath, "[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
	writeFile(t, cfgPath, "[profile base]\nregion = us-east-1\n\n[profile admin\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\n")
	files := []func(*config.LoadOptions) error{
		config.WithSharedConfigFiles([]string{cfgPath}),
		config.WithSharedCredentialsFiles([]string{credsPath}),
	}
	l := &Loader{CacheDir: filepath.Join(dir, "cache")}
	check := func(t *testing.T, what string, err error) {
		t.Helper()
		var pe *ConfigParseError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: %v, want a *ConfigParseError", what, err)
		}
		if pe.Path != cfgPath || pe.Line != 4 {
			t.Errorf("%s: the error names %s line %d, want %s line 4", what, pe.Path, pe.Line, cfgPath)
		}
		if want := "cannot parse " + cfgPath + " line 4: "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %q, want it to start %q", what, err, want)
		}
	}
	for _, profile := range []string{"admin", "base", ""} {
		t.Run("profile "+profile, func(t *testing.T) {
			opts := append(files, config.WithSharedConfigProfile(profile))
			_, err := l.LoadDefaultConfig(context.Background(), opts...)
			check(t, "LoadDefaultConfig", err)
			_, err = l.Credentials(context.Background(), opts...)
			check(t, "Credentials", err)
			_, err = l.ProfileEntries(context.Background(), opts...)
			check(t, "ProfileEntries", err)
		})
	}
	_, err := l.AllProfileEntries(context.Background(), files...)
	check(t, "AllProfileEntries", err)
	// Even with keys in the environment, the SDK still reads the files.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	_, err = LoadDefaultConfig(context.Background(), files...)
	check(t, "LoadDefaultConfig with keys in the environment", err)
}
