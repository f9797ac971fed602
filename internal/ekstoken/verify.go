package ekstoken

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxTokenSize is the longest token the cluster's authenticator accepts.
const MaxTokenSize = 4096

// urlValidity is how long STS honours a presigned URL after its
// X-Amz-Date, whatever its X-Amz-Expires says.
const urlValidity = 15 * time.Minute

// allowedParams are the only query parameters the authenticator accepts.
var allowedParams = map[string]bool{
	"action": true, "version": true, "x-amz-algorithm": true, "x-amz-credential": true,
	"x-amz-date": true, "x-amz-expires": true, "x-amz-security-token": true,
	"x-amz-signature": true, "x-amz-signedheaders": true,
}

var stsHostRE = regexp.MustCompile(`^sts(\.[a-z0-9-]+)?\.(amazonaws\.com|amazonaws\.com\.cn)$`)

// IsSTSHost reports whether host is an STS endpoint of the commercial,
// GovCloud or China partitions, global or regional.
func IsSTSHost(host string) bool { return stsHostRE.MatchString(host) }

// Verify checks token as a cluster's authenticator does before it calls
// STS (size, prefix, https, an STS host for which validHost returns true,
// path, the exact parameter set, the cluster header signed, X-Amz-Expires
// and age at now) and returns the GetCallerIdentity request the
// authenticator sends, with the cluster header set. validHost nil is
// IsSTSHost. The errors never quote the token.
func Verify(token, cluster string, now time.Time, validHost func(string) bool) (*http.Request, error) {
	if validHost == nil {
		validHost = IsSTSHost
	}
	if len(token) > MaxTokenSize {
		return nil, fmt.Errorf("ekstoken: the token is %d bytes, over %d", len(token), MaxTokenSize)
	}
	rest, ok := strings.CutPrefix(token, Prefix)
	if !ok {
		return nil, fmt.Errorf("ekstoken: the token does not start with %q", Prefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, errors.New("ekstoken: the token is not unpadded URL-safe base64")
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return nil, errors.New("ekstoken: the token holds no URL")
	}
	switch {
	case u.Scheme != "https":
		return nil, fmt.Errorf("ekstoken: the URL's scheme is %q, not https", u.Scheme)
	case !validHost(u.Host):
		return nil, fmt.Errorf("ekstoken: %q is not an STS host", u.Host)
	case u.Path != "/":
		return nil, fmt.Errorf("ekstoken: the URL's path is %q, not /", u.Path)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, errors.New("ekstoken: the URL's query does not parse")
	}
	for k, vs := range q {
		if !allowedParams[strings.ToLower(k)] {
			return nil, fmt.Errorf("ekstoken: the URL has the parameter %q, which is not allowed", k)
		}
		if len(vs) != 1 {
			return nil, fmt.Errorf("ekstoken: the URL has %d values of %q", len(vs), k)
		}
	}
	if q.Get("Action") != "GetCallerIdentity" {
		return nil, fmt.Errorf("ekstoken: the URL's action is %q, not GetCallerIdentity", q.Get("Action"))
	}
	if !containsFold(strings.Split(q.Get("X-Amz-SignedHeaders"), ";"), ClusterHeader) {
		return nil, errors.New("ekstoken: " + ClusterHeader + " is not signed")
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || expires < 0 || expires > 900 {
		return nil, fmt.Errorf("ekstoken: X-Amz-Expires %q is not 0-900", q.Get("X-Amz-Expires"))
	}
	date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return nil, fmt.Errorf("ekstoken: X-Amz-Date %q is not a SigV4 date", q.Get("X-Amz-Date"))
	}
	if now.After(date.Add(urlValidity)) {
		return nil, fmt.Errorf("ekstoken: the token was signed at %s, over %v before %s", date.Format(time.RFC3339), urlValidity, now.UTC().Format(time.RFC3339))
	}
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("ekstoken: %w", err)
	}
	req.Header.Set(ClusterHeader, cluster)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
