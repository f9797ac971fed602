package ssologin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNeedsWork(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	refreshable := func(left time.Duration) *Token {
		return &Token{AccessToken: "a", ExpiresAt: now.Add(left), RefreshToken: "r", ClientID: "c", ClientSecret: "s", RegistrationExpiresAt: now.Add(24 * time.Hour)}
	}
	plain := func(left time.Duration) *Token { return &Token{AccessToken: "a", ExpiresAt: now.Add(left)} }
	expiredReg := refreshable(time.Minute)
	expiredReg.RegistrationExpiresAt = now
	for name, c := range map[string]struct {
		tok  *Token
		want bool
	}{
		"refreshable, a nanosecond over 15 minutes left": {refreshable(RefreshWindow + 1), false},
		"refreshable, 15 minutes left":                   {refreshable(RefreshWindow), true},
		"not refreshable, 15 minutes left":               {plain(RefreshWindow), false},
		"not refreshable, a nanosecond over a minute":    {plain(minValidity + 1), false},
		"not refreshable, a minute left":                 {plain(minValidity), true},
		"registration expired, a minute left":            {expiredReg, true},
	} {
		if got := (&TokenSource{}).needsWork(c.tok, now); got != c.want {
			t.Errorf("%s: needsWork = %t, want %t", name, got, c.want)
		}
	}
}

func TestReadTokenDamaged(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"not JSON":             `{"accessToken": "abc`,
		"not an object":        `["accessToken"]`,
		"no accessToken":       `{"expiresAt": "2026-01-01T00:00:00Z"}`,
		"no expiresAt":         `{"accessToken": "secret-token-value"}`,
		"expiresAt not RFC":    `{"accessToken": "secret-token-value", "expiresAt": "tomorrow"}`,
		"accessToken a number": `{"accessToken": 12, "expiresAt": "2026-01-01T00:00:00Z"}`,
	} {
		path := filepath.Join(dir, "t.json")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadToken(path)
		if !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: ReadToken = %v, want ErrDamaged", name, err)
		} else if strings.Contains(err.Error(), "secret-token-value") {
			t.Errorf("%s: the error holds the token", name)
		}
	}
}

func TestWriteTokenHasTheAWSCLILayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.json")
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := &Token{StartURL: "https://d-1.awsapps.com/start", Region: "eu-west-1", AccessToken: "secret-at", ExpiresAt: exp,
		ClientID: "cid", ClientSecret: "secret-cs", RegistrationExpiresAt: exp.Add(time.Hour), RefreshToken: "secret-rt"}
	if err := WriteToken(path, tok); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// What the AWS CLI v2's json.dumps of its token dict gives.
	want := `{"startUrl": "https://d-1.awsapps.com/start", "region": "eu-west-1", "accessToken": "secret-at", "expiresAt": "2026-01-02T03:04:05Z", "clientId": "cid", "clientSecret": "secret-cs", "registrationExpiresAt": "2026-01-02T04:04:05Z", "refreshToken": "secret-rt"}`
	if string(data) != want {
		t.Errorf("file:\n%s\nwant:\n%s", data, want)
	}
	if s := tok.String() + tok.GoString(); strings.Contains(s, "secret") {
		t.Errorf("String shows a secret: %s", s)
	}
}
