package ststest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/sessioncache/sessioncache/internal/loginsession"
)

// authorize is the page `aws login` sends the browser to.
func (s *SigninServer) authorize(w http.ResponseWriter, r *http.Request) {
	serveAuthorize(w, r, &s.mu, &s.book, s.authorizeLocked)
}

func (s *SigninServer) authorizeLocked(q url.Values) (string, *apiError) {
	if err := s.book.nextFailure(); err != nil {
		return "", err
	}
	client := q.Get("client_id")
	if client != loginsession.SameDeviceClientID && client != loginsession.CrossDeviceClientID {
		return "", &apiError{http.StatusBadRequest, "ValidationException", "unknown client_id"}
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme != "http" || !isLoopback(redirect.Hostname()) || redirect.Path != "/oauth/callback" {
		return "", &apiError{http.StatusBadRequest, "ValidationException", "redirect_uri must be http://127.0.0.1:PORT/oauth/callback"}
	}
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "SHA-256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("scope") != "openid" {
		return "", &apiError{http.StatusBadRequest, "ValidationException", "response_type=code, scope=openid, state, code_challenge and code_challenge_method=SHA-256 are required"}
	}
	if !s.opts.AutoApprove {
		return "", &apiError{http.StatusForbidden, "AccessDeniedException", "this test server approves sign-ins only with AutoApprove"}
	}
	code := randomString(alnum, 40)
	s.codes[code] = &signinCode{clientID: client, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), expires: s.opts.Now().Add(5 * time.Minute)}
	redirect.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	return redirect.String(), nil
}

type signinAccessToken struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
}

type signinTokenOutput struct {
	AccessToken  signinAccessToken `json:"accessToken"`
	TokenType    string            `json:"tokenType"`
	ExpiresIn    int64             `json:"expiresIn"`
	RefreshToken string            `json:"refreshToken"`
	IDToken      string            `json:"idToken,omitempty"`
}

// createToken is CreateOAuth2Token. The server's lock is held.
func (s *SigninServer) createToken(in map[string]any, proofs []string) (any, *apiError) {
	if err := s.book.nextFailure(); err != nil {
		return nil, err
	}
	if in == nil {
		return nil, &apiError{http.StatusBadRequest, "ValidationException", "the body is not a JSON object"}
	}
	if len(proofs) != 1 {
		return nil, &apiError{http.StatusBadRequest, "ValidationException", "exactly one DPoP header is required"}
	}
	thumbprint, apiErr := s.checkProof(proofs[0])
	if apiErr != nil {
		return nil, apiErr
	}
	client := str(in, "clientId")
	switch str(in, "grantType") {
	case "refresh_token":
		g, ok := s.refresh[str(in, "refreshToken")]
		switch {
		case !ok || g.used:
			return nil, &apiError{http.StatusUnauthorized, "TOKEN_EXPIRED", "the refresh token has expired or was already used; sign in again"}
		case g.clientID != client:
			return nil, &apiError{http.StatusBadRequest, "ValidationException", "clientId does not match the refresh token"}
		case g.thumbprint != thumbprint:
			return nil, &apiError{http.StatusBadRequest, "ValidationException", "the DPoP proof is not signed with the key the refresh token is bound to"}
		}
		g.used = true
		return s.issueLocked(client, thumbprint, false), nil
	case "authorization_code":
		c, ok := s.codes[str(in, "code")]
		if !ok || !s.opts.Now().Before(c.expires) {
			return nil, &apiError{http.StatusUnauthorized, "AUTHCODE_EXPIRED", "the authorization code is unknown, expired or used"}
		}
		delete(s.codes, str(in, "code"))
		sum := sha256.Sum256([]byte(str(in, "codeVerifier")))
		switch {
		case c.clientID != client:
			return nil, &apiError{http.StatusBadRequest, "ValidationException", "clientId does not match the authorization"}
		case c.redirectURI != str(in, "redirectUri"):
			return nil, &apiError{http.StatusBadRequest, "ValidationException", "redirectUri does not match the authorization"}
		case base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
			return nil, &apiError{http.StatusBadRequest, "ValidationException", "codeVerifier does not match code_challenge"}
		}
		return s.issueLocked(client, thumbprint, true), nil
	}
	return nil, &apiError{http.StatusBadRequest, "ValidationException", "grantType must be authorization_code or refresh_token"}
}

// checkProof verifies a DPoP proof of a POST to /v1/token and returns the
// thumbprint of its key.
func (s *SigninServer) checkProof(proof string) (string, *apiError) {
	jwk, claims, err := loginsession.VerifyProof(proof)
	bad := func(msg string) (string, *apiError) {
		return "", &apiError{http.StatusBadRequest, "ValidationException", "invalid DPoP proof: " + msg}
	}
	if err != nil {
		return bad(err.Error())
	}
	now := s.opts.Now()
	switch iat := time.Unix(claims.IAT, 0); {
	case claims.HTM != http.MethodPost:
		return bad("htm is not POST")
	case claims.HTU != s.URL+"/v1/token":
		return bad("htu is not " + s.URL + "/v1/token")
	case iat.Before(now.Add(-s.opts.ProofWindow)) || iat.After(now.Add(s.opts.ProofWindow)):
		return bad("iat is too far from now")
	case claims.JTI == "":
		return bad("jti is missing")
	case s.jtis[claims.JTI]:
		return bad("jti was already used")
	}
	s.jtis[claims.JTI] = true
	return jwk.Thumbprint(), nil
}

// issueLocked makes new credentials and a refresh token bound to the key
// of thumbprint, and an idToken for a sign-in.
func (s *SigninServer) issueLocked(client, thumbprint string, signIn bool) signinTokenOutput {
	refresh := "aorAAAAAG" + randomString(base64Chars, 300)
	s.refresh[refresh] = &refreshGrant{clientID: client, thumbprint: thumbprint}
	out := signinTokenOutput{
		AccessToken: signinAccessToken{
			AccessKeyID:     "ASIA" + randomString(upperAlnum, 16),
			SecretAccessKey: randomString(base64Chars, 40),
			SessionToken:    "IQoJb3JpZ2luX2VjE" + randomString(base64Chars, 300),
		},
		TokenType:    "aws_sigv4",
		ExpiresIn:    int64(s.opts.AccessDuration / time.Second),
		RefreshToken: refresh,
	}
	if signIn {
		now := s.opts.Now()
		header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT"})
		claims, _ := json.Marshal(map[string]any{"sub": s.opts.Session, "aud": client, "iat": now.Unix(), "exp": now.Add(12 * time.Hour).Unix()})
		out.IDToken = base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims) + "." + randomString(alnum, 86)
	}
	return out
}
