package sessioncache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sessioncache/sessioncache/internal/pyjson"
	"github.com/sessioncache/sessioncache/internal/safefile"
)

// Entry is one cached credential set: the response of the call that made
// it, as botocore stores it.
type Entry struct {
	// ProviderType is "sso" for SSO role credentials and empty otherwise,
	// as in the AWS CLI's files.
	ProviderType string
	Credentials  EntryCredentials
	// AssumedRoleUser is set for assumed roles and web identity roles.
	AssumedRoleUser *AssumedRoleUser
	// RequestID is the STS request id, kept for the ResponseMetadata block.
	RequestID string

	// extra holds the top-level fields this package does not know, so that
	// a rewrite keeps them.
	extra map[string]json.RawMessage
}

// EntryCredentials are the temporary credentials of an Entry.
type EntryCredentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	// AccountID is absent from files written by older botocore versions.
	AccountID string
}

// AssumedRoleUser identifies the role session an Entry belongs to.
type AssumedRoleUser struct {
	AssumedRoleID string
	ARN           string
}

// ExpiresWithin reports whether fewer than d remain before the entry
// expires at time now. botocore refreshes when fewer than 15 minutes remain.
func (e *Entry) ExpiresWithin(now time.Time, d time.Duration) bool {
	return e.Credentials.Expiration.Sub(now) < d
}

// AWSCredentials returns the entry's credentials in the SDK's form.
func (e *Entry) AWSCredentials(source string) aws.Credentials {
	return aws.Credentials{
		AccessKeyID:     e.Credentials.AccessKeyID,
		SecretAccessKey: e.Credentials.SecretAccessKey,
		SessionToken:    e.Credentials.SessionToken,
		Source:          source,
		CanExpire:       true,
		Expires:         e.Credentials.Expiration,
		AccountID:       e.Credentials.AccountID,
	}
}

// maxEntrySize bounds what is read of a cache file; real entries are a few
// kilobytes.
const maxEntrySize = 1 << 20

// ErrDamagedEntry is wrapped by the errors of entries that cannot be used.
var ErrDamagedEntry = errors.New("damaged cache entry")

var knownFields = map[string]bool{"ProviderType": true, "Credentials": true, "AssumedRoleUser": true, "ResponseMetadata": true}

// DecodeEntry parses a cache file. Any problem (not JSON, wrong types,
// missing credentials, an expiry that cannot be read) is an error wrapping
// ErrDamagedEntry; callers treat it as a cache miss.
func DecodeEntry(data []byte) (*Entry, error) {
	if len(data) > maxEntrySize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrDamagedEntry, maxEntrySize)
	}
	// One pass into generic values: field names then match exactly, as in
	// botocore (encoding/json's structs would also take "credentials" for
	// "Credentials"), and numbers of unknown fields keep their digits.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: not valid JSON (cut short at byte %d)", ErrDamagedEntry, len(data))
		}
		return nil, fmt.Errorf("%w: %v", ErrDamagedEntry, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: not valid JSON (data after the object)", ErrDamagedEntry)
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: a JSON %s, not an object", ErrDamagedEntry, jsonKind(v))
	}
	creds, err := objectMember(top, "Credentials")
	if err != nil {
		return nil, err
	}
	if creds == nil {
		return nil, fmt.Errorf("%w: no Credentials", ErrDamagedEntry)
	}
	var c EntryCredentials
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"AccessKeyId", &c.AccessKeyID},
		{"SecretAccessKey", &c.SecretAccessKey},
		{"SessionToken", &c.SessionToken},
	} {
		v, err := stringMember(creds, f.name)
		if err != nil {
			return nil, err
		}
		if v == "" {
			return nil, fmt.Errorf("%w: no %s", ErrDamagedEntry, f.name)
		}
		*f.dst = v
	}
	if _, ok := creds["Expiration"]; !ok {
		return nil, fmt.Errorf("%w: no Expiration", ErrDamagedEntry)
	}
	expText, err := stringMember(creds, "Expiration")
	if err != nil {
		return nil, err
	}
	if c.Expiration, err = ParseExpiration(expText); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDamagedEntry, err)
	}
	if c.AccountID, err = stringMember(creds, "AccountId"); err != nil {
		return nil, err
	}
	e := &Entry{Credentials: c}
	if e.ProviderType, err = stringMember(top, "ProviderType"); err != nil {
		return nil, err
	}
	if obj, err := objectMember(top, "AssumedRoleUser"); err != nil {
		return nil, err
	} else if obj != nil {
		e.AssumedRoleUser = &AssumedRoleUser{}
		if e.AssumedRoleUser.AssumedRoleID, err = stringMember(obj, "AssumedRoleId"); err != nil {
			return nil, err
		}
		if e.AssumedRoleUser.ARN, err = stringMember(obj, "Arn"); err != nil {
			return nil, err
		}
	}
	if obj, err := objectMember(top, "ResponseMetadata"); err != nil {
		return nil, err
	} else if obj != nil {
		if e.RequestID, err = stringMember(obj, "RequestId"); err != nil {
			return nil, err
		}
	}
	for k, v := range top {
		if knownFields[k] {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%w: field %s: %v", ErrDamagedEntry, k, err)
		}
		if e.extra == nil {
			e.extra = make(map[string]json.RawMessage)
		}
		e.extra[k] = raw
	}
	return e, nil
}

