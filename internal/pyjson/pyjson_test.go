package pyjson

import (
	"encoding/json"
	"testing"
)

// The expected strings were printed by CPython 3.11's json.dumps.
func TestMarshal(t *testing.T) {
	tests := map[string]struct {
		v        any
		sep      Separators
		sortKeys bool
		want     string
	}{
		"escapes": {
			v:   map[string]any{"b": 1, "a": "é\u2713\U0001F600\x7f\x01\"\\/", "c": []any{1.0, 2.5, 1e20, true, nil}},
			sep: Default, sortKeys: true,
			want: `{"a": "\u00e9\u2713\ud83d\ude00\u007f\u0001\"\\/", "b": 1, "c": [1.0, 2.5, 1e+20, true, null]}`,
		},
		"control characters": {
			v:    "\n\r\t\b\f\x1f",
			sep:  Default,
			want: `"\n\r\t\b\f\u001f"`,
		},
		"compact": {
			v:   Object{{"roleName", "ReadOnly"}, {"accountId", "1"}},
			sep: Compact, sortKeys: true,
			want: `{"accountId":"1","roleName":"ReadOnly"}`,
		},
		"insertion order kept": {
			v:    Object{{"z", json.Number("10")}, {"a", Object{{"y", int64(1)}, {"x", false}}}},
			sep:  Default,
			want: `{"z": 10, "a": {"y": 1, "x": false}}`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Marshal(tt.v, tt.sep, tt.sortKeys)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal = %s\nwant      %s", got, tt.want)
			}
		})
	}
}

func TestMarshalRejectsUnknownTypes(t *testing.T) {
	if _, err := Marshal(struct{}{}, Default, false); err == nil {
		t.Error("Marshal(struct{}) succeeded; want an error")
	}
}
