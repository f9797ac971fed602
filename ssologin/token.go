package ssologin

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sessioncache/sessioncache/internal/pyjson"
	"github.com/sessioncache/sessioncache/internal/safefile"
)

// timeLayout is how the AWS CLI writes the times of its SSO cache files,
// and a form both botocore and the Go SDK (time.RFC3339) parse.
const timeLayout = "2006-01-02T15:04:05Z"

// maxFileSize bounds what is read of a cache file; real ones are a few
// kilobytes.
const maxFileSize = 1 << 20

// ErrDamaged is wrapped when a token or registration file is not one this
// package, the AWS CLI or an SDK wrote. A damaged file is treated as a
// missing one, and replaced by the next sign-in.
var ErrDamaged = errors.New("damaged SSO cache file")

// Token is an SSO access token as ~/.aws/sso/cache/<sha1>.json holds it,
// in the fields botocore's SSOTokenProvider and the Go SDK's ssocreds read
// and write. Its String method hides the secrets.
type Token struct {
	StartURL    string
	Region      string
	AccessToken string
	ExpiresAt   time.Time
	// RefreshToken is set only when the client was registered with
	// scopes, as for sso-session profiles.
	RefreshToken string
	// The client registration that issued the token, used to refresh it.
	ClientID              string
	ClientSecret          string
	RegistrationExpiresAt time.Time

	// extra keeps the fields this package does not know, so a rewrite
	// loses nothing another tool stored.
	extra []pyjson.Member
}

// String describes the token without its secrets.
func (t *Token) String() string {
	return fmt.Sprintf("SSO token for %s (%s), expires %s, refreshable %t",
		t.StartURL, t.Region, t.ExpiresAt.UTC().Format(timeLayout), t.RefreshToken != "")
}

// GoString hides the secrets from %#v as String does from %v.
func (t *Token) GoString() string { return t.String() }

// ExpiresWithin reports whether the access token expires within d of now,
// or has no access token at all.
func (t *Token) ExpiresWithin(now time.Time, d time.Duration) bool {
	return t.AccessToken == "" || !now.Add(d).Before(t.ExpiresAt)
}

// canRefresh reports whether the token holds what a refresh needs and the
// registration that issued it is still valid at now.
func (t *Token) canRefresh(now time.Time) bool {
	return t.RefreshToken != "" && t.ClientID != "" && t.ClientSecret != "" &&
		(t.RegistrationExpiresAt.IsZero() || now.Before(t.RegistrationExpiresAt))
}

// CacheKey returns the name of a token file without ".json": the SHA-1 of
// the sso-session name, or of the start URL for a legacy profile.
func CacheKey(sessionName, startURL string) string {
	s := startURL
	if sessionName != "" {
		s = sessionName
	}
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// DefaultCacheDir returns ~/.aws/sso/cache, where the AWS CLI v2 and the
// SDKs keep SSO tokens.
func DefaultCacheDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("ssologin: find the SSO cache directory: %w", err)
	}
	return filepath.Join(home, ".aws", "sso", "cache"), nil
}

// ReadToken reads a token file. A file that is not a JSON object with
// accessToken and an RFC 3339 expiresAt is an error wrapping ErrDamaged;
// neither the error nor anything else this package reports holds a token.
func ReadToken(path string) (*Token, error) {
	m, err := readObject(path)
	if err != nil {
		return nil, err
	}
	t := &Token{}
	var ok bool
	str := func(key string) string {
		var s string
		if raw, found := m[key]; found {
			if json.Unmarshal(raw, &s) != nil {
				ok = false
			}
		}
		return s
	}
	ok = true
	t.StartURL, t.Region = str("startUrl"), str("region")
	t.AccessToken, t.RefreshToken = str("accessToken"), str("refreshToken")
	t.ClientID, t.ClientSecret = str("clientId"), str("clientSecret")
	exp, regExp := str("expiresAt"), str("registrationExpiresAt")
	if !ok || t.AccessToken == "" || exp == "" {
		return nil, fmt.Errorf("ssologin: %s: %w: accessToken or expiresAt is missing", path, ErrDamaged)
	}
	if t.ExpiresAt, err = time.Parse(time.RFC3339, exp); err != nil {
		return nil, fmt.Errorf("ssologin: %s: %w: expiresAt is not an RFC 3339 time", path, ErrDamaged)
	}
	if regExp != "" {
		// A registration time that cannot be read only costs a
		// registration; the token itself is good.
		t.RegistrationExpiresAt, _ = time.Parse(time.RFC3339, regExp)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(tokenFields, k) {
			v, err := decodeAny(m[k])
			if err != nil {
				return nil, fmt.Errorf("ssologin: %s: %w: field %q", path, ErrDamaged, k)
			}
			t.extra = append(t.extra, pyjson.Member{Key: k, Value: v})
		}
	}
	return t, nil
}

// tokenFields are the fields of a token file, in the order the AWS CLI
// writes them.
var tokenFields = []string{"startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret", "registrationExpiresAt", "refreshToken"}

// WriteToken writes t to path atomically, mode 0600, making the directory
// (0700) if needed. The file has the AWS CLI's layout, with the fields
// ReadToken did not know kept after the known ones.
func WriteToken(path string, t *Token) error {
	obj := pyjson.Object{
		{Key: "startUrl", Value: t.StartURL},
		{Key: "region", Value: t.Region},
		{Key: "accessToken", Value: t.AccessToken},
		{Key: "expiresAt", Value: t.ExpiresAt.UTC().Format(timeLayout)},
	}
	if t.ClientID != "" {
		obj = append(obj, pyjson.Member{Key: "clientId", Value: t.ClientID}, pyjson.Member{Key: "clientSecret", Value: t.ClientSecret})
		if !t.RegistrationExpiresAt.IsZero() {
			obj = append(obj, pyjson.Member{Key: "registrationExpiresAt", Value: t.RegistrationExpiresAt.UTC().Format(timeLayout)})
		}
	}
	if t.RefreshToken != "" {
		obj = append(obj, pyjson.Member{Key: "refreshToken", Value: t.RefreshToken})
	}
	obj = append(obj, t.extra...)
	return writeObject(path, obj)
}

// writeObject writes obj as json.dumps does, atomically.
func writeObject(path string, obj pyjson.Object) error {
	data, err := pyjson.Marshal(obj, pyjson.Default, false)
	if err != nil {
		return fmt.Errorf("ssologin: write %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("ssologin: make the SSO cache directory: %w", err)
	}
	// A token written where others can replace it is not kept.
	if err := safefile.CheckDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("ssologin: write %s: %w", path, err)
	}
	if err := safefile.WriteFile(path, data, nil); err != nil {
		return fmt.Errorf("ssologin: write %s: %w", path, err)
	}
	return nil
}

// readObject reads a cache file holding one JSON object.
func readObject(path string) (map[string]json.RawMessage, error) {
	data, err := safefile.ReadFile(filepath.Dir(path), path, maxFileSize)
	switch {
	case errors.Is(err, safefile.ErrNotRegular), errors.Is(err, safefile.ErrTooLarge):
		return nil, fmt.Errorf("ssologin: %w: %w", ErrDamaged, err)
	case errors.Is(err, safefile.ErrUntrusted):
		return nil, fmt.Errorf("ssologin: %w", err)
	case err != nil:
		return nil, fmt.Errorf("ssologin: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, fmt.Errorf("ssologin: %s: %w: not a JSON object", path, ErrDamaged)
	}
	return m, nil
}

// decodeAny decodes a value into the types pyjson writes back unchanged.
func decodeAny(raw json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}
