package cli

import (
	"fmt"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache"
)

func TestRowState(t *testing.T) {
	now := time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		left time.Duration
		want string
	}{
		"an hour":                       {time.Hour, stateValid},
		"15 minutes":                    {15 * time.Minute, stateValid},
		"a nanosecond under 15 minutes": {15*time.Minute - 1, stateSoon},
		"a nanosecond":                  {1, stateSoon},
		"none":                          {0, stateExpired},
		"a nanosecond ago":              {-1, stateExpired},
	}
	cache := sessioncache.NewFileCache(t.TempDir())
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := &sessioncache.Entry{Credentials: sessioncache.EntryCredentials{
				AccessKeyID: "ASIAEXAMPLEEXAMPLE01", Expiration: now.Add(tt.left),
			}}
			r := newRow(cache, sessioncache.ListedEntry{Key: "k", Entry: e}, nil, now)
			if r.State != tt.want {
				t.Errorf("state with %v left = %q, want %q", tt.left, r.State, tt.want)
			}
		})
	}
}

func TestRowProblems(t *testing.T) {
	now := time.Now()
	cache := sessioncache.NewFileCache(t.TempDir())
	owners := []sessioncache.ProfileEntry{{Profile: "a", Kind: "assume-role", RoleARN: "arn:aws:iam::123456789012:role/r"}}
	tests := map[string]struct {
		err  error
		want string
	}{
		"damaged":   {fmt.Errorf("sessioncache: x.json: %w: no SessionToken", sessioncache.ErrDamagedEntry), stateDamaged},
		"untrusted": {fmt.Errorf("sessioncache: read x.json: %w: a symbolic link", sessioncache.ErrUntrustedEntry), stateUntrusted},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := newRow(cache, sessioncache.ListedEntry{Key: "k", Err: tt.err}, owners, now)
			if r.State != tt.want || r.Expires != nil || r.Profiles[0] != "a" || r.ARN != owners[0].RoleARN {
				t.Errorf("row = %+v, want state %s, no expiry, the owner's profile and role", r, tt.want)
			}
			if r.Problem != message(tt.err) {
				t.Errorf("problem = %q", r.Problem)
			}
		})
	}
}

func TestRelative(t *testing.T) {
	tests := map[time.Duration]string{
		0:                               "in 0s",
		59 * time.Second:                "in 59s",
		time.Minute:                     "in 1m",
		42*time.Minute + 59*time.Second: "in 42m",
		time.Hour:                       "in 1h",
		time.Hour + 5*time.Minute:       "in 1h05m",
		48*time.Hour - time.Minute:      "in 47h59m",
		48 * time.Hour:                  "in 2d",
		-3 * time.Hour:                  "3h ago",
		-30 * time.Second:               "30s ago",
	}
	for d, want := range tests {
		if got := relative(d); got != want {
			t.Errorf("relative(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestMaskKeyID(t *testing.T) {
	tests := map[string]string{
		"ASIAEXAMPLEEXAMWXYZ": "ASIA…WXYZ",
		"AKIA12345678":        "AKIA…5678",
		"SHORT":               "*****",
		"":                    "",
	}
	for id, want := range tests {
		if got := maskKeyID(id); got != want {
			t.Errorf("maskKeyID(%q) = %q, want %q", id, got, want)
		}
	}
}
