// Package pyjson encodes JSON the way Python's json.dumps does with its
// default ensure_ascii=True, so that hashes and files match botocore's byte
// for byte.
package pyjson

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Separators are the item and key separators of json.dumps.
type Separators struct {
	Item string
	Key  string
}

var (
	// Default is json.dumps's default: ", " and ": ".
	Default = Separators{Item: ", ", Key: ": "}
	// Compact is separators=(",", ":").
	Compact = Separators{Item: ",", Key: ":"}
)

// Object is a JSON object whose keys keep their order, as a Python dict does.
type Object []Member

// Member is one key and value of an Object.
type Member struct {
	Key   string
	Value any
}

// Marshal encodes v as json.dumps(v, separators=sep, sort_keys=sortKeys).
// v may hold nil, bool, string, json.Number, integers, float64, Object,
// map[string]any and []any, nested.
func Marshal(v any, sep Separators, sortKeys bool) ([]byte, error) {
	var b strings.Builder
	if err := encode(&b, v, sep, sortKeys); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

func encode(b *strings.Builder, v any, sep Separators, sortKeys bool) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		Quote(b, v)
	case json.Number:
		b.WriteString(v.String())
	case int:
		b.WriteString(strconv.Itoa(v))
	case int32:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(formatFloat(v))
	case Object:
		members := v
		if sortKeys {
			members = append(Object(nil), v...)
			sort.SliceStable(members, func(i, j int) bool { return lessUTF16(members[i].Key, members[j].Key) })
		}
		b.WriteByte('{')
		for i, m := range members {
			if i > 0 {
				b.WriteString(sep.Item)
			}
			Quote(b, m.Key)
			b.WriteString(sep.Key)
			if err := encode(b, m.Value, sep, sortKeys); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case map[string]any:
		obj := make(Object, 0, len(v))
		for k, val := range v {
			obj = append(obj, Member{k, val})
		}
		// A Go map has no order; Python would keep insertion order, which
		// callers that care express with Object.
		sort.Slice(obj, func(i, j int) bool { return lessUTF16(obj[i].Key, obj[j].Key) })
		return encode(b, obj, sep, false)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(sep.Item)
			}
			if err := encode(b, e, sep, sortKeys); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		return fmt.Errorf("pyjson: cannot encode %T", v)
	}
	return nil
}

// formatFloat follows Python's float repr for the values JSON policies hold.
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

// lessUTF16 orders keys as Python sorts str: by code point. Go compares
// UTF-8 bytes, which orders code points the same way.
func lessUTF16(a, b string) bool { return a < b }

const hex = "0123456789abcdef"

// Quote writes s as a JSON string with ensure_ascii=True.
func Quote(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r == utf8.RuneError:
			// Invalid UTF-8 cannot come from a Python str; encode the
			// replacement character as Python would after decoding.
			writeU(b, 0xfffd)
		case r > 0xffff:
			r -= 0x10000
			writeU(b, 0xd800+(r>>10))
			writeU(b, 0xdc00+(r&0x3ff))
		default:
			writeU(b, r)
		}
	}
	b.WriteByte('"')
}

func writeU(b *strings.Builder, r rune) {
	b.WriteString(`\u`)
	b.WriteByte(hex[(r>>12)&0xf])
	b.WriteByte(hex[(r>>8)&0xf])
	b.WriteByte(hex[(r>>4)&0xf])
	b.WriteByte(hex[r&0xf])
}
