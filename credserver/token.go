package credserver

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// tokenBytes is the size of a token's random part: 256 bits.
const tokenBytes = 32

// NewToken returns a new authorization token: 32 bytes from crypto/rand,
// base64url-encoded without padding (43 characters).
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("credserver: make a token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
