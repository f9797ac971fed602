package sessioncache

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func skipWithoutSh(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the programs are shell commands")
	}
}

// An MFA code program is bounded: in time, with what it leaves running,
// in output; its errors give its exit status and its own words, never
// the command line, which may hold a secret.
func TestMFAProcessBounds(t *testing.T) {
	skipWithoutSh(t)
	noTerminal(t, "")
	tests := map[string]struct {
		command string
		timeout time.Duration
		want    string
		wantErr string
	}{
		"a code":                  {command: "echo 123456", want: "123456"},
		"hangs":                   {command: "sleep 30", timeout: 200 * time.Millisecond, wantErr: `profile "yk": its mfa_process gave no code within 200ms, and was stopped: make it answer sooner, or raise mfa_process_timeout in the profile`},
		"leaves a child":          {command: "sleep 30 & echo 123456", want: "123456"},
		"prints no code":          {command: "true", wantErr: `profile "yk": its mfa_process printed no 6-digit code: make it print only the code`},
		"prints another thing":    {command: "echo hunter2 123456", wantErr: `profile "yk": its mfa_process printed no 6-digit code`},
		"prints on and on":        {command: "yes 123456", wantErr: "printed more than 1024 bytes"},
		"fails":                   {command: "TOKEN=hunter2 sh -c 'echo no key found >&2; exit 3'", wantErr: `profile "yk": its mfa_process failed with exit status 3: no key found`},
		"fails at length":         {command: "TOKEN=hunter2 sh -c 'yes no key found | head -c 100000 >&2; echo last words >&2; exit 3'", wantErr: "found\nno klast words"},
		"echoes its command line": {command: `TOKEN=hunter2secret sh -c 'echo "usage: $0 --seed JBSWY3DPEHPK3PXP $TOKEN" >&2; exit 3'`, wantErr: `failed with exit status 3: *** sh ***`},
		"cannot be run":           {command: "TOKEN=hunter2 ./no-such-program", wantErr: `profile "yk": its mfa_process failed with exit status 127`},
		"killed by a signal":      {command: "kill -KILL $$", wantErr: `failed with signal: killed`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			got, err := runMFAProcess(context.Background(), mfaProcess{command: tt.command, profile: "yk", timeout: tt.timeout})
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %v", took)
			}
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("= %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "JBSWY3DPEHPK3PXP") || strings.Contains(err.Error(), "TOKEN") || strings.Contains(err.Error(), "sh -c") {
				t.Errorf("the error quotes the command line: %v", err)
			}
			if len(err.Error()) > 2*maxMFAProcessStderr {
				t.Errorf("the error has %d bytes", len(err.Error()))
			}
		})
	}
}

// A profile's mfa_process_timeout bounds its program, and the entry's lock
// is free again when the fetch gives up.
func TestMFAProcessTimeoutReleasesLock(t *testing.T) {
	skipWithoutSh(t)
	w := processWorld(t)
	w.appendFile(t, filepath.Join(".aws", "config"), `
[profile yk-slow]
role_arn = arn:aws:iam::123456789012:role/slow
source_profile = yk-user
mfa_serial = arn:aws:iam::123456789012:mfa/alice
mfa_process = sleep 30
mfa_process_timeout = 300ms
`)
	l := &Loader{CacheDir: w.cacheDir}
	cfg, err := l.LoadDefaultConfig(context.Background(), w.options("yk-slow")...)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = cfg.Credentials.Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), `profile "yk-slow": its mfa_process gave no code within 300ms`) {
		t.Fatalf("error = %v, want the profile's timeout", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v", took)
	}
	pes, err := l.ProfileEntries(context.Background(), w.options("yk-slow")...)
	if err != nil {
		t.Fatal(err)
	}
	cache := NewFileCache(w.cacheDir, func(o *FileCacheOptions) { o.LockTimeout = 100 * time.Millisecond })
	unlock, err := cache.Lock(context.Background(), pes[len(pes)-1].Key)
	if err != nil {
		t.Fatalf("the entry's lock is still held: %v", err)
	}
	unlock()
}

func TestMFAProcessTimeoutSetting(t *testing.T) {
	for _, tt := range []struct {
		text    string
		want    time.Duration
		wantErr bool
	}{
		{"", 0, false},
		{"30", 30 * time.Second, false},
		{"2m", 2 * time.Minute, false},
		{"0", 0, true},
		{"-5", 0, true},
		{"soon", 0, true},
	} {
		p := profileMFAProcess("yk", func(key string) string {
			return map[string]string{"mfa_process": "ykman", "mfa_process_timeout": tt.text}[key]
		})
		if p.timeout != tt.want || (p.err != nil) != tt.wantErr {
			t.Errorf("mfa_process_timeout = %q: %v, %v; want %v, error %v", tt.text, p.timeout, p.err, tt.want, tt.wantErr)
		}
		if p.err != nil {
			if _, err := ProfileProcessTokenProvider(withMFAProcess(context.Background(), p), "serial"); !errors.Is(err, p.err) || !strings.Contains(err.Error(), `profile "yk": mfa_process_timeout = `) {
				t.Errorf("error = %v", err)
			}
		}
	}
}
