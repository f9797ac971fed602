package sessioncache

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"

	"github.com/sessioncache/sessioncache/internal/pyjson"
)

// AssumeRoleKeyInput holds what an assume-role profile sets, under the STS
// parameter names botocore hashes. A zero field is one the profile does not
// set and is left out of the key.
type AssumeRoleKeyInput struct {
	RoleARN string
	// RoleSessionName is set only when the profile sets role_session_name;
	// a generated name is never part of the key.
	RoleSessionName string
	ExternalID      string
	// SerialNumber is the profile's mfa_serial. The token code is never
	// part of the key.
	SerialNumber string
	// DurationSeconds is the profile's duration_seconds, or 0.
	DurationSeconds int
	// Policy is an inline session policy, as JSON.
	Policy string
}

// AssumeRoleKey returns the name botocore and the AWS CLI give the cache
// entry of an assume-role profile (without the ".json" suffix).
func AssumeRoleKey(in AssumeRoleKeyInput) string {
	args := pyjson.Object{{Key: "RoleArn", Value: in.RoleARN}}
	if in.RoleSessionName != "" {
		args = append(args, pyjson.Member{Key: "RoleSessionName", Value: in.RoleSessionName})
	}
	if in.ExternalID != "" {
		args = append(args, pyjson.Member{Key: "ExternalId", Value: in.ExternalID})
	}
	if in.SerialNumber != "" {
		args = append(args, pyjson.Member{Key: "SerialNumber", Value: in.SerialNumber})
	}
	if in.DurationSeconds != 0 {
		args = append(args, pyjson.Member{Key: "DurationSeconds", Value: in.DurationSeconds})
	}
	if in.Policy != "" {
		args = append(args, pyjson.Member{Key: "Policy", Value: parsePolicy(in.Policy)})
	}
	return hashKey(args, pyjson.Default)
}

// WebIdentityKey returns the cache key botocore gives a web identity role.
// roleSessionName is empty unless the profile or environment sets it.
func WebIdentityKey(roleARN, roleSessionName string) string {
	return AssumeRoleKey(AssumeRoleKeyInput{RoleARN: roleARN, RoleSessionName: roleSessionName})
}

// SSOKeyInput identifies the role credentials of an SSO profile.
type SSOKeyInput struct {
	AccountID string
	RoleName  string
	// SessionName is the profile's sso_session; when it is empty the key
	// uses StartURL, as legacy SSO profiles do.
	SessionName string
	StartURL    string
}

// SSOKey returns the cache key AWS CLI v2 gives SSO role credentials.
func SSOKey(in SSOKeyInput) string {
	args := pyjson.Object{{Key: "accountId", Value: in.AccountID}, {Key: "roleName", Value: in.RoleName}}
	if in.SessionName != "" {
		args = append(args, pyjson.Member{Key: "sessionName", Value: in.SessionName})
	} else {
		args = append(args, pyjson.Member{Key: "startUrl", Value: in.StartURL})
	}
	return hashKey(args, pyjson.Compact)
}

// SessionTokenKeyInput identifies an MFA session made with GetSessionToken.
type SessionTokenKeyInput struct {
	// AccessKeyID is the long-term key the session is made from, so that a
	// rotated key never reuses a session of the old one.
	AccessKeyID     string
	SerialNumber    string
	DurationSeconds int
}

// SessionTokenKey returns the cache key of an MFA session. The AWS CLI has
// no such entry; the key hashes, as botocore's do, the sorted JSON of
// {"AccessKeyId", "DurationSeconds" (when set), "SerialNumber", "Type":
// "GetSessionToken"}, so it can never equal an assume-role key.
func SessionTokenKey(in SessionTokenKeyInput) string {
	args := pyjson.Object{
		{Key: "AccessKeyId", Value: in.AccessKeyID},
		{Key: "SerialNumber", Value: in.SerialNumber},
		{Key: "Type", Value: "GetSessionToken"},
	}
	if in.DurationSeconds != 0 {
		args = append(args, pyjson.Member{Key: "DurationSeconds", Value: in.DurationSeconds})
	}
	return hashKey(args, pyjson.Default)
}

// parsePolicy decodes a policy the way json.loads does, so that its keys
// sort. A policy that is not JSON is hashed as the string it is; STS would
// refuse it anyway.
func parsePolicy(policy string) any {
	dec := json.NewDecoder(strings.NewReader(policy))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return policy
	}
	return toPy(v)
}

func toPy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		obj := make(pyjson.Object, 0, len(v))
		for k, e := range v {
			obj = append(obj, pyjson.Member{Key: k, Value: toPy(e)})
		}
		return obj
	case []any:
		for i := range v {
			v[i] = toPy(v[i])
		}
		return v
	default:
		return v
	}
}

func hashKey(args pyjson.Object, sep pyjson.Separators) string {
	b, err := pyjson.Marshal(args, sep, true)
	if err != nil {
		// Only strings, ints and decoded JSON reach here.
		panic(err)
	}
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// sanitizeKey makes a key safe as a file name, as botocore's JSONFileCache
// does: ':', '/' and the path separator become '_'.
func sanitizeKey(key string) string {
	return strings.Map(func(r rune) rune {
		if r == ':' || r == '/' || r == os.PathSeparator {
			return '_'
		}
		return r
	}, key)
}
