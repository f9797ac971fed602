package cli

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/tty"
)

// tokenProvider returns where MFA codes come from: --mfa-token, else the
// library's sources (the profile's mfa_process, the terminal, a dialog),
// then, for export, standard input. Standard input is otherwise left to
// the command exec runs. nil is the library's default.
func (g *globals) tokenProvider() sessioncache.TokenProvider {
	switch code := g.mfaToken; {
	case code == "-":
		return g.stdinCode()
	case code != "":
		return func(context.Context, string) (string, error) { return code, nil }
	case g.codeFromStdin:
		return sessioncache.ChainTokenProviders(sessioncache.DefaultTokenProvider, sessioncache.LineTokenProvider(g.stdin, g.stdinPrompt()))
	}
	return nil
}

// stdinCode is the TokenProvider of --mfa-token -: the first line of
// standard input, read once, when the first loader is made, whether or
// not a code is needed, so that what a command run by exec reads does not
// depend on the cache.
func (g *globals) stdinCode() sessioncache.TokenProvider {
	if g.stdinLine != nil {
		return g.stdinLine
	}
	line, err := sessioncache.LineTokenProvider(g.stdin, nil)(context.Background(), "")
	g.stdinLine = func(_ context.Context, serial string) (string, error) {
		var unavailable *sessioncache.MFACodeUnavailableError
		if errors.As(err, &unavailable) {
			return "", &sessioncache.MFACodeUnavailableError{Serial: serial}
		}
		return line, err
	}
	return g.stdinLine
}

// stdinPrompt is where to ask for a code read from standard input: the
// standard error when standard input is a terminal, and nowhere when it
// is not, since no one would answer the question there and it would only
// come before the error.
func (g *globals) stdinPrompt() io.Writer {
	if f, ok := g.stdin.(*os.File); ok && tty.IsTerminal(f) {
		return g.stderr
	}
	return nil
}
