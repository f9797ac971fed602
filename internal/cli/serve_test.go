package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sessioncache/sessioncache"
)

// The first fetch uses --mfa-token; a refresh in the background neither
// reuses that code nor reads standard input, which belongs to the
// command exec runs.
func TestServerTokenProvider(t *testing.T) {
	defer func(f func() bool) { haveTerminal = f }(haveTerminal)
	haveTerminal = func() bool { return false }
	t.Setenv("SESSIONCACHE_NO_DIALOG", "1")
	stdin := strings.NewReader("654321\n")
	var stderr strings.Builder
	g := &globals{mfaToken: "123456", stdin: stdin, stderr: &stderr}
	var phase serverPhase
	tp := g.serverTokenProvider(&phase)
	if code, err := tp(context.Background(), "arn:aws:iam::123456789012:mfa/alice"); err != nil || code != "123456" {
		t.Fatalf("first fetch: code %q, %v; want the --mfa-token code", code, err)
	}
	phase.background.Store(true)
	_, err := tp(context.Background(), "arn:aws:iam::123456789012:mfa/alice")
	var unavailable *sessioncache.MFACodeUnavailableError
	if !errors.As(err, &unavailable) {
		t.Errorf("background refresh without a terminal: %v, want MFACodeUnavailableError", err)
	}
	if msg := stderr.String(); !strings.Contains(msg, "need an MFA code for arn:aws:iam::123456789012:mfa/alice") || !strings.Contains(msg, "(fg)") || !strings.Contains(msg, "mfa_process") {
		t.Errorf("the background refresh did not say how to give a code: %q", msg)
	}
	if stdin.Len() != len("654321\n") {
		t.Error("the background refresh read standard input")
	}
}

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr  string
		allow bool
		ok    bool
		warn  bool
	}{
		{"127.0.0.1:0", false, true, false},
		{"127.0.0.2:9911", false, true, false},
		{"[::1]:0", false, true, false},
		{"localhost:0", false, true, false},
		{"0.0.0.0:0", false, false, false},
		{":0", false, false, false},
		{"169.254.170.2:80", false, false, false},
		{"169.254.170.2:80", true, true, true},
		{"example.com:80", true, false, false},
		{"127.0.0.1", false, false, false},
	}
	for _, tt := range tests {
		var stderr strings.Builder
		err := checkAddr(tt.addr, tt.allow, &stderr)
		if (err == nil) != tt.ok || (stderr.Len() > 0) != tt.warn {
			t.Errorf("checkAddr(%q, %v) = %v, warning %q", tt.addr, tt.allow, err, stderr.String())
		}
	}
}
