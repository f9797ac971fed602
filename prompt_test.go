package sessioncache

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/internal/ptytest"
	"github.com/sessioncache/sessioncache/internal/tty"
	"github.com/sessioncache/sessioncache/ststest"
)

// terminal is a pseudo-terminal that stands for the person at the
// keyboard: the prompt talks to its slave side (tty.Path points there), and
// the test reads and types on its master side.
type terminal struct {
	*ptytest.Terminal
	t      *testing.T
	master *os.File
	slave  *os.File
}

func newTerminal(t *testing.T) *terminal {
	t.Helper()
	pt := ptytest.Open(t)
	old := tty.Path
	tty.Path = pt.SlavePath
	t.Cleanup(func() { tty.Path = old })
	return &terminal{Terminal: pt, t: t, master: pt.Master, slave: pt.Slave}
}

func (term *terminal) output() string { return term.Output() }

// waitFor waits until s has appeared n times on the terminal.
func (term *terminal) waitFor(s string, n int) {
	term.t.Helper()
	term.WaitFor(s, n)
}

// typeLine types line and Enter once the terminal has stopped echoing, as
// a person would after reading the prompt.
func (term *terminal) typeLine(line string) {
	term.t.Helper()
	term.WaitEchoOff()
	term.Type(line + "\r")
}

// waitEchoOff waits until the terminal has stopped echoing.
func (term *terminal) waitEchoOff() {
	term.t.Helper()
	term.WaitEchoOff()
}

// typeRaw types s as it is: keys such as Ctrl-C (\x03) included.
func (term *terminal) typeRaw(s string) {
	term.t.Helper()
	term.Type(s)
}

func TestTerminalPromptAsksAgainForRejectedCodes(t *testing.T) {
	const prompt = "Enter MFA code for " + testSerial + ": "
	tests := map[string]struct {
		typed     []string
		fail      func(srv *ststest.Server)
		wantCalls int
		wantErr   string // "" for success
		wantNote  string // a line the terminal shows between tries
	}{
		"right code": {typed: []string{testCode}, wantCalls: 1},
		"wrong, then right": {
			typed: []string{"111111", testCode}, wantCalls: 2,
			wantNote: "STS did not accept that code. Wait for the next one and try again.",
		},
		"three wrong codes is final": {
			typed: []string{"111111", "222222", "333333"}, wantCalls: 3,
			wantErr: "STS refused the MFA code",
		},
		"not six digits, then right": {
			typed: []string{"12ab", testCode}, wantCalls: 1,
			wantNote: "That is not a 6-digit code. Try again.",
		},
		"never six digits": {
			typed: []string{"7q", "w88", "e999e"}, wantCalls: 0,
			wantErr: "must be 6 digits",
		},
		// Retyping cannot help when the device is not the one STS knows.
		"wrong device is not asked again": {
			typed: []string{testCode}, wantCalls: 1,
			fail: func(srv *ststest.Server) {
				srv.FailNext(1, "AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.", http.StatusForbidden)
			},
			wantErr: "check that mfa_serial",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			term := newTerminal(t)
			srv := ststest.NewServer(func(o *ststest.Options) {
				o.RequireMFA = true
				o.MFACode = testCode
			})
			defer srv.Close()
			if tt.fail != nil {
				tt.fail(srv)
			}
			f := NewAssumeRoleFetcher(newSTSClient(srv.URL, nil), testRoleARN, func(o *AssumeRoleOptions) {
				o.SerialNumber = testSerial
			})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := f.Fetch(ctx)
				done <- err
			}()
			for i, code := range tt.typed {
				term.waitFor(prompt, i+1)
				term.typeLine(code)
			}
			err := <-done
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Fetch: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Fetch error = %v, want one containing %q", err, tt.wantErr)
			}
			if n := srv.Calls("AssumeRole"); n != tt.wantCalls {
				t.Errorf("%d STS calls, want %d", n, tt.wantCalls)
			}
			out := term.output()
			if n := strings.Count(out, prompt); n != len(tt.typed) {
				t.Errorf("the terminal shows the prompt %d times, want %d: %q", n, len(tt.typed), out)
			}
			if tt.wantNote != "" && !strings.Contains(out, tt.wantNote) {
				t.Errorf("the terminal does not show %q: %q", tt.wantNote, out)
			}
			for _, code := range tt.typed {
				if strings.Contains(out, code) {
					t.Error("a typed code was echoed on the terminal")
				}
			}
		})
	}
}

