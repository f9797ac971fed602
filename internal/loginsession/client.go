package loginsession

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Client IDs of `aws login`.
const (
	SameDeviceClientID  = "arn:aws:signin:::devtools/same-device"
	CrossDeviceClientID = "arn:aws:signin:::devtools/cross-device"
)

// Endpoint returns the sign-in service of region: AWS_ENDPOINT_URL_SIGNIN,
// else AWS_ENDPOINT_URL (botocore follows both), else the regional host.
func Endpoint(region string) string {
	for _, env := range []string{"AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL"} {
		if u := os.Getenv(env); u != "" {
			return strings.TrimRight(u, "/")
		}
	}
	if region == "" {
		region = "us-east-1"
	}
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "https://" + region + ".signin.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "https://" + region + ".signin.amazonaws-us-gov.com"
	}
	return "https://" + region + ".signin.aws.amazon.com"
}

// ServiceError is a refusal of the sign-in service. Its text holds no
// secret.
type ServiceError struct {
	// Status is the HTTP status.
	Status int
	// Type is the exception, such as AccessDeniedException.
	Type string
	// Code is the OAuth error of an AccessDeniedException, such as
	// TOKEN_EXPIRED.
	Code string
	// Message is the service's explanation.
	Message string
}

func (e *ServiceError) Error() string {
	s := fmt.Sprintf("the sign-in service answered %d %s", e.Status, e.Type)
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// SignInAgain reports whether only a new sign-in can continue the
// session: the refresh token has expired or the password changed.
func (e *ServiceError) SignInAgain() bool {
	return e.Code == "TOKEN_EXPIRED" || e.Code == "USER_CREDENTIALS_CHANGED"
}

// temporary reports whether the same request may succeed later.
func (e *ServiceError) temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests
}

// Client calls the sign-in service's token endpoint.
type Client struct {
	// Endpoint is the service's base URL, as Endpoint returns it.
	Endpoint string
	// HTTPClient defaults to http.DefaultClient.
	HTTPClient interface {
		Do(*http.Request) (*http.Response, error)
	}
	// Now defaults to time.Now; it dates proofs and expiries.
	Now func() time.Time
	// Attempts bounds the tries of a request the service failed with a
	// server error, throttling or a broken connection; 3 by default. The
	// context's deadline bounds them all.
	Attempts int
}

type tokenRequest struct {
	ClientID     string `json:"clientId"`
	GrantType    string `json:"grantType"`
	RefreshToken string `json:"refreshToken,omitempty"`
	Code         string `json:"code,omitempty"`
	CodeVerifier string `json:"codeVerifier,omitempty"`
	RedirectURI  string `json:"redirectUri,omitempty"`
}

