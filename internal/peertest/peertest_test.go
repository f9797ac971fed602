package peertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	mfaConfig = `[profile mfa]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
`
	baseCredentials = `[base]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
`
	// mfaKey is botocore's cache key for the mfa profile: the sha1 of
	// {"RoleArn": "arn:aws:iam::123456789012:role/admin", "SerialNumber": "arn:aws:iam::123456789012:mfa/alice"}.
	mfaKey    = "c08bbcd61d2960e17757c33319b79219a44dea4e"
	mfaPrompt = "Enter MFA code for arn:aws:iam::123456789012:mfa/alice: "
)

// cacheEntry is the part of a cache file the tests look at.
type cacheEntry struct {
	Credentials struct {
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
}

// TestAWSCLICachesAssumedRole runs the AWS CLI twice for a role with MFA:
// the first run calls AssumeRole and writes the cache, the second reads it
// and calls STS only for the identity, and botocore reads the file back.
func TestAWSCLICachesAssumedRole(t *testing.T) {
	m := Moto(t)
	if n := len(m.Requests(t)); n != 0 {
		t.Fatalf("fresh moto_server has served %d requests, want 0", n)
	}
	h := NewHome(t, mfaConfig, baseCredentials)
	env := h.Env(m)

	stdout, stderr, err := AWS(t, env, "123456\n", "sts", "get-caller-identity", "--profile", "mfa")
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, mfaPrompt) {
		t.Errorf("stderr lacks the MFA prompt %q:\n%s", mfaPrompt, stderr)
	}
	var ident struct{ Arn string }
	if err := json.Unmarshal([]byte(stdout), &ident); err != nil {
		t.Fatalf("aws output: %v\n%s", err, stdout)
	}
	if !strings.HasPrefix(ident.Arn, "arn:aws:sts::123456789012:assumed-role/admin/") {
		t.Errorf("caller is %q, want the assumed role admin", ident.Arn)
	}
	if got := m.Calls(t, "AssumeRole"); got != 1 {
		t.Fatalf("AssumeRole calls = %d, want 1", got)
	}
	if got := m.Calls(t, "GetCallerIdentity"); got != 1 {
		t.Errorf("GetCallerIdentity calls = %d, want 1", got)
	}

	entries, err := os.ReadDir(h.CacheDir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{mfaKey + ".json"}; !slices.Equal(names, want) {
		t.Fatalf("cache dir holds %q, want %q", names, want)
	}
	file := filepath.Join(h.CacheDir(), mfaKey+".json")
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode = %v, want -rw-------", info.Mode().Perm())
	}
	first, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var entry cacheEntry
	if err := json.Unmarshal(first, &entry); err != nil {
		t.Fatalf("cache file is not JSON: %v", err)
	}
	c := entry.Credentials
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		t.Errorf("cache file lacks credentials")
	}
	// The AWS CLI keeps moto's string, which has microseconds.
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`).MatchString(c.Expiration) {
		t.Errorf("Expiration = %q, want RFC 3339 UTC", c.Expiration)
	}
	if exp, err := time.Parse(time.RFC3339Nano, c.Expiration); err != nil {
		t.Errorf("Expiration: %v", err)
	} else if d := time.Until(exp); d < 50*time.Minute || d > 70*time.Minute {
		t.Errorf("Expiration is %v away, want about an hour", d)
	}

	t.Run("second run uses the cache", func(t *testing.T) {
		_, stderr, err := AWS(t, env, "", "sts", "get-caller-identity", "--profile", "mfa")
		if err != nil {
			t.Fatalf("aws sts get-caller-identity: %v\n%s", err, stderr)
		}
		if strings.Contains(stderr, "Enter MFA code") {
			t.Errorf("second run prompted for MFA")
		}
		if got := m.Calls(t, "AssumeRole"); got != 1 {
			t.Errorf("AssumeRole calls = %d after the second run, want still 1", got)
		}
		if got := m.Calls(t, "GetCallerIdentity"); got != 2 {
			t.Errorf("GetCallerIdentity calls = %d, want 2", got)
		}
		again, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, first) {
			t.Errorf("cache file changed on a cache hit")
		}
	})

	t.Run("botocore reads the entry", func(t *testing.T) {
		const script = `
