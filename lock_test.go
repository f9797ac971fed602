package sessioncache

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The AWS CLI v2's `sso logout` loads every file of ~/.aws/cli/cache as
// JSON and calls .get on what it finds: a lock file that parsed as a
// number or a string would make it fail. A lock file must be no JSON at
// all, or an object.
func TestLockFileIsNoJSONValue(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c := NewFileCache(dir)
	for _, held := range []bool{true, false} {
		unlock, err := c.Lock(context.Background(), "abc")
		if err != nil {
			t.Fatal(err)
		}
		if !held {
			unlock()
		}
		names, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if strings.HasSuffix(n.Name(), ".json") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, n.Name()))
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if json.Unmarshal(data, &v) == nil {
				if _, ok := v.(map[string]any); !ok {
					t.Errorf("%s (held: %v) holds the JSON value %T, which `aws sso logout` fails on", n.Name(), held, v)
				}
			}
		}
		if held {
			unlock()
		}
	}
}
