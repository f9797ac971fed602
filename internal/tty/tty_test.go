package tty

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadLine(t *testing.T) {
	tests := map[string]struct {
		in, want, rest string
		err            error
	}{
		"a line":                  {in: "123456\nnext", want: "123456", rest: "next"},
		"end of input":            {in: "123", want: "123", err: io.EOF},
		"nothing":                 {in: "", want: "", err: io.EOF},
		"stops at 256 bytes":      {in: strings.Repeat("1", 300), want: strings.Repeat("1", 256), rest: strings.Repeat("1", 44)},
		"keeps a carriage return": {in: "1\r\n", want: "1\r"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := strings.NewReader(tt.in)
			got, err := ReadLine(r)
			if got != tt.want || !errors.Is(err, tt.err) && (err != nil || tt.err != nil) {
				t.Errorf("ReadLine = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
			// Nothing after the line is taken from the reader.
			if rest, _ := io.ReadAll(r); string(rest) != tt.rest {
				t.Errorf("left %q, want %q", rest, tt.rest)
			}
		})
	}
}

// Without a terminal at Path (none, or a plain file), there is no
// terminal: nothing is opened, and nothing is written.
func TestNoTerminal(t *testing.T) {
	old := Path
	t.Cleanup(func() { Path = old })
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing"), plain} {
		Path = p
		if f, ok := Open(); ok {
			f.Close()
			t.Errorf("Open(%s) found a terminal", p)
		}
		if Available() || Tell("hello") || Foreground() {
			t.Errorf("%s: Available, Tell or Foreground says there is a terminal", p)
		}
		if _, ok, err := Prompt(context.Background(), "code: "); ok || err != nil {
			t.Errorf("%s: Prompt found a terminal (%v)", p, err)
		}
	}
	if data, _ := os.ReadFile(plain); len(data) != 0 {
		t.Errorf("Tell or Prompt wrote %q to a file that is not a terminal", data)
	}
}
