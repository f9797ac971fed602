package sessioncache

import (
	"context"
	"errors"
)

// ChainTokenProviders returns a TokenProvider that asks each of providers
// in turn, passing over those that return *MFACodeUnavailableError, and
// returns the first code or other error. Because the order is fixed, a
// code STS refuses is asked for again from the source that gave it.
func ChainTokenProviders(providers ...TokenProvider) TokenProvider {
	return func(ctx context.Context, serial string) (string, error) {
		for _, p := range providers {
			code, err := p(ctx, serial)
			var unavailable *MFACodeUnavailableError
			if errors.As(err, &unavailable) {
				continue
			}
			return code, err
		}
		return "", &MFACodeUnavailableError{Serial: serial}
	}
}

// defaultTokenProvider is DefaultTokenProvider's chain, made once.
var defaultTokenProvider = ChainTokenProviders(ProfileProcessTokenProvider, TerminalPrompt, DialogTokenProvider)

// DefaultTokenProvider is the TokenProvider of a Loader, and of the
// fetchers, that set none: the profile's mfa_process
// (ProfileProcessTokenProvider), else the terminal (TerminalPrompt), else,
// with no terminal, a desktop dialog (DialogTokenProvider). Standard
// input is never read.
func DefaultTokenProvider(ctx context.Context, serial string) (string, error) {
	return defaultTokenProvider(ctx, serial)
}
