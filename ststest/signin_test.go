package ststest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/internal/loginsession"
	"github.com/sessioncache/sessioncache/ststest"
)

// postToken posts a refresh of tok with the given DPoP header and returns
// the status and the error type.
func postToken(t *testing.T, s *ststest.SigninServer, tok *loginsession.Token, proof string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"clientId": tok.ClientID, "grantType": "refresh_token", "refreshToken": tok.RefreshToken})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/token", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype")
}

func signedIn(t *testing.T, s *ststest.SigninServer) *loginsession.Token {
	t.Helper()
	data, err := s.SignIn(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := loginsession.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSigninVerifiesDPoPProofs(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	s := ststest.NewSigninServer(func(o *ststest.SigninOptions) { o.Now = func() time.Time { return now } })
	defer s.Close()
	_, otherKey, _ := loginsession.NewKey()
	for _, tc := range []struct {
		name  string
		proof func(tok *loginsession.Token) string
		ok    bool
	}{
		{"good", func(tok *loginsession.Token) string { return proof(t, tok.DPoPKey, s.URL+"/v1/token", now) }, true},
		{"no proof", func(*loginsession.Token) string { return "" }, false},
		{"wrong key", func(*loginsession.Token) string { return proof(t, otherKey, s.URL+"/v1/token", now) }, false},
		{"wrong htu", func(tok *loginsession.Token) string { return proof(t, tok.DPoPKey, s.URL+"/v1/other", now) }, false},
		{"iat too old", func(tok *loginsession.Token) string {
			return proof(t, tok.DPoPKey, s.URL+"/v1/token", now.Add(-5*time.Minute-time.Second))
		}, false},
		{"iat at the window's edge", func(tok *loginsession.Token) string {
			return proof(t, tok.DPoPKey, s.URL+"/v1/token", now.Add(-5*time.Minute))
		}, true},
		{"iat in the future", func(tok *loginsession.Token) string {
			return proof(t, tok.DPoPKey, s.URL+"/v1/token", now.Add(5*time.Minute+time.Second))
		}, false},
		{"tampered signature", func(tok *loginsession.Token) string {
			p := proof(t, tok.DPoPKey, s.URL+"/v1/token", now)
			return p[:len(p)-4] + strings.Repeat("A", 4)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := signedIn(t, s)
			status, typ := postToken(t, s, tok, tc.proof(tok))
			if (status == http.StatusOK) != tc.ok {
				t.Fatalf("status %d %s, want ok=%v", status, typ, tc.ok)
			}
			if !tc.ok && (status != http.StatusBadRequest || typ != "ValidationException") {
				t.Fatalf("status %d %s, want 400 ValidationException", status, typ)
			}
		})
	}
}

func TestSigninRefusesAReplayedProofAndAUsedRefreshToken(t *testing.T) {
	s := ststest.NewSigninServer()
	defer s.Close()
	tok := signedIn(t, s)
	p := proof(t, tok.DPoPKey, s.URL+"/v1/token", time.Now())
	if status, typ := postToken(t, s, tok, p); status != http.StatusOK {
		t.Fatalf("first use: %d %s", status, typ)
	}
	// The same proof again: refused before the token is looked at.
	if status, typ := postToken(t, s, tok, p); status != http.StatusBadRequest || typ != "ValidationException" {
		t.Fatalf("replayed proof: %d %s, want 400 ValidationException", status, typ)
	}
	// A fresh proof with the rotated refresh token: the session is lost.
	if status, typ := postToken(t, s, tok, proof(t, tok.DPoPKey, s.URL+"/v1/token", time.Now())); status != http.StatusUnauthorized || typ != "AccessDeniedException" {
		t.Fatalf("used refresh token: %d %s, want 401 AccessDeniedException", status, typ)
	}
}

func TestSigninClientRefresh(t *testing.T) {
	s := ststest.NewSigninServer()
	defer s.Close()
	tok := signedIn(t, s)
	c := &loginsession.Client{Endpoint: s.URL}
	n, err := c.Refresh(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if n.RefreshToken == tok.RefreshToken || n.AccessKeyID == tok.AccessKeyID || n.IDToken != tok.IDToken || n.DPoPKey != tok.DPoPKey {
		t.Fatal("refresh did not rotate the token and credentials, or lost a field")
	}
	// Requests hands out copies: a caller changing one changes no other.
	s.Requests()[0].Params.Set("grantType", "changed")
	if got := s.Requests()[0].Params.Get("grantType"); got != "refresh_token" {
		t.Errorf("grantType of the recorded request = %q after a caller changed its copy, want refresh_token", got)
	}
	s.FailNext(1, "USER_CREDENTIALS_CHANGED", "password changed", http.StatusForbidden)
	_, err = c.Refresh(context.Background(), n)
	var se *loginsession.ServiceError
	if !errors.As(err, &se) || !se.SignInAgain() || se.Status != http.StatusForbidden || se.Type != "AccessDeniedException" {
		t.Fatalf("error %v, want AccessDeniedException USER_CREDENTIALS_CHANGED", err)
	}
}

func TestSigninAuthorizationCode(t *testing.T) {
	s := ststest.NewSigninServer(func(o *ststest.SigninOptions) {
		o.AutoApprove = true
		o.Session = "arn:aws:iam::111122223333:user/bob"
	})
	defer s.Close()
	verifier := strings.Repeat("v", 64)
	sum := sha256.Sum256([]byte(verifier))
	redirect := "http://127.0.0.1:4567/oauth/callback"
	q := url.Values{
		"response_type": {"code"}, "client_id": {loginsession.SameDeviceClientID}, "state": {"st"},
		"code_challenge_method": {"SHA-256"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"scope": {"openid"}, "redirect_uri": {redirect},
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(s.URL + "/v1/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("state") != "st" || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %s", resp.StatusCode, loc)
	}
	key, pemKey, _ := loginsession.NewKey()
	c := &loginsession.Client{Endpoint: s.URL}
	if _, _, err := c.Exchange(context.Background(), key, pemKey, loginsession.SameDeviceClientID, loc.Query().Get("code"), "wrong-verifier", redirect); err == nil {
		t.Fatal("a wrong code verifier was accepted")
	}
	resp, _ = noFollow.Get(s.URL + "/v1/authorize?" + q.Encode())
	resp.Body.Close()
	loc, _ = url.Parse(resp.Header.Get("Location"))
	tok, session, err := c.Exchange(context.Background(), key, pemKey, loginsession.SameDeviceClientID, loc.Query().Get("code"), verifier, redirect)
	if err != nil {
		t.Fatal(err)
	}
	if session != "arn:aws:iam::111122223333:user/bob" || tok.AccountID != "111122223333" || tok.IDToken == "" {
		t.Fatalf("session %s, account %s", session, tok.AccountID)
	}
	// The new key is bound: a refresh signed with it works.
	if _, err := c.Refresh(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	q.Set("code_challenge_method", "S256")
	resp, _ = noFollow.Get(s.URL + "/v1/authorize?" + q.Encode())
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("code_challenge_method=S256: %d, want 400", resp.StatusCode)
	}
}

func proof(t *testing.T, pemKey, url string, at time.Time) string {
	t.Helper()
	key, err := loginsession.ParseKey(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	p, err := loginsession.Proof(key, url, at)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
