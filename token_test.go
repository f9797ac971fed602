package sessioncache

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sessioncache/sessioncache/ststest"
)

// fakeProgram writes an executable shell script called name into dir, a
// stand-in for ykman, zenity, kdialog or osascript. Its nth run appends
// its arguments to name.calls and prints the nth line of codes; exit is
// its exit status.
func fakeProgram(t *testing.T, dir, name string, codes []string, exit int) (calls func() []string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake programs are shell scripts")
	}
	log := filepath.Join(dir, name+".calls")
	codesFile := filepath.Join(dir, name+".codes")
	mustWrite(t, codesFile, strings.Join(codes, "\n")+"\n")
	script := "#!/bin/sh\n" +
		"printf '%s\\n' \"$*\" >> '" + log + "'\n" +
		"n=$(wc -l < '" + log + "')\n" +
		"sed -n \"${n}p\" '" + codesFile + "'\n" +
		"exit " + string(rune('0'+exit)) + "\n"
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		b, err := os.ReadFile(log)
		if err != nil {
			return nil
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
}

// fakeBin makes a directory for fake programs and puts it first on PATH.
func fakeBin(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

// processConfig adds profiles with mfa_process to the kind tests' files.
const processConfig = `
[profile yk-admin]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = yk-user
mfa_serial = arn:aws:iam::123456789012:mfa/alice
mfa_process = ykman oath accounts code --single my-aws

[profile yk-inherits]
role_arn = arn:aws:iam::123456789012:role/audit
source_profile = yk-user
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile yk-user]
mfa_serial = arn:aws:iam::123456789012:mfa/alice
mfa_process = ykman oath accounts code --single my-aws
`

const processCredentials = `
[yk-user]
aws_access_key_id = AKIAEXAMPLEUSER00001
aws_secret_access_key = user-secret-not-real-0000000000000000000
`

// processWorld is a kinds world with the profiles of processConfig, no
// terminal and no dialog: codes can only come from mfa_process.
func processWorld(t *testing.T) *kindsWorld {
	t.Helper()
	w := newKindsWorld(t, func(o *ststest.Options) { o.RequireMFA = true })
	noTerminal(t, "")
	w.appendFile(t, filepath.Join(".aws", "config"), processConfig)
	w.appendFile(t, filepath.Join(".aws", "credentials"), processCredentials)
	return w
}

// appendFile adds text to a file of the world's home, with $HOME replaced
// by the home directory.
func (w *kindsWorld) appendFile(t *testing.T, name, text string) {
	t.Helper()
	path := filepath.Join(w.home, name)
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, path, string(old)+strings.ReplaceAll(text, "$HOME", w.home))
}