// stringMember returns the string member name of obj, "" when it is
// absent or null.
func stringMember(obj map[string]any, name string) (string, error) {
	switch v := obj[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", fmt.Errorf("%w: field %s is a JSON %s, not a string", ErrDamagedEntry, name, jsonKind(v))
	}
}

// objectMember returns the object member name of obj, nil when it is
// absent or null.
func objectMember(obj map[string]any, name string) (map[string]any, error) {
	switch v := obj[name].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return v, nil
	default:
		return nil, fmt.Errorf("%w: field %s is a JSON %s, not an object", ErrDamagedEntry, name, jsonKind(v))
	}
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// jsonProblem describes a decoding error without quoting the input, which
// may hold secrets.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Sprintf("a JSON %s, not an object", typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s is a JSON %s", typ.Field, typ.Value)
	default:
		return "not valid JSON"
	}
}

// Encode returns the entry as botocore writes it: the STS response with
// json.dumps's separators and the expiry as RFC 3339 UTC, which every
// botocore version parses.
func (e *Entry) Encode() ([]byte, error) {
	creds := pyjson.Object{
		{Key: "AccessKeyId", Value: e.Credentials.AccessKeyID},
		{Key: "SecretAccessKey", Value: e.Credentials.SecretAccessKey},
		{Key: "SessionToken", Value: e.Credentials.SessionToken},
		{Key: "Expiration", Value: e.Credentials.Expiration.UTC().Format(time.RFC3339)},
	}
	if e.Credentials.AccountID != "" {
		creds = append(creds, pyjson.Member{Key: "AccountId", Value: e.Credentials.AccountID})
	}
	var obj pyjson.Object
	if e.ProviderType != "" {
		obj = append(obj, pyjson.Member{Key: "ProviderType", Value: e.ProviderType})
	}
	obj = append(obj, pyjson.Member{Key: "Credentials", Value: creds})
	if u := e.AssumedRoleUser; u != nil {
		obj = append(obj, pyjson.Member{Key: "AssumedRoleUser", Value: pyjson.Object{
			{Key: "AssumedRoleId", Value: u.AssumedRoleID},
			{Key: "Arn", Value: u.ARN},
		}})
	}
	for _, k := range sortedKeys(e.extra) {
		var v any
		dec := json.NewDecoder(strings.NewReader(string(e.extra[k])))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("sessioncache: encode field %s: %w", k, err)
		}
		obj = append(obj, pyjson.Member{Key: k, Value: toPy(v)})
	}
	if e.ProviderType == "" {
		obj = append(obj, pyjson.Member{Key: "ResponseMetadata", Value: pyjson.Object{
			{Key: "RequestId", Value: e.RequestID},
			{Key: "HTTPStatusCode", Value: 200},
			{Key: "HTTPHeaders", Value: pyjson.Object{}},
			{Key: "RetryAttempts", Value: 0},
		}})
	}
	return pyjson.Marshal(obj, pyjson.Default, false)
}

// ParseExpiration reads every spelling of Expiration found in cache files:
// RFC 3339 with or without fractions or offsets (AWS CLI), and the "UTC"
// suffix boto3 writes ("2026-11-28T20:39:06UTC").
func ParseExpiration(s string) (time.Time, error) {
	v := strings.TrimSpace(s)
	for _, suffix := range []string{"UTC", "GMT"} {
		if strings.HasSuffix(v, suffix) {
			v = strings.TrimSuffix(v, suffix) + "Z"
			break
		}
	}
	v = strings.Replace(v, " ", "T", 1)
	var t time.Time
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"} {
		if t, err = time.Parse(layout, v); err == nil {
			break
		}
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("expiration %q is not a time", truncate(s, 40))
	}
	// The range is checked in UTC, the form Encode writes, so that what
	// decodes here decodes again after a rewrite.
	t = t.UTC()
	if t.Year() < 2000 || t.Year() > 9000 {
		return time.Time{}, fmt.Errorf("expiration %q is out of range", truncate(s, 40))
	}
	return t, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// readEntryFile reads an entry through the trust checks, dir first.
func readEntryFile(dir, path string) ([]byte, safefile.Info, error) {
	if err := safefile.CheckDir(dir); err != nil {
		return nil, safefile.Info{}, err
	}
	return readEntryIn(path)
}

// readEntryIn is readEntryFile in a directory already checked. A file
// that is not a regular one, or is too large to be an entry, is a damaged
// entry.
func readEntryIn(path string) ([]byte, safefile.Info, error) {
	data, info, err := safefile.ReadFileIn(path, maxEntrySize)
	switch {
	case errors.Is(err, safefile.ErrNotRegular):
		return nil, info, fmt.Errorf("%w: not a regular file", ErrDamagedEntry)
	case errors.Is(err, safefile.ErrTooLarge):
		return nil, info, fmt.Errorf("%w: larger than %d bytes", ErrDamagedEntry, maxEntrySize)
	}
	return data, info, err
}
