//go:build unix

package ssologin

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/internal/safefile"
)

// A token someone else could have planted is not used: the source asks for
// a sign-in as if there were none, and a warning names the file. Its
// access token never appears in the warning.
func TestPlantedTokenIsIgnoredWithAWarning(t *testing.T) {
	tests := map[string]struct {
		plant    func(t *testing.T, dir, path string)
		needRoot bool
	}{
		"symbolic link to a token": {plant: func(t *testing.T, dir, path string) {
			target := filepath.Join(t.TempDir(), "elsewhere.json")
			writePlanted(t, target)
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}},
		"token others can write": {plant: func(t *testing.T, dir, path string) {
			writePlanted(t, path)
			if err := os.Chmod(path, 0o666); err != nil {
				t.Fatal(err)
			}
		}},
		"directory others can write": {plant: func(t *testing.T, dir, path string) {
			writePlanted(t, path)
			if err := os.Chmod(dir, 0o777); err != nil {
				t.Fatal(err)
			}
		}},
		"token of another user": {needRoot: true, plant: func(t *testing.T, dir, path string) {
			writePlanted(t, path)
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if tt.needRoot && os.Geteuid() != 0 {
				t.Skip("needs root to give a file to another user")
			}
			r := newRig(t)
			var logs bytes.Buffer
			ts := r.source(t, sessionCorp(), func(o *Options) {
				o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			plantIn := r.dir
			if err := os.MkdirAll(plantIn, 0o700); err != nil {
				t.Fatal(err)
			}
			tt.plant(t, plantIn, ts.Path())
			_, err := ts.Token(context.Background())
			var login *LoginRequiredError
			if !errors.As(err, &login) {
				t.Fatalf("Token with a planted token: %v, want *LoginRequiredError", err)
			}
			if !errors.Is(err, safefile.ErrUntrusted) {
				t.Errorf("the reason %v does not say the token is untrusted", err)
			}
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), ts.Path()) && !strings.Contains(logs.String(), r.dir) {
				t.Errorf("no warning naming the file: %q", logs.String())
			}
			if strings.Contains(logs.String()+err.Error(), "planted-access-token") {
				t.Errorf("the planted token leaked: %q", logs.String())
			}
		})
	}
}

func writePlanted(t *testing.T, path string) {
	t.Helper()
	tok := &Token{StartURL: testStartURL, Region: testRegion, AccessToken: "planted-access-token", ExpiresAt: time.Now().Add(time.Hour)}
	if err := WriteToken(path, tok); err != nil {
		t.Fatal(err)
	}
}

// The token's lock has the cache lock's rules: a symbolic link planted in
// its place is refused, and nothing is created where it points.
func TestTokenLockRefusesAPlantedLink(t *testing.T) {
	r := newRig(t)
	ts := r.source(t, sessionCorp())
	locks := LockDir(r.dir)
	if err := os.MkdirAll(locks, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "victim")
	if err := os.Symlink(target, filepath.Join(locks, sessionCorp().CacheKey()+".lock")); err != nil {
		t.Fatal(err)
	}
	_, err := ts.Token(context.Background())
	if !errors.Is(err, safefile.ErrUntrusted) {
		t.Errorf("Token with a planted lock link: %v, want an error wrapping safefile.ErrUntrusted", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock created the link's target: %v", err)
	}
}