func TestMFAProcess(t *testing.T) {
	tests := map[string]struct {
		profile    string
		codes      []string
		exit       int
		wantOp     string
		wantCalls  int
		wantRuns   int
		wantErr    string
		mfaSession bool
	}{
		"a role's mfa_process":       {profile: "yk-admin", codes: []string{kindsCode}, wantOp: "AssumeRole", wantCalls: 1, wantRuns: 1},
		"inherited from the source":  {profile: "yk-inherits", codes: []string{kindsCode}, wantOp: "AssumeRole", wantCalls: 1, wantRuns: 1},
		"an MFA session":             {profile: "yk-user", mfaSession: true, codes: []string{kindsCode}, wantOp: "GetSessionToken", wantCalls: 1, wantRuns: 1},
		"refused, then the next one": {profile: "yk-admin", codes: []string{"111111", kindsCode}, wantOp: "AssumeRole", wantCalls: 2, wantRuns: 2},
		"three refused is final": {
			profile: "yk-admin", codes: []string{"111111", "222222", "333333", kindsCode},
			wantOp: "AssumeRole", wantCalls: 3, wantRuns: 3, wantErr: "STS refused the MFA code",
		},
		"the same refused code is not resent": {
			profile: "yk-admin", codes: []string{"111111", "111111", kindsCode},
			wantOp: "AssumeRole", wantCalls: 1, wantRuns: 2, wantErr: "STS refused the MFA code",
		},
		"a failing process": {
			profile: "yk-admin", codes: []string{kindsCode}, exit: 1,
			wantOp: "AssumeRole", wantCalls: 0, wantRuns: 1, wantErr: `profile "yk-admin": its mfa_process failed with exit status 1`,
		},
		"keys without MFASession use no code": {profile: "yk-user", codes: []string{kindsCode}, wantOp: "GetSessionToken"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := processWorld(t)
			runs := fakeProgram(t, fakeBin(t), "ykman", tt.codes, tt.exit)
			l := &Loader{CacheDir: w.cacheDir, MFASession: tt.mfaSession}
			cfg, err := l.LoadDefaultConfig(context.Background(), w.options(tt.profile)...)
			if err == nil {
				_, err = cfg.Credentials.Retrieve(context.Background())
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("load: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("load error = %v, want one containing %q", err, tt.wantErr)
			}
			// The command line may hold a TOTP seed.
			checkNoSecrets(t, err, "111111", "222222", "333333", "accounts code --single")
			if got := w.sts.Calls(tt.wantOp); got != tt.wantCalls {
				t.Errorf("%d %s calls, want %d", got, tt.wantOp, tt.wantCalls)
			}
			got := runs()
			if len(got) != tt.wantRuns {
				t.Fatalf("ykman ran %d times, want %d", len(got), tt.wantRuns)
			}
			for _, args := range got {
				if args != "oath accounts code --single my-aws" {
					t.Errorf("ykman ran with %q", args)
				}
			}
			if tt.wantErr != "" {
				return
			}
			// Another process finds the entry: no run, no call.
			again := &Loader{CacheDir: w.cacheDir, MFASession: tt.mfaSession}
			cfg, err = again.LoadDefaultConfig(context.Background(), w.options(tt.profile)...)
			if err == nil {
				_, err = cfg.Credentials.Retrieve(context.Background())
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := len(runs()); n != tt.wantRuns {
				t.Errorf("ykman ran on a cache hit")
			}
			if got := w.sts.Calls(tt.wantOp); got != tt.wantCalls {
				t.Errorf("%d %s calls after a cache hit, want %d", got, tt.wantOp, tt.wantCalls)
			}
		})
	}
}

func TestMFAProcessRunsOnceUnderTheLock(t *testing.T) {
	w := processWorld(t)
	runs := fakeProgram(t, fakeBin(t), "ykman", []string{kindsCode}, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A Loader per goroutine, as a process each.
			l := &Loader{CacheDir: w.cacheDir, OnWait: func(LockHolder) {}}
			cfg, err := l.LoadDefaultConfig(context.Background(), w.options("yk-admin")...)
			if err == nil {
				_, err = cfg.Credentials.Retrieve(context.Background())
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(runs()); n != 1 {
		t.Errorf("ykman ran %d times, want once", n)
	}
	if n := w.sts.Calls("AssumeRole"); n != 1 {
		t.Errorf("%d AssumeRole calls, want 1", n)
	}
}

func TestDialogCommand(t *testing.T) {
	const msg = "Enter MFA code for " + testSerial + ": "
	tests := map[string]struct {
		goos      string
		env       map[string]string
		installed []string
		want      []string
	}{
		"macOS": {goos: "darwin", installed: []string{"osascript"}, want: append(append([]string{"/bin/osascript"}, osascriptDialog...), msg)},
		"Linux with zenity and kdialog": {
			goos: "linux", env: map[string]string{"DISPLAY": ":0"}, installed: []string{"zenity", "kdialog"},
			want: []string{"/bin/zenity", "--entry", "--hide-text", "--title=sessioncache", "--text=" + msg},
		},
		"Linux with kdialog, on Wayland": {
			goos: "linux", env: map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, installed: []string{"kdialog"},
			want: []string{"/bin/kdialog", "--title", "sessioncache", "--password", msg},
		},
		"Linux without a display":     {goos: "linux", installed: []string{"zenity"}},
		"Linux without a dialog":      {goos: "linux", env: map[string]string{"DISPLAY": ":0"}},
		"turned off":                  {goos: "darwin", env: map[string]string{EnvNoDialog: "1"}, installed: []string{"osascript"}},
		"turned off on Linux":         {goos: "linux", env: map[string]string{EnvNoDialog: "yes", "DISPLAY": ":0"}, installed: []string{"zenity"}},
		"SESSIONCACHE_NO_DIALOG=0":    {goos: "darwin", env: map[string]string{EnvNoDialog: "0"}, installed: []string{"osascript"}, want: append(append([]string{"/bin/osascript"}, osascriptDialog...), msg)},
		"Windows":                     {goos: "windows", installed: []string{"zenity", "osascript"}},
		"FreeBSD with zenity":         {goos: "freebsd", env: map[string]string{"DISPLAY": ":0"}, installed: []string{"zenity"}, want: []string{"/bin/zenity", "--entry", "--hide-text", "--title=sessioncache", "--text=" + msg}},
		"macOS never runs zenity":     {goos: "darwin", env: map[string]string{"DISPLAY": ":0"}, installed: []string{"zenity"}},
		"osascript only on macOS too": {goos: "linux", env: map[string]string{"DISPLAY": ":0"}, installed: []string{"osascript"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			lookPath := func(name string) (string, error) {
				if slices.Contains(tt.installed, name) {
					return "/bin/" + name, nil
				}
				return "", errors.New("not found")
			}
			got := dialogCommand(tt.goos, msg, getenv, lookPath)
			if !slices.Equal(got, tt.want) {
				t.Errorf("dialogCommand = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDialogTokenProvider(t *testing.T) {
	tests := map[string]struct {
		goos    string
		program string
		exit    int
		codes   []string
		wantErr error
	}{
		"zenity":           {goos: "linux", program: "zenity", codes: []string{testCode}},
		"kdialog":          {goos: "linux", program: "kdialog", codes: []string{testCode}},
		"osascript":        {goos: "darwin", program: "osascript", codes: []string{testCode}},
		"cancelled zenity": {goos: "linux", program: "zenity", exit: 1, wantErr: ErrNoMFACode},
		"cancelled osascript": {
			goos: "darwin", program: "osascript", exit: 1, wantErr: ErrNoMFACode,
		},
		"an empty answer": {goos: "linux", program: "zenity", codes: []string{""}, wantErr: ErrNoMFACode},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			old := dialogGOOS
			dialogGOOS = tt.goos
			defer func() { dialogGOOS = old }()
			t.Setenv(EnvNoDialog, "")
			t.Setenv("DISPLAY", ":0")
			dir := t.TempDir()
			t.Setenv("PATH", dir+string(os.PathListSeparator)+"/usr/bin"+string(os.PathListSeparator)+"/bin")
			runs := fakeProgram(t, dir, tt.program, tt.codes, tt.exit)
			code, err := DialogTokenProvider(context.Background(), testSerial)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
			} else if err != nil || code != testCode {
				t.Fatalf("DialogTokenProvider = %d characters, %v; want the code", len(code), err)
			}
			got := runs()
			if len(got) != 1 || !strings.Contains(got[0], "Enter MFA code for "+testSerial+":") {
				t.Errorf("%s ran with %q, want once, with the prompt", tt.program, got)
			}
		})
	}
}

func TestDefaultTokenProviderOrder(t *testing.T) {
	tests := map[string]struct {
		process  bool // the profile sets mfa_process
		terminal bool
		dialog   bool
		want     string // the source that gives the code
	}{
		"mfa_process first":               {process: true, terminal: true, dialog: true, want: "ykman"},
		"then the terminal":               {terminal: true, dialog: true, want: "terminal"},
		"then a dialog, with no terminal": {dialog: true, want: "zenity"},
		"else nothing":                    {want: ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			noTerminal(t, testCode+"\n")
			old := dialogGOOS
			dialogGOOS = "linux"
			defer func() { dialogGOOS = old }()
			t.Setenv("DISPLAY", ":0")
			if tt.dialog {
				t.Setenv(EnvNoDialog, "")
			}
			bin := fakeBin(t)
			ykman := fakeProgram(t, bin, "ykman", []string{testCode}, 0)
			zenity := fakeProgram(t, bin, "zenity", []string{testCode}, 0)
			var term *terminal
			if tt.terminal {
				term = newTerminal(t)
			}
			ctx := context.Background()
			if tt.process {
				ctx = withMFAProcess(ctx, mfaProcess{command: "ykman oath accounts code --single my-aws"})
			}
			done := make(chan error, 1)
			go func() {
				_, err := DefaultTokenProvider(ctx, testSerial)
				done <- err
			}()
			if tt.want == "terminal" {
				term.waitFor("Enter MFA code for "+testSerial+": ", 1)
				term.typeLine(testCode)
			}
			err := <-done
			var unavailable *MFACodeUnavailableError
			if tt.want == "" {
				if !errors.As(err, &unavailable) {
					t.Fatalf("error = %v, want *MFACodeUnavailableError", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if (len(ykman()) == 1) != (tt.want == "ykman") {
				t.Errorf("ykman ran %d times", len(ykman()))
			}
			if (len(zenity()) == 1) != (tt.want == "zenity") {
				t.Errorf("zenity ran %d times", len(zenity()))
			}
			if term != nil && (strings.Contains(term.output(), "Enter MFA code")) != (tt.want == "terminal") {
				t.Errorf("the terminal shows %q", term.output())
			}
			// Standard input is never a source.
			if b, _ := io.ReadAll(os.Stdin); string(b) != testCode+"\n" {
				t.Error("standard input was read")
			}
		})
	}
}
