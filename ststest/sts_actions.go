package ststest

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// issue creates and remembers a set of temporary credentials.
func (s *Server) issue(id identity, expiration time.Time, mfa, role bool) credentialsXML {
	c := newCredentials(expiration)
	s.sessions[c.AccessKeyID] = &session{
		sessionToken: c.SessionToken,
		secret:       c.SecretAccessKey,
		expiration:   expiration,
		identity:     id,
		mfa:          mfa,
		role:         role,
	}
	return c
}

func newCredentials(expiration time.Time) credentialsXML {
	return credentialsXML{
		AccessKeyID:     "ASIA" + randomString(upperAlnum, 16),
		SecretAccessKey: randomString(base64Chars, 40),
		// Real session tokens start this way and run to hundreds of
		// characters, with '+', '/' and '=' in them.
		SessionToken: "IQoJb3JpZ2luX2VjE" + randomString(base64Chars, 380) + "==",
		Expiration:   expiration.Format(ExpirationLayout),
	}
}

// expiration is now plus d, to the second and in UTC: the server enforces
// exactly what it reports.
func expiration(now time.Time, d time.Duration) time.Time {
	return now.Add(d).UTC().Truncate(time.Second)
}

var (
	roleARNRE     = lazyRegexp(`^arn:([a-z][a-z0-9-]*):iam::(\d{12}):role/((?:[\x21-\x7e]+/)?)([\w+=,.@-]{1,64})$`)
	sessionNameRE = lazyRegexp(`^[\w+=,.@-]*$`)
	externalIDRE  = lazyRegexp(`^[\w+=,.@:/-]*$`)
	serialRE      = lazyRegexp(`^[\w+=/:,.@-]*$`)
	digitsRE      = lazyRegexp(`^\d*$`)
	policyRE      = lazyRegexp(`^[\t\n\r\x20-\x{ff}]+$`)
)

// role is a parsed role ARN.
type role struct {
	arn, partition, account, name string
}

func parseRoleARN(arn string) (role, bool) {
	m := roleARNRE().FindStringSubmatch(arn)
	if m == nil {
		return role{}, false
	}
	return role{arn: arn, partition: m[1], account: m[2], name: m[4]}, true
}

// assumedRole is the identity of a session of r.
func (s *Server) assumedRole(r role, sessionName string) identity {
	return identity{
		account: r.account,
		arn:     fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", r.partition, r.account, r.name, sessionName),
		userID:  s.roleID(r.arn) + ":" + sessionName,
	}
}

// checkMFA applies the MFA rules shared by AssumeRole and GetSessionToken
// and reports whether the new session counts as MFA-authenticated.
func (s *Server) checkMFA(c *caller, serial, code, denied string) (bool, *apiError) {
	if serial != "" {
		if code == "" || (s.mfaCode != "" && subtle.ConstantTimeCompare([]byte(code), []byte(s.mfaCode)) != 1) {
			return false, &apiError{http.StatusForbidden, "AccessDenied", mfaFailed}
		}
		return true, nil
	}
	if code != "" {
		return false, validationError("SerialNumber is required when TokenCode is provided")
	}
	viaSession := c.session != nil && c.session.mfa
	if s.requireMFA && !viaSession {
		return false, &apiError{http.StatusForbidden, "AccessDenied", denied}
	}
	return viaSession, nil
}

func (s *Server) assumeRole(c *caller, p url.Values, now time.Time) (any, *apiError) {
	var v validator
	roleARN := v.str(p, "RoleArn", "roleArn", true, 20, 2048, nil)
	sessionName := v.str(p, "RoleSessionName", "roleSessionName", true, 2, 64, sessionNameRE())
	duration := v.duration(p, 900, 43200, time.Hour)
	v.str(p, "ExternalId", "externalId", false, 2, 1224, externalIDRE())
	policy := v.str(p, "Policy", "policy", false, 1, 2048, policyRE())
	serial := v.str(p, "SerialNumber", "serialNumber", false, 9, 256, serialRE())
	code := v.sensitive(p, "TokenCode", "tokenCode", 6, 6, digitsRE())
	sourceIdentity := v.str(p, "SourceIdentity", "sourceIdentity", false, 2, 64, sessionNameRE())
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := checkRoleAndPolicy(roleARN, policy)
	if err != nil {
		return nil, err
	}
	if c.session != nil && c.session.role && duration > ChainedRoleMaxDuration {
		return nil, validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	mfa, err := s.checkMFA(c, serial, code, fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.identity.arn, roleARN))
	if err != nil {
		return nil, err
	}

	id := s.assumedRole(r, sessionName)
	res := &assumeRoleResult{
		SourceIdentity:   sourceIdentity,
		AssumedRoleUser:  assumedRoleUserXML{AssumedRoleID: id.userID, Arn: id.arn},
		Credentials:      s.issue(id, expiration(now, duration), mfa, true),
		PackedPolicySize: packedPolicySize(p),
	}
	s.sessions[res.Credentials.AccessKeyID].fromKeys = c.session == nil
	return res, nil
}