import json, os
import boto3, botocore.session
from botocore.utils import JSONFileCache

cache = JSONFileCache(os.environ["PEERTEST_CACHE_DIR"])
entry = cache[os.environ["PEERTEST_KEY"]]
session = botocore.session.Session(profile="mfa")
session.get_component("credential_provider").get_provider("assume-role").cache = cache
ident = boto3.Session(botocore_session=session).client("sts").get_caller_identity()
print(json.dumps({
    "AccessKeyId": entry["Credentials"]["AccessKeyId"],
    "Expiration": entry["Credentials"]["Expiration"],
    "Arn": ident["Arn"],
}))
`
		env := h.Env(m, "PEERTEST_CACHE_DIR="+h.CacheDir(), "PEERTEST_KEY="+mfaKey)
		// No stdin: botocore must not need an MFA code.
		stdout, stderr, err := Python(t, env, script, "")
		if err != nil {
			t.Fatalf("python3: %v\n%s", err, stderr)
		}
		var got struct{ AccessKeyID, Expiration, Arn string }
		if err := json.Unmarshal([]byte(stdout), &struct {
			AccessKeyID *string `json:"AccessKeyId"`
			Expiration  *string
			Arn         *string
		}{&got.AccessKeyID, &got.Expiration, &got.Arn}); err != nil {
			t.Fatalf("python3 output: %v", err)
		}
		if got.AccessKeyID != c.AccessKeyID {
			t.Errorf("botocore read a different AccessKeyId")
		}
		if got.Expiration != c.Expiration {
			t.Errorf("botocore read Expiration %q, want %q", got.Expiration, c.Expiration)
		}
		if !strings.HasPrefix(got.Arn, "arn:aws:sts::123456789012:assumed-role/admin/") {
			t.Errorf("boto3 caller is %q, want the assumed role admin", got.Arn)
		}
		if got := m.Calls(t, "AssumeRole"); got != 1 {
			t.Errorf("AssumeRole calls = %d after boto3, want still 1", got)
		}
	})
}

func TestEnv(t *testing.T) {
	t.Setenv("AWS_PROFILE", "leak")
	t.Setenv("AWS_ACCESS_KEY_ID", "leak")
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://leak")
	t.Setenv("HTTPS_PROXY", "http://leak")
	h := &Home{Dir: filepath.Join("home", "alice")}
	m := &MotoServer{URL: "http://127.0.0.1:1"}

	tests := []struct {
		name  string
		m     *MotoServer
		extra []string
		want  map[string]string // "" value: must be absent
	}{
		{
			name: "defaults",
			m:    m,
			want: map[string]string{
				"HOME":                        h.Dir,
				"AWS_CONFIG_FILE":             filepath.Join(h.Dir, ".aws", "config"),
				"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(h.Dir, ".aws", "credentials"),
				"AWS_ENDPOINT_URL":            m.URL,
				"AWS_DEFAULT_REGION":          "us-east-1",
				"AWS_EC2_METADATA_DISABLED":   "true",
				"PYTHONWARNINGS":              "ignore",
				"AWS_PROFILE":                 "",
				"AWS_ACCESS_KEY_ID":           "",
				"AWS_ENDPOINT_URL_STS":        "",
				"HTTPS_PROXY":                 "",
			},
		},
		{
			name: "no moto",
			want: map[string]string{"AWS_ENDPOINT_URL": "", "HOME": h.Dir},
		},
		{
			name:  "extra sets and unsets",
			m:     m,
			extra: []string{"AWS_PROFILE=mfa", "AWS_DEFAULT_REGION=eu-west-1", "AWS_ENDPOINT_URL"},
			want: map[string]string{
				"AWS_PROFILE":        "mfa",
				"AWS_DEFAULT_REGION": "eu-west-1",
				"AWS_ENDPOINT_URL":   "",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := h.Env(tt.m, tt.extra...)
			got := map[string]string{}
			for _, e := range env {
				k, v, _ := strings.Cut(e, "=")
				if _, dup := got[k]; dup {
					t.Errorf("%s set twice", k)
				}
				got[k] = v
			}
			for k, want := range tt.want {
				v, ok := got[k]
				switch {
				case want == "" && ok:
					t.Errorf("%s is set, want it absent", k)
				case want != "" && v != want:
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
			if _, ok := got["PATH"]; !ok && os.Getenv("PATH") != "" {
				t.Errorf("PATH is missing")
			}
		})
	}
}

func TestParseRecording(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	line := func(headers map[string]string, method, url string, body any, encoded bool) string {
		b, err := json.Marshal(map[string]any{"headers": headers, "method": method, "url": url, "body": body, "body_encoded": encoded})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const form = "application/x-www-form-urlencoded; charset=utf-8"
	sigv4 := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=0"
	}
	tests := []struct {
		name string
		line string
		want Request
	}{
		{
			name: "query protocol, body base64",
			line: line(map[string]string{"Content-Type": form, "Authorization": sigv4("sts")}, "POST", "http://127.0.0.1:1/",
				b64("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fadmin"), true),
			want: Request{Method: "POST", Path: "/", Service: "sts", Action: "AssumeRole"},
		},
		{
			name: "unsigned web identity",
			line: line(map[string]string{"content-type": form}, "POST", "http://127.0.0.1:1/",
				"Action=AssumeRoleWithWebIdentity&Version=2011-06-15", false),
			want: Request{Method: "POST", Path: "/", Service: "sts", Action: "AssumeRoleWithWebIdentity"},
		},
		{
			name: "query string",
			line: line(map[string]string{}, "GET",
				"http://127.0.0.1:1/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261128%2Fus-east-1%2Fsts%2Faws4_request", "", false),
			want: Request{Method: "GET", Path: "/", Service: "sts", Action: "GetCallerIdentity"},
		},
		{
			name: "json protocol",
			line: line(map[string]string{"X-Amz-Target": "AWSSecurityTokenServiceV20110615.AssumeRole", "Authorization": sigv4("sts")}, "POST", "http://127.0.0.1:1/", b64("{}"), true),
			want: Request{Method: "POST", Path: "/", Service: "sts", Action: "AssumeRole"},
		},
		{
			name: "smithy rpc v2",
			line: line(map[string]string{}, "POST", "http://127.0.0.1:1/service/AWSSecurityTokenServiceV20110615/operation/GetCallerIdentity", nil, false),
			want: Request{Method: "POST", Path: "/service/AWSSecurityTokenServiceV20110615/operation/GetCallerIdentity", Service: "sts", Action: "GetCallerIdentity"},
		},
		{
			name: "another query service",
			line: line(map[string]string{"Content-Type": form, "Authorization": sigv4("iam")}, "POST", "http://127.0.0.1:1/",
				b64("Action=GetUser&Version=2010-05-08"), true),
			want: Request{Method: "POST", Path: "/", Service: "iam", Action: "GetUser"},
		},
		{
			name: "rest",
			line: line(map[string]string{"Authorization": sigv4("s3")}, "GET", "http://127.0.0.1:1/", nil, false),
			want: Request{Method: "GET", Path: "/", Service: "s3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRecording([]byte(tt.line + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}

	t.Run("calls", func(t *testing.T) {
		var all []string
		for _, tt := range tests {
			all = append(all, tt.line)
		}
		path := filepath.Join(t.TempDir(), "recording.jsonl")
		if err := os.WriteFile(path, []byte(strings.Join(all, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		m := &MotoServer{recording: path}
		for action, want := range map[string]int{"AssumeRole": 2, "GetCallerIdentity": 2, "AssumeRoleWithWebIdentity": 1, "GetUser": 0} {
			if got := m.Calls(t, action); got != want {
				t.Errorf("Calls(%q) = %d, want %d", action, got, want)
			}
		}
	})

	t.Run("bad line", func(t *testing.T) {
		if _, err := parseRecording([]byte("{not json\n")); err == nil {
			t.Error("no error for a bad line")
		}
	})
}
