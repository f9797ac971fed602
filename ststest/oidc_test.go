package ststest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
)

// registerAuthCodeClient registers an authorization code client with s.
func registerAuthCodeClient(t *testing.T, s *OIDCServer) (*ssooidc.Client, *ssooidc.RegisterClientOutput) {
	t.Helper()
	c := ssooidc.New(ssooidc.Options{Region: "eu-west-1", BaseEndpoint: aws.String(s.URL)})
	reg, err := c.RegisterClient(context.Background(), &ssooidc.RegisterClientInput{
		ClientName:   aws.String("t"),
		ClientType:   aws.String("public"),
		GrantTypes:   []string{"authorization_code", "refresh_token"},
		RedirectUris: []string{"http://127.0.0.1/oauth/callback"},
		IssuerUrl:    aws.String("https://d-1.awsapps.com/start"),
		Scopes:       []string{"sso:account:access"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, reg
}

// authorize visits /authorize as a browser and returns the redirect.
func authorize(t *testing.T, s *OIDCServer, clientID, redirect, challenge string) (*url.URL, int) {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect},
		"state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(s.URL + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return loc, resp.StatusCode
}

func TestOIDCAuthorizationCodeChecksPKCEAndUsesCodesOnce(t *testing.T) {
	s := NewOIDCServer(func(o *OIDCOptions) { o.AutoApprove = true })
	defer s.Close()
	c, reg := registerAuthCodeClient(t, s)
	verifier := "a-verifier-of-enough-length-for-the-test-0123456789"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	redirect := "http://127.0.0.1:4242/oauth/callback"

	if _, status := authorize(t, s, aws.ToString(reg.ClientId), "http://127.0.0.1:4242/elsewhere", challenge); status != http.StatusBadRequest {
		t.Errorf("an unregistered redirect path got %d, want 400", status)
	}
	loc, status := authorize(t, s, aws.ToString(reg.ClientId), redirect, challenge)
	if status != http.StatusFound || loc.Query().Get("state") != "st" || loc.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d, %v", status, loc)
	}
	exchange := func(code, verifier string) (*ssooidc.CreateTokenOutput, error) {
		return c.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
			GrantType: aws.String("authorization_code"), ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			Code: aws.String(code), CodeVerifier: aws.String(verifier), RedirectUri: aws.String(redirect),
		})
	}
	var invalid *types.InvalidGrantException
	if _, err := exchange(loc.Query().Get("code"), "another-verifier"); !errors.As(err, &invalid) {
		t.Errorf("a wrong verifier: %v, want InvalidGrantException", err)
	}
	// The refused attempt spent the code, as a real service does.
	if _, err := exchange(loc.Query().Get("code"), verifier); !errors.As(err, &invalid) {
		t.Errorf("a spent code: %v, want InvalidGrantException", err)
	}
	loc, _ = authorize(t, s, aws.ToString(reg.ClientId), redirect, challenge)
	tok, err := exchange(loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	refresh := func() error {
		_, err := c.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
			GrantType: aws.String("refresh_token"), ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			RefreshToken: tok.RefreshToken,
		})
		return err
	}
	if err := refresh(); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if err := refresh(); !errors.As(err, &invalid) {
		t.Errorf("a refresh token used twice: %v, want InvalidGrantException", err)
	}
}

func TestOIDCExpiredRegistrationIsRefused(t *testing.T) {
	var later atomic.Bool
	start := time.Now()
	s := NewOIDCServer(func(o *OIDCOptions) {
		o.RegistrationDuration = time.Hour
		o.Now = func() time.Time {
			if later.Load() {
				return start.Add(time.Hour)
			}
			return start
		}
	})
	defer s.Close()
	c, reg := registerAuthCodeClient(t, s)
	later.Store(true)
	_, err := c.StartDeviceAuthorization(context.Background(), &ssooidc.StartDeviceAuthorizationInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String("https://d-1.awsapps.com/start"),
	})
	var invalid *types.InvalidClientException
	if !errors.As(err, &invalid) {
		t.Errorf("StartDeviceAuthorization with an expired client: %v, want InvalidClientException", err)
	}
}