// checkRoleAndPolicy parses the role to assume and checks the session
// policy, as both ways of assuming a role do.
func checkRoleAndPolicy(roleARN, policy string) (role, *apiError) {
	r, ok := parseRoleARN(roleARN)
	if !ok {
		return role{}, validationError(roleARN + " is invalid")
	}
	if policy != "" && !jsonValid(policy) {
		return role{}, &apiError{http.StatusBadRequest, "MalformedPolicyDocument", "Syntax errors in policy."}
	}
	return r, nil
}

func (s *Server) getSessionToken(c *caller, p url.Values, now time.Time) (any, *apiError) {
	var v validator
	duration := v.duration(p, 900, 129600, 12*time.Hour)
	serial := v.str(p, "SerialNumber", "serialNumber", false, 9, 256, serialRE())
	code := v.sensitive(p, "TokenCode", "tokenCode", 6, 6, digitsRE())
	if err := v.err(); err != nil {
		return nil, err
	}
	if c.session != nil {
		return nil, &apiError{http.StatusForbidden, "AccessDenied", "Cannot call GetSessionToken with session credentials"}
	}
	mfa, err := s.checkMFA(c, serial, code, fmt.Sprintf("User: %s is not authorized to perform: sts:GetSessionToken", c.identity.arn))
	if err != nil {
		return nil, err
	}
	// The session acts as the user that asked for it.
	return &getSessionTokenResult{Credentials: s.issue(c.identity, expiration(now, duration), mfa, false)}, nil
}

func (s *Server) getCallerIdentity(c *caller, _ url.Values, _ time.Time) (any, *apiError) {
	return &getCallerIdentityResult{Arn: c.identity.arn, UserID: c.identity.userID, Account: c.identity.account}, nil
}

func (s *Server) assumeRoleWithWebIdentity(_ *caller, p url.Values, now time.Time) (any, *apiError) {
	var v validator
	roleARN := v.str(p, "RoleArn", "roleArn", true, 20, 2048, nil)
	sessionName := v.str(p, "RoleSessionName", "roleSessionName", true, 2, 64, sessionNameRE())
	token := v.sensitive(p, "WebIdentityToken", "webIdentityToken", 4, 20000, nil)
	if token == "" && !p.Has("WebIdentityToken") {
		v.add("Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null")
	}
	providerID := v.str(p, "ProviderId", "providerId", false, 4, 2048, nil)
	duration := v.duration(p, 900, 43200, time.Hour)
	policy := v.str(p, "Policy", "policy", false, 1, 2048, policyRE())
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := checkRoleAndPolicy(roleARN, policy)
	if err != nil {
		return nil, err
	}
	if s.webIdentityToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.webIdentityToken)) != 1 {
		return nil, &apiError{http.StatusBadRequest, "InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."}
	}
	cl := parseClaims(token)
	if cl.exp != nil && !now.Before(*cl.exp) {
		return nil, &apiError{http.StatusBadRequest, "ExpiredTokenException", fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), cl.exp.Unix())}
	}

	subject, audience := "test", "sts.amazonaws.com"
	provider := fmt.Sprintf("arn:%s:iam::%s:oidc-provider/example.com", r.partition, r.account)
	if cl.sub != "" {
		subject = cl.sub
	}
	if cl.aud != "" {
		audience = cl.aud
	}
	if cl.iss != "" {
		provider = fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", r.partition, r.account, strings.TrimPrefix(cl.iss, "https://"))
	}
	if providerID != "" {
		provider = providerID
	}

	id := s.assumedRole(r, sessionName)
	return &assumeRoleWithWebIdentityResult{
		SubjectFromWebIdentityToken: subject,
		Audience:                    audience,
		AssumedRoleUser:             assumedRoleUserXML{AssumedRoleID: id.userID, Arn: id.arn},
		Credentials:                 s.issue(id, expiration(now, duration), false, true),
		Provider:                    provider,
		PackedPolicySize:            packedPolicySize(p),
	}, nil
}

// packedPolicySize approximates the percentage of the session policy
// allowance that Policy, PolicyArns and Tags use; STS reports it only when
// one of them is present.
func packedPolicySize(p url.Values) *int {
	n, present := 0, false
	for k, vs := range p {
		if k == "Policy" || strings.HasPrefix(k, "PolicyArns.") || strings.HasPrefix(k, "Tags.") {
			present = true
			for _, v := range vs {
				n += len(v)
			}
		}
	}
	if !present {
		return nil
	}
	size := max(1, (n*100+2047)/2048)
	return &size
}

// claims are the fields of a web identity token the server reports back.
type claims struct {
	sub, iss, aud string
	exp           *time.Time
}

// parseClaims reads a JWT's payload without verifying it; tokens that are
// not JWTs yield no claims, so tests may use any string.
func parseClaims(token string) claims {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return claims{}
	}
	var raw struct {
		Sub string          `json:"sub"`
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
		Exp *float64        `json:"exp"`
	}
	if json.Unmarshal(payload, &raw) != nil {
		return claims{}
	}
	c := claims{sub: raw.Sub, iss: raw.Iss}
	// "aud" is a string or a list of strings.
	var aud []string
	if json.Unmarshal(raw.Aud, &c.aud) != nil && json.Unmarshal(raw.Aud, &aud) == nil && len(aud) > 0 {
		c.aud = aud[0]
	}
	if raw.Exp != nil {
		exp := time.Unix(int64(*raw.Exp), 0)
		c.exp = &exp
	}
	return c
}
