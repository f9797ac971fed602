package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// maxAnswer caps what is read of the endpoint's answer.
const maxAnswer = 1 << 20

// CheckEndpoint parses a getSigninToken endpoint given to override the
// partition's: https, or http to a loopback address only, since the
// request carries the session's secret key.
func CheckEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("console: the federation endpoint %q is not a URL", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("console: the federation endpoint %s://%s is neither https nor a loopback address: the request carries the session's secret key", u.Scheme, u.Host)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("console: the federation endpoint %s://%s%s has user, query or fragment parts: give the endpoint alone", u.Scheme, u.Host, u.Path)
	}
	return u, nil
}

// SigninToken asks the federation endpoint for a sign-in token for creds,
// which must be temporary: a role session or a GetFederationToken
// session. Redirects are not followed. No SessionDuration is sent: the endpoint refuses one for every
// session but a role assumed directly with long-term keys, and the token
// then lasts as long as the session. Errors give the endpoint's HTTP
// status, never the credentials, the URL or the token.
func SigninToken(ctx context.Context, client *http.Client, endpoint *url.URL, creds aws.Credentials) (string, error) {
	if creds.SessionToken == "" {
		return "", errors.New("console: long-term keys cannot sign in to the console: get a GetFederationToken session with them first")
	}
	if client == nil {
		client = http.DefaultClient
	}
	// A redirect is an answer without a token, not somewhere else to send
	// the session.
	noRedirect := *client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client = &noRedirect
	session, err := json.Marshal(map[string]string{
		"sessionId":    creds.AccessKeyID,
		"sessionKey":   creds.SecretAccessKey,
		"sessionToken": creds.SessionToken,
	})
	if err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	where := endpoint.Scheme + "://" + endpoint.Host + endpoint.Path
	u := *endpoint
	u.RawQuery = url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("console: the request to %s: %v", where, redactURL(err))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error quotes the URL, and the URL holds the secret key.
		return "", fmt.Errorf("console: reach the federation endpoint %s: %v", where, redactURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", fmt.Errorf("console: read the answer of %s: %v", where, redactURL(err))
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("console: the federation endpoint %s answered %s%s", where, resp.Status, reason(resp, body, creds))
	}
	var answer struct {
		SigninToken string
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return "", fmt.Errorf("console: the federation endpoint %s answered %s with %s, not JSON", where, resp.Status, mediaType(resp))
	}
	if answer.SigninToken == "" {
		return "", fmt.Errorf("console: the federation endpoint %s answered %s without a sign-in token", where, resp.Status)
	}
	return answer.SigninToken, nil
}

// reason returns a short plain-text answer, such as "Invalid credentials
// parameter", with what it usually means; HTML pages, and answers that
// echo any part of the credentials, are not quoted.
func reason(resp *http.Response, body []byte, creds aws.Credentials) string {
	text := strings.TrimSpace(string(body))
	if mediaType(resp) != "text/plain" || text == "" || len(text) > 200 || strings.ContainsAny(text, "\n<") {
		return ""
	}
	for _, s := range []string{creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken} {
		if strings.Contains(text, s) {
			return ""
		}
	}
	if strings.Contains(text, "credentials") {
		text += " (the session has expired, or the console does not take it, as for MFA sessions made with GetSessionToken)"
	}
	return ": " + text
}

func mediaType(resp *http.Response) string {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt == "" {
		return "no content type"
	}
	return mt
}

// redactURL returns err without the URL a *url.Error quotes.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
