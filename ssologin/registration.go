package ssologin

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/sessioncache/sessioncache/internal/pyjson"
)

// Grant types and the scope of the authorization code flow, as the AWS CLI
// v2 registers them.
const (
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
	grantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	defaultScope           = "sso:account:access"
)

// registrationWindow is how long a registration must still last to be
// reused: the AWS CLI's 15 minutes, so a sign-in never starts with a
// client that expires during it.
const registrationWindow = 15 * time.Minute

// registration is a public client registered with SSO OIDC, kept in the
// cache directory as the AWS CLI v2 keeps it, so both reuse it.
type registration struct {
	ClientID     string
	ClientSecret string
	ExpiresAt    time.Time
	Scopes       []string
	GrantTypes   []string
}

func (r *registration) forAuthCode() bool {
	return slices.Contains(r.GrantTypes, grantAuthorizationCode)
}

// registrationKey is the AWS CLI v2's name for the registration file: the
// SHA-1 of json.dumps of these settings with sorted keys.
func registrationKey(s Session) string {
	var scopes, name any
	if s.Scopes != nil {
		l := make([]any, len(s.Scopes))
		for i, sc := range s.Scopes {
			l[i] = sc
		}
		scopes = l
	}
	if s.Name != "" {
		name = s.Name
	}
	b, _ := pyjson.Marshal(pyjson.Object{
		{Key: "tool", Value: "botocore"},
		{Key: "startUrl", Value: s.StartURL},
		{Key: "region", Value: s.Region},
		{Key: "scopes", Value: scopes},
		{Key: "session_name", Value: name},
	}, pyjson.Default, true)
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

func (ts *TokenSource) registrationPath() string {
	return filepath.Join(ts.opts.CacheDir, registrationKey(ts.session)+".json")
}

// readRegistration returns the cached registration, or nil when there is
// none usable for the flow (authCode) at now.
func (ts *TokenSource) readRegistration(now time.Time, authCode bool) *registration {
	m, err := readObject(ts.registrationPath())
	ts.warnUntrusted(err)
	if err != nil {
		ts.debug("no usable client registration", "reason", err.Error())
		return nil
	}
	var f struct {
		ClientID     string   `json:"clientId"`
		ClientSecret string   `json:"clientSecret"`
		ExpiresAt    string   `json:"expiresAt"`
		Scopes       []string `json:"scopes"`
		GrantTypes   []string `json:"grantTypes"`
	}
	raw, _ := json.Marshal(m)
	if json.Unmarshal(raw, &f) != nil || f.ClientID == "" || f.ClientSecret == "" {
		ts.debug("no usable client registration", "reason", "damaged")
		return nil
	}
	exp, err := time.Parse(time.RFC3339, f.ExpiresAt)
	if err != nil || !now.Add(registrationWindow).Before(exp) {
		ts.debug("client registration expired")
		return nil
	}
	r := &registration{ClientID: f.ClientID, ClientSecret: f.ClientSecret, ExpiresAt: exp, Scopes: f.Scopes, GrantTypes: f.GrantTypes}
	// The AWS CLI keeps one registration per session and flow kind, and
	// registers again when the flow changes.
	if r.forAuthCode() != authCode {
		return nil
	}
	return r
}

// register registers a public client for the flow, with the redirect URI
// and issuer the authorization code flow needs, and caches it.
func (ts *TokenSource) register(ctx context.Context, client *ssooidc.Client, now time.Time, authCode bool) (*registration, error) {
	name := ts.session.Name
	if name == "" {
		name = strconv.FormatInt(now.Unix(), 10)
	}
	in := &ssooidc.RegisterClientInput{
		ClientName: aws.String("botocore-client-" + name),
		ClientType: aws.String("public"),
		Scopes:     ts.session.Scopes,
	}
	if authCode {
		in.GrantTypes = []string{grantAuthorizationCode, grantRefreshToken}
		in.RedirectUris = []string{redirectURIWithoutPort}
		in.IssuerUrl = aws.String(ts.session.StartURL)
		if len(in.Scopes) == 0 {
			in.Scopes = []string{defaultScope}
		}
	}
	out, err := client.RegisterClient(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("ssologin: register a client with SSO OIDC in %s: %w", ts.session.Region, err)
	}
	r := &registration{
		ClientID:     aws.ToString(out.ClientId),
		ClientSecret: aws.ToString(out.ClientSecret),
		ExpiresAt:    time.Unix(out.ClientSecretExpiresAt, 0).UTC(),
		Scopes:       in.Scopes,
		GrantTypes:   in.GrantTypes,
	}
	if r.ClientID == "" || r.ClientSecret == "" {
		return nil, fmt.Errorf("ssologin: register a client with SSO OIDC in %s: the response holds no client", ts.session.Region)
	}
	obj := pyjson.Object{
		{Key: "clientId", Value: r.ClientID},
		{Key: "clientSecret", Value: r.ClientSecret},
		{Key: "expiresAt", Value: r.ExpiresAt.Format(timeLayout)},
	}
	if len(r.Scopes) > 0 {
		obj = append(obj, pyjson.Member{Key: "scopes", Value: anySlice(r.Scopes)})
	}
	if authCode {
		obj = append(obj, pyjson.Member{Key: "grantTypes", Value: anySlice(r.GrantTypes)})
	}
	if err := writeObject(ts.registrationPath(), obj); err != nil {
		// The registration is good; only the next sign-in registers again.
		ts.debug("could not cache the client registration", "error", err.Error())
	}
	return r, nil
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
