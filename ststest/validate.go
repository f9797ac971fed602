package ststest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// validator collects constraint violations worded as real STS words them.
type validator struct {
	violations []string
}

func (v *validator) add(msg string) {
	v.violations = append(v.violations, msg)
}

// str returns parameter name, recording a violation of its length or
// pattern; member is its name in messages.
func (v *validator) str(p url.Values, name, member string, required bool, minLen, maxLen int, pattern *regexp.Regexp) string {
	return v.check(p, name, member, required, minLen, maxLen, pattern, false)
}

// sensitive is str for values that must not be echoed in messages.
func (v *validator) sensitive(p url.Values, name, member string, minLen, maxLen int, pattern *regexp.Regexp) string {
	return v.check(p, name, member, false, minLen, maxLen, pattern, true)
}

func (v *validator) check(p url.Values, name, member string, required bool, minLen, maxLen int, pattern *regexp.Regexp, secret bool) string {
	if !p.Has(name) {
		if required {
			v.add(fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
		}
		return ""
	}
	val := p.Get(name)
	prefix := fmt.Sprintf("Value '%s' at '%s'", val, member)
	if secret {
		prefix = fmt.Sprintf("Value at '%s'", member)
	}
	n := len([]rune(val))
	if n < minLen {
		v.add(fmt.Sprintf("%s failed to satisfy constraint: Member must have length greater than or equal to %d", prefix, minLen))
	}
	if n > maxLen {
		v.add(fmt.Sprintf("%s failed to satisfy constraint: Member must have length less than or equal to %d", prefix, maxLen))
	}
	if pattern != nil && !pattern.MatchString(val) {
		v.add(fmt.Sprintf("%s failed to satisfy constraint: Member must satisfy regular expression pattern: %s", prefix, patternText(pattern)))
	}
	return val
}

// patternText is the regular expression as the STS model spells it.
func patternText(re *regexp.Regexp) string {
	s := strings.TrimSuffix(strings.TrimPrefix(re.String(), "^"), "$")
	if s == `\d*` {
		return `[\d]*`
	}
	return s
}

// duration returns DurationSeconds, def when absent.
func (v *validator) duration(p url.Values, minSec, maxSec int, def time.Duration) time.Duration {
	if !p.Has("DurationSeconds") {
		return def
	}
	raw := p.Get("DurationSeconds")
	n, err := strconv.Atoi(raw)
	switch {
	case err != nil:
		v.add(fmt.Sprintf("Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be an integer", raw))
	case n < minSec:
		v.add(fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", n, minSec))
	case n > maxSec:
		v.add(fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", n, maxSec))
	}
	return time.Duration(n) * time.Second
}

func (v *validator) err() *apiError {
	switch len(v.violations) {
	case 0:
		return nil
	case 1:
		return validationError("1 validation error detected: " + v.violations[0])
	default:
		return validationError(fmt.Sprintf("%d validation errors detected: %s", len(v.violations), strings.Join(v.violations, "; ")))
	}
}

func validationError(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationError", msg}
}

const (
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString returns n characters drawn uniformly from alphabet, which
// must be shorter than 256 characters.
func randomString(alphabet string, n int) string {
	// Reject bytes past the largest multiple of len(alphabet) to stay unbiased.
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(out) < n {
		rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// newRequestID returns a random UUID, the form of STS request IDs.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// jsonValid reports whether a policy is a JSON object, as IAM requires.
func jsonValid(policy string) bool {
	return json.Valid([]byte(policy)) && strings.HasPrefix(strings.TrimSpace(policy), "{")
}

// lazyRegexp compiles expr on first use, so that programs which link this
// package without starting a server pay nothing for it at start-up.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
