package sessioncache

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Fixture secrets; a test failure message must never print them.
const (
	fixtureSecret = "fixture-secret-not-real"
	fixtureToken  = "fixture-token-not-real"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "entries", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodeEntryReadsEverySpelling(t *testing.T) {
	exp := time.Date(2026, 11, 28, 20, 39, 6, 0, time.UTC)
	tests := map[string]struct {
		file    string
		want    time.Time
		account string
		kind    string
	}{
		"AWS CLI":                {file: "cli-z.json", want: exp, account: "123456789012"},
		"AWS CLI with fractions": {file: "cli-fraction.json", want: exp.Add(730961 * time.Microsecond)},
		"boto3 UTC suffix":       {file: "boto3-utc.json", want: exp},
		"isoformat UTC":          {file: "isoformat-utc.json", want: exp},
		"isoformat offset":       {file: "isoformat-offset.json", want: exp},
		"CLI v2 SSO":             {file: "sso-cli-v2.json", want: exp, account: "123456789012", kind: "sso"},
		"unknown fields":         {file: "unknown-fields.json", want: exp},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := DecodeEntry(readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !e.Credentials.Expiration.Equal(tt.want) {
				t.Errorf("Expiration = %v, want %v", e.Credentials.Expiration, tt.want)
			}
			if e.Credentials.AccessKeyID != "ASIAEXAMPLEKEY00001" {
				t.Errorf("AccessKeyID = %q", e.Credentials.AccessKeyID)
			}
			if e.Credentials.SecretAccessKey != fixtureSecret || e.Credentials.SessionToken != fixtureToken {
				t.Error("secret key or session token not read as written")
			}
			if e.Credentials.AccountID != tt.account {
				t.Errorf("AccountID = %q, want %q", e.Credentials.AccountID, tt.account)
			}
			if e.ProviderType != tt.kind {
				t.Errorf("ProviderType = %q, want %q", e.ProviderType, tt.kind)
			}
		})
	}
}

func TestDecodeEntryRejectsDamagedFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "entries", "damaged-*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no damaged fixtures: %v", err)
	}
	files = append(files, "huge")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var data []byte
			if f == "huge" {
				data = bytes.Repeat([]byte(" "), maxEntrySize+1)
			} else {
				data = readFixture(t, filepath.Base(f))
			}
			_, err := DecodeEntry(data)
			if !errors.Is(err, ErrDamagedEntry) {
				t.Fatalf("DecodeEntry error = %v, want ErrDamagedEntry", err)
			}
			if msg := err.Error(); strings.Contains(msg, fixtureSecret) || strings.Contains(msg, fixtureToken) {
				t.Error("the error quotes a secret from the file")
			}
		})
	}
}

func TestEncodeKeepsUnknownFields(t *testing.T) {
	e, err := DecodeEntry(readFixture(t, "unknown-fields.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"PackedPolicySize": 6`, `"SourceIdentity": "alice"`, `"FutureField": {"nested": [1, 2.5, null]}`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("re-encoded entry lacks %s", want)
		}
	}
	again, err := DecodeEntry(out)
	if err != nil {
		t.Fatal(err)
	}
	if again.Credentials != e.Credentials || *again.AssumedRoleUser != *e.AssumedRoleUser || again.RequestID != e.RequestID {
		t.Error("an entry changed in an encode and decode round trip")
	}
}

func TestEncodeWritesBotocoreLayout(t *testing.T) {
	e := &Entry{
		Credentials: EntryCredentials{
			AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "s", SessionToken: "t",
			Expiration: time.Date(2026, 11, 28, 21, 39, 6, 0, time.FixedZone("CET", 3600)),
			AccountID:  "123456789012",
		},
		AssumedRoleUser: &AssumedRoleUser{AssumedRoleID: "AROA:x", ARN: "arn:aws:sts::123456789012:assumed-role/admin/x"},
		RequestID:       "req-1",
	}
	got, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2026-11-28T20:39:06Z", "AccountId": "123456789012"}, ` +
		`"AssumedRoleUser": {"AssumedRoleId": "AROA:x", "Arn": "arn:aws:sts::123456789012:assumed-role/admin/x"}, ` +
		`"ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}}`
	if string(got) != want {
		t.Errorf("Encode =\n%s\nwant\n%s", got, want)
	}
}

func TestExpiresWithinBoundary(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		left time.Duration
		want bool
	}{
		"exactly 15 minutes left is usable": {left: 15 * time.Minute, want: false},
		"one nanosecond less refreshes":     {left: 15*time.Minute - 1, want: true},
		"an hour left is usable":            {left: time.Hour, want: false},
		"expired refreshes":                 {left: -time.Second, want: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := &Entry{Credentials: EntryCredentials{Expiration: now.Add(tt.left)}}
			if got := e.ExpiresWithin(now, DefaultExpiryWindow); got != tt.want {
				t.Errorf("ExpiresWithin = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzDecodeEntry(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "entries", "*.json"))
	for _, file := range files {
		f.Add(readFixture(f, filepath.Base(file)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeEntry(data)
		if err != nil {
			if !errors.Is(err, ErrDamagedEntry) {
				t.Fatalf("error does not wrap ErrDamagedEntry: %v", err)
			}
			return
		}
		// Whatever decodes must survive a write and a read.
		out, err := e.Encode()
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		again, err := DecodeEntry(out)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !again.Credentials.Expiration.Equal(e.Credentials.Expiration.Truncate(time.Second)) {
			t.Fatalf("expiration changed: %v -> %v", e.Credentials.Expiration, again.Credentials.Expiration)
		}
	})
}

func TestDecodeEntryMatchesFieldNamesExactly(t *testing.T) {
	const good = `{"AccessKeyId": "ASIAUPPER", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2099-01-01T00:00:00Z"}`
	const other = `{"AccessKeyId": "ASIALOWER", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2099-01-01T00:00:00Z"}`
	tests := map[string]struct {
		data     string
		wantAKID string // "" means damaged
	}{
		"lowercase Credentials":           {data: `{"credentials": ` + good + `}`},
		"lowercase member names":          {data: `{"Credentials": ` + strings.ToLower(good) + `}`},
		"both spellings, lowercase last":  {data: `{"Credentials": ` + good + `, "credentials": ` + other + `}`, wantAKID: "ASIAUPPER"},
		"both spellings, lowercase first": {data: `{"credentials": ` + other + `, "Credentials": ` + good + `}`, wantAKID: "ASIAUPPER"},
		"CREDENTIALS":                     {data: `{"CREDENTIALS": ` + good + `}`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := DecodeEntry([]byte(tt.data))
			switch {
			case tt.wantAKID == "" && !errors.Is(err, ErrDamagedEntry):
				t.Errorf("DecodeEntry = %v, %v; want a damaged entry, as botocore cannot read it", e, err)
			case tt.wantAKID != "" && (err != nil || e.Credentials.AccessKeyID != tt.wantAKID):
				t.Errorf("DecodeEntry = %v, %v; want access key id %s, as botocore reads", e, err, tt.wantAKID)
			}
		})
	}
}