type tokenResponse struct {
	AccessToken *struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
		SessionToken    string `json:"sessionToken"`
	} `json:"accessToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    *int64 `json:"expiresIn"`
	RefreshToken string `json:"refreshToken"`
	IDToken      string `json:"idToken"`
}

// Refresh exchanges t's refresh token, with a proof signed by t's key, and
// returns t with the new access credentials and refresh token; every other
// field is kept. t itself is not changed.
func (c *Client) Refresh(ctx context.Context, t *Token) (*Token, error) {
	key, err := ParseKey(t.DPoPKey)
	if err != nil {
		return nil, fmt.Errorf("loginsession: %w", err)
	}
	out, err := c.token(ctx, key, tokenRequest{ClientID: t.ClientID, GrantType: "refresh_token", RefreshToken: t.RefreshToken})
	if err != nil {
		return nil, err
	}
	n := *t
	n.AccessKeyID = out.AccessToken.AccessKeyID
	n.SecretAccessKey = out.AccessToken.SecretAccessKey
	n.SessionToken = out.AccessToken.SessionToken
	n.ExpiresAt = c.now().Add(time.Duration(*out.ExpiresIn) * time.Second).UTC().Truncate(time.Second)
	n.RefreshToken = out.RefreshToken
	return &n, nil
}

// Exchange redeems an authorization code with a proof signed by key, the
// new session's key (pemKey is its SEC1 PEM), and returns the session's
// token. The account is taken from the idToken's subject, the session's
// ARN, which Exchange also returns.
func (c *Client) Exchange(ctx context.Context, key *ecdsa.PrivateKey, pemKey, clientID, code, verifier, redirectURI string) (*Token, string, error) {
	out, err := c.token(ctx, key, tokenRequest{ClientID: clientID, GrantType: "authorization_code", Code: code, CodeVerifier: verifier, RedirectURI: redirectURI})
	if err != nil {
		return nil, "", err
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	parts := strings.Split(out.IDToken, ".")
	if len(parts) != 3 || unb64JSON(parts[1], &claims) != nil || claims.Sub == "" {
		return nil, "", errors.New("loginsession: the sign-in service's answer has no idToken naming the session")
	}
	arn := strings.Split(claims.Sub, ":")
	if len(arn) < 6 || arn[4] == "" {
		return nil, "", errors.New("loginsession: the idToken's subject is not an ARN with an account")
	}
	return &Token{
		AccessKeyID:     out.AccessToken.AccessKeyID,
		SecretAccessKey: out.AccessToken.SecretAccessKey,
		SessionToken:    out.AccessToken.SessionToken,
		AccountID:       arn[4],
		ExpiresAt:       c.now().Add(time.Duration(*out.ExpiresIn) * time.Second).UTC().Truncate(time.Second),
		TokenType:       out.TokenType,
		ClientID:        clientID,
		RefreshToken:    out.RefreshToken,
		IDToken:         out.IDToken,
		DPoPKey:         pemKey,
	}, claims.Sub, nil
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// token posts req to /v1/token, retrying what may pass on a new attempt.
func (c *Client) token(ctx context.Context, key *ecdsa.PrivateKey, req tokenRequest) (*tokenResponse, error) {
	attempts := c.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	delay := 200 * time.Millisecond
	for i := 1; ; i++ {
		out, err := c.post(ctx, key, body)
		if err == nil || !retryable(ctx, err) || i == attempts {
			return out, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (then %w)", err, ctx.Err())
		case <-t.C:
		}
		delay *= 2
	}
}

// retryable reports whether a failed request may pass if sent again: the
// service failed or throttled, or the connection broke while ctx lives.
func retryable(ctx context.Context, err error) bool {
	var se *ServiceError
	if errors.As(err, &se) {
		return se.temporary()
	}
	return ctx.Err() == nil
}

// maxAnswer bounds what is read of an answer.
const maxAnswer = 1 << 20

func (c *Client) post(ctx context.Context, key *ecdsa.PrivateKey, body []byte) (*tokenResponse, error) {
	url := strings.TrimRight(c.Endpoint, "/") + "/v1/token"
	proof, err := Proof(key, url, c.now())
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("loginsession: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("DPoP", proof)
	var hc interface {
		Do(*http.Request) (*http.Response, error)
	} = http.DefaultClient
	if c.HTTPClient != nil {
		hc = c.HTTPClient
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("reach the sign-in service: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("read the sign-in service's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, serviceError(resp, data)
	}
	var out tokenResponse
	if json.Unmarshal(data, &out) != nil || out.AccessToken == nil || out.ExpiresIn == nil || out.RefreshToken == "" ||
		out.AccessToken.AccessKeyID == "" || out.AccessToken.SecretAccessKey == "" || out.AccessToken.SessionToken == "" {
		return nil, errors.New("the sign-in service's answer lacks credentials, expiresIn or refreshToken")
	}
	return &out, nil
}

func serviceError(resp *http.Response, data []byte) error {
	var body struct {
		Type     string `json:"__type"`
		Error    string `json:"error"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	_ = json.Unmarshal(data, &body)
	typ := resp.Header.Get("X-Amzn-Errortype")
	if typ == "" {
		typ = body.Type
	}
	// "AccessDeniedException:http://..." or "namespace#AccessDeniedException"
	typ, _, _ = strings.Cut(typ, ":")
	if i := strings.LastIndex(typ, "#"); i >= 0 {
		typ = typ[i+1:]
	}
	if typ == "" {
		typ = http.StatusText(resp.StatusCode)
	}
	msg := body.Message
	if msg == "" {
		msg = body.Message2
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return &ServiceError{Status: resp.StatusCode, Type: typ, Code: body.Error, Message: msg}
}
