package ststest

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"
)

// createToken answers CreateToken for the three grants.
func (s *OIDCServer) createToken(in map[string]any) (any, *apiError) {
	id, c, err := s.client(in)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	invalidGrant := &apiError{http.StatusBadRequest, "InvalidGrantException", "Invalid grant provided"}
	switch str(in, "grantType") {
	case "urn:ietf:params:oauth:grant-type:device_code":
		d, ok := s.devices[str(in, "deviceCode")]
		if !ok || d.clientID != id || d.state == "used" {
			return nil, invalidGrant
		}
		if !now.Before(d.expires) {
			return nil, &apiError{http.StatusBadRequest, "ExpiredTokenException", "Device code has expired"}
		}
		// Polls closer together than the interval (with room for timer
		// jitter) are told to slow down, as RFC 8628 has it.
		if !d.lastPoll.IsZero() && now.Sub(d.lastPoll) < d.interval-200*time.Millisecond {
			d.lastPoll = now
			d.interval += 5 * time.Second
			return nil, &apiError{http.StatusBadRequest, "SlowDownException", "Client is polling too quickly"}
		}
		d.lastPoll = now
		if s.opts.Deny {
			d.state = "denied"
		}
		switch d.state {
		case "pending":
			return nil, &apiError{http.StatusBadRequest, "AuthorizationPendingException", "Authorization is still pending"}
		case "denied":
			return nil, &apiError{http.StatusBadRequest, "AccessDeniedException", "Access denied"}
		}
		d.state = "used"
	case "authorization_code":
		a, ok := s.codes[str(in, "code")]
		if !ok || a.clientID != id || a.redirectURI != str(in, "redirectUri") {
			return nil, invalidGrant
		}
		delete(s.codes, str(in, "code"))
		if !now.Before(a.expires) {
			return nil, &apiError{http.StatusBadRequest, "ExpiredTokenException", "Authorization code has expired"}
		}
		sum := sha256.Sum256([]byte(str(in, "codeVerifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != a.challenge {
			return nil, &apiError{http.StatusBadRequest, "InvalidGrantException", "Code verifier does not match the code challenge"}
		}
	case "refresh_token":
		rt := str(in, "refreshToken")
		owner, ok := s.refresh[rt]
		if !ok || owner != id {
			return nil, invalidGrant
		}
		// Refresh tokens are single use.
		delete(s.refresh, rt)
	default:
		return nil, &apiError{http.StatusBadRequest, "UnsupportedGrantTypeException", "Unsupported grant type"}
	}
	s.tokenSeq++
	access := fmt.Sprintf("aoa%06d%s", s.tokenSeq, randomString(alnum, 40))
	out := map[string]any{
		"accessToken": access,
		"tokenType":   "Bearer",
		"expiresIn":   int(s.opts.AccessTokenDuration / time.Second),
	}
	// Only clients registered with scopes get refresh tokens.
	if len(c.scopes) > 0 {
		rt := "aor" + randomString(alnum, 60)
		s.refresh[rt] = id
		out["refreshToken"] = rt
	}
	if p := s.opts.Portal; p != nil {
		p.SetAccessToken(access, now.Add(s.opts.AccessTokenDuration))
	}
	return out, nil
}
