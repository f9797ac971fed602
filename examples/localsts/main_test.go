package main

import "testing"

// The line printed at Ctrl-C counts the calls in words that agree.
func TestServed(t *testing.T) {
	for n, want := range map[int]string{
		0: "0 AssumeRole calls served",
		1: "1 AssumeRole call served",
		2: "2 AssumeRole calls served",
	} {
		if got := served(n); got != want {
			t.Errorf("served(%d) = %q, want %q", n, got, want)
		}
	}
}
