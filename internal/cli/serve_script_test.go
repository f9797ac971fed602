package cli

import (
	"net"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdBusyPort listens on a free loopback port until the script ends, and
// sets VAR to its address, for scripts about a port already in use:
//
//	busyport VAR
func cmdBusyPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: busyport VAR")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Defer(func() { ln.Close() })
	ts.Setenv(args[0], ln.Addr().String())
}
