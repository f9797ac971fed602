// Package loginsession reads and writes the token files of `aws login`
// sessions, signs their DPoP proofs and speaks to the sign-in service:
// the refresh of a session and the browser sign-in that starts one.
package loginsession

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sessioncache/sessioncache/internal/pyjson"
)

// ErrDamaged is wrapped by the errors of Parse: the file is not a token
// `aws login` wrote, and signing in again replaces it.
var ErrDamaged = errors.New("damaged login session token")

// timeLayout is how `aws login` and botocore write expiresAt.
const timeLayout = "2006-01-02T15:04:05Z"

// Token is the content of a login session's token file. Its String hides
// every secret.
type Token struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	AccountID       string
	ExpiresAt       time.Time
	TokenType       string
	ClientID        string
	RefreshToken    string
	IDToken         string
	// DPoPKey is the P-256 private key the refresh token is bound to, as
	// SEC1 PEM.
	DPoPKey string

	// Fields this package does not know, kept on rewrite.
	extra       []pyjson.Member
	accessExtra []pyjson.Member
}

// String describes t without its secrets.
func (t *Token) String() string {
	return fmt.Sprintf("login session token (access key %s, account %s, expires %s)", t.AccessKeyID, t.AccountID, t.ExpiresAt.UTC().Format(timeLayout))
}

// GoString is String, so that %#v shows no secret either.
func (t *Token) GoString() string { return t.String() }

// Fields of the file in the order `aws login` writes them.
var (
	tokenFields  = []string{"accessToken", "tokenType", "clientId", "refreshToken", "idToken", "dpopKey"}
	accessFields = []string{"accessKeyId", "secretAccessKey", "sessionToken", "accountId", "expiresAt"}
)

// Path returns the token file of session in dir, as botocore, the Go SDK
// and `aws login` name it.
func Path(dir, session string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(session)))
	return filepath.Join(dir, hex.EncodeToString(sum[:])+".json")
}

// DefaultDir returns AWS_LOGIN_CACHE_DIRECTORY, or else ~/.aws/login/cache.
func DefaultDir() (string, error) {
	if dir := os.Getenv("AWS_LOGIN_CACHE_DIRECTORY"); dir != "" {
		if strings.HasPrefix(dir, "~"+string(filepath.Separator)) || dir == "~" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("loginsession: expand AWS_LOGIN_CACHE_DIRECTORY: %w", err)
			}
			dir = filepath.Join(home, dir[1:])
		}
		return os.ExpandEnv(dir), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("loginsession: find the login cache directory: %w", err)
	}
	return filepath.Join(home, ".aws", "login", "cache"), nil
}

// Parse reads a token file's content. Anything botocore or the Go SDK
// would not accept, and a dpopKey that is not a SEC1 P-256 key, is an
// error wrapping ErrDamaged that names the field and holds no secret.
func Parse(data []byte) (*Token, error) {
	top, err := object(data)
	if err != nil {
		return nil, err
	}
	t := &Token{}
	rawAccess, ok := top["accessToken"]
	if !ok {
		return nil, missing("accessToken")
	}
	access, err := object(rawAccess)
	if err != nil {
		return nil, fmt.Errorf("%w: accessToken is not an object", ErrDamaged)
	}
	for _, f := range []struct {
		m    map[string]json.RawMessage
		name string
		dst  *string
		need bool
	}{
		{access, "accessKeyId", &t.AccessKeyID, true},
		{access, "secretAccessKey", &t.SecretAccessKey, true},
		{access, "sessionToken", &t.SessionToken, true},
		{access, "accountId", &t.AccountID, true},
		{top, "tokenType", &t.TokenType, false},
		{top, "clientId", &t.ClientID, true},
		{top, "refreshToken", &t.RefreshToken, true},
		{top, "idToken", &t.IDToken, false},
		{top, "dpopKey", &t.DPoPKey, true},
	} {
		raw, ok := f.m[f.name]
		if !ok {
			if f.need {
				return nil, missing(f.name)
			}
			continue
		}
		if json.Unmarshal(raw, f.dst) != nil || (f.need && *f.dst == "") {
			return nil, fmt.Errorf("%w: %s is not a non-empty string", ErrDamaged, f.name)
		}
	}
	var exp string
	if raw, ok := access["expiresAt"]; !ok {
		return nil, missing("expiresAt")
	} else if json.Unmarshal(raw, &exp) != nil {
		return nil, fmt.Errorf("%w: expiresAt is not a string", ErrDamaged)
	}
	if t.ExpiresAt, err = time.Parse(time.RFC3339, exp); err != nil {
		return nil, fmt.Errorf("%w: expiresAt is not an RFC 3339 time", ErrDamaged)
	}
	if _, err := ParseKey(t.DPoPKey); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	if t.extra, err = unknown(top, tokenFields); err != nil {
		return nil, err
	}
	if t.accessExtra, err = unknown(access, accessFields); err != nil {
		return nil, err
	}
	return t, nil
}

func missing(field string) error {
	return fmt.Errorf("%w: %s is missing", ErrDamaged, field)
}

func object(data []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrDamaged)
	}
	return m, nil
}

// unknown returns the members of m not in known, in a stable order, as
// values pyjson writes back unchanged.
func unknown(m map[string]json.RawMessage, known []string) ([]pyjson.Member, error) {
	var out []pyjson.Member
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if slices.Contains(known, k) {
			continue
		}
		d := json.NewDecoder(bytes.NewReader(m[k]))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: field %q", ErrDamaged, k)
		}
		out = append(out, pyjson.Member{Key: k, Value: v})
	}
	return out, nil
}

// Marshal returns t as `aws login` writes it (Python's json.dumps), with
// the fields Parse did not know after the known ones. idToken is written
// only when t has one, as a refresh by botocore leaves the file.
func (t *Token) Marshal() ([]byte, error) {
	access := pyjson.Object{
		{Key: "accessKeyId", Value: t.AccessKeyID},
		{Key: "secretAccessKey", Value: t.SecretAccessKey},
		{Key: "sessionToken", Value: t.SessionToken},
		{Key: "accountId", Value: t.AccountID},
		{Key: "expiresAt", Value: t.ExpiresAt.UTC().Format(timeLayout)},
	}
	access = append(access, t.accessExtra...)
	tokenType := t.TokenType
	if tokenType == "" {
		tokenType = "aws_sigv4"
	}
	obj := pyjson.Object{
		{Key: "accessToken", Value: access},
		{Key: "tokenType", Value: tokenType},
		{Key: "clientId", Value: t.ClientID},
		{Key: "refreshToken", Value: t.RefreshToken},
	}
	if t.IDToken != "" {
		obj = append(obj, pyjson.Member{Key: "idToken", Value: t.IDToken})
	}
	obj = append(obj, pyjson.Member{Key: "dpopKey", Value: t.DPoPKey})
	obj = append(obj, t.extra...)
	data, err := pyjson.Marshal(obj, pyjson.Default, false)
	if err != nil {
		return nil, fmt.Errorf("loginsession: encode the token: %w", err)
	}
	return data, nil
}