func TestTerminalPromptIsPreferredToStdin(t *testing.T) {
	term := newTerminal(t)
	// Standard input has another code: the terminal's must win, because
	// standard input may be a pipe of the program's data.
	oldIn := os.Stdin
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	os.Stdin = r
	defer func() { os.Stdin = oldIn }()
	_, _ = io.WriteString(w, "111111\n")
	w.Close()

	done := make(chan struct{})
	var code string
	go func() {
		defer close(done)
		code, err = TerminalPrompt(context.Background(), testSerial)
	}()
	term.waitFor("Enter MFA code for "+testSerial+": ", 1)
	term.typeLine(" " + testCode + " ")
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if code != testCode {
		t.Error("TerminalPrompt did not return the code typed at the terminal")
	}
	if b, _ := io.ReadAll(r); string(b) != "111111\n" {
		t.Error("TerminalPrompt read standard input although a terminal was there")
	}
}

func TestTerminalPromptWithoutTerminalReadsNothing(t *testing.T) {
	stderr := noTerminal(t, testCode+"\n")
	code, err := TerminalPrompt(context.Background(), testSerial)
	var unavailable *MFACodeUnavailableError
	if !errors.As(err, &unavailable) || code != "" {
		t.Fatalf("TerminalPrompt error = %v, want *MFACodeUnavailableError and no code", err)
	}
	// Standard input may be a child's: it is left as it was.
	if b, _ := io.ReadAll(os.Stdin); string(b) != testCode+"\n" {
		t.Error("TerminalPrompt read standard input")
	}
	if got := stderr(); got != "" {
		t.Errorf("TerminalPrompt wrote %q to standard error", got)
	}
}

func TestLineTokenProvider(t *testing.T) {
	tests := map[string]struct {
		stdin       io.Reader
		want        string
		unavailable bool
	}{
		"a line":                       {stdin: strings.NewReader(testCode + "\nrest"), want: testCode},
		"empty standard input":         {stdin: strings.NewReader(""), unavailable: true},
		"closed standard input":        {stdin: errReader{os.ErrClosed}, unavailable: true},
		"a line without a newline":     {stdin: strings.NewReader(testCode), want: testCode},
		"a line that never ends stops": {stdin: strings.NewReader(strings.Repeat("1", 1000)), want: strings.Repeat("1", 256)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var stderr strings.Builder
			code, err := LineTokenProvider(tt.stdin, &stderr)(context.Background(), testSerial)
			var unavailable *MFACodeUnavailableError
			if tt.unavailable {
				if !errors.As(err, &unavailable) {
					t.Fatalf("error = %v, want *MFACodeUnavailableError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if code != tt.want {
				t.Errorf("code of %d characters, want %d", len(code), len(tt.want))
			}
			if got := stderr.String(); got != "Enter MFA code for "+testSerial+": " {
				t.Errorf("standard error = %q", got)
			}
		})
	}
	t.Run("one line per code, nothing more", func(t *testing.T) {
		r := strings.NewReader("111111\n222222\nrest\n")
		tp := LineTokenProvider(r, nil)
		for _, want := range []string{"111111", "222222"} {
			if code, err := tp(context.Background(), testSerial); err != nil || code != want {
				t.Fatalf("code %q, %v; want the next line", code, err)
			}
		}
		if rest, _ := io.ReadAll(r); string(rest) != "rest\n" {
			t.Errorf("left %q, want the line after the codes", rest)
		}
	})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
