package ststest

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// caller is the principal that signed a request.
type caller struct {
	identity identity
	session  *session // nil for keys the server did not issue
}

// credentialAccessKeyID returns the access key ID named in a request's
// SigV4 credential scope, "" when it has none.
func credentialAccessKeyID(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		cred = authFields(h)["Credential"]
	}
	akid, _, _ := strings.Cut(cred, "/")
	return akid
}

// authFields splits "AWS4-HMAC-SHA256 Credential=a, SignedHeaders=b,
// Signature=c" into its named fields.
func authFields(h string) map[string]string {
	_, rest, _ := strings.Cut(h, " ")
	fields := make(map[string]string)
	for f := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	return fields
}

var (
	amzDateRE   = lazyRegexp(`^\d{8}T\d{6}Z$`)
	scopeDateRE = lazyRegexp(`^\d{8}$`)
	signatureRE = lazyRegexp(`^[0-9a-f]{64}$`)
)

// authenticate checks that the request is SigV4-signed in shape and that
// an access key the server issued comes with its session token and has not
// expired. Signatures are not verified: tests sign with made-up secrets.
func (s *Server) authenticate(r *http.Request, now time.Time) (*caller, *apiError) {
	q := r.URL.Query()
	var algorithm, amzDate, token string
	var fields map[string]string
	if h := r.Header.Get("Authorization"); h != "" {
		algorithm, _, _ = strings.Cut(h, " ")
		fields = authFields(h)
		amzDate = r.Header.Get("X-Amz-Date")
		token = r.Header.Get("X-Amz-Security-Token")
	} else if q.Has("X-Amz-Credential") {
		// A presigned URL, as EKS tokens use for GetCallerIdentity.
		algorithm = q.Get("X-Amz-Algorithm")
		fields = map[string]string{
			"Credential":    q.Get("X-Amz-Credential"),
			"SignedHeaders": q.Get("X-Amz-SignedHeaders"),
			"Signature":     q.Get("X-Amz-Signature"),
		}
		amzDate = q.Get("X-Amz-Date")
		token = q.Get("X-Amz-Security-Token")
	} else {
		return nil, &apiError{http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"}
	}

	if algorithm != "AWS4-HMAC-SHA256" {
		return nil, &apiError{http.StatusBadRequest, "IncompleteSignature", fmt.Sprintf("Unsupported AWS 'algorithm': '%s'", algorithm)}
	}
	var missing []string
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	if amzDate == "" && r.Header.Get("Date") == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, &apiError{http.StatusBadRequest, "IncompleteSignature", strings.Join(missing, " ")}
	}
	if !signatureRE().MatchString(fields["Signature"]) {
		return nil, &apiError{http.StatusBadRequest, "IncompleteSignature", "Signature must be 64 lower-case hexadecimal characters."}
	}
	if !strings.Contains(";"+fields["SignedHeaders"]+";", ";host;") {
		return nil, &apiError{http.StatusBadRequest, "IncompleteSignature", "SignedHeaders must include 'host'."}
	}

	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[0] == "" {
		return nil, &apiError{http.StatusBadRequest, "IncompleteSignature", fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", fields["Credential"])}
	}
	akid, date, region, service, term := scope[0], scope[1], scope[2], scope[3], scope[4]
	switch {
	case !scopeDateRE().MatchString(date):
		return nil, &apiError{http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Invalid date in credential scope: '%s'.", date)}
	case amzDate != "" && (!amzDateRE().MatchString(amzDate) || amzDate[:8] != date):
		return nil, &apiError{http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%.8s', from '%s'.", date, amzDate, amzDate)}
	case region == "":
		return nil, &apiError{http.StatusForbidden, "SignatureDoesNotMatch", "Credential should be scoped to a valid region."}
	case service != "sts":
		return nil, &apiError{http.StatusForbidden, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'."}
	case term != "aws4_request":
		return nil, &apiError{http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", term)}
	}

	sess, ok := s.sessions[akid]
	if !ok {
		if err := s.verifySignature(r, s.secrets[akid], s.secrets != nil); err != nil {
			return nil, err
		}
		// Like moto, any key the server did not issue is a valid IAM user key.
		return &caller{identity: s.userIdentity(akid)}, nil
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(sess.sessionToken)) != 1 {
		return nil, &apiError{http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid"}
	}
	if err := s.verifySignature(r, sess.secret, true); err != nil {
		return nil, err
	}
	if !now.Before(sess.expiration) {
		return nil, &apiError{http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired"}
	}
	return &caller{identity: sess.identity, session: sess}, nil
}

// userIdentity is the IAM user behind a key the server did not issue.
func (s *Server) userIdentity(accessKeyID string) identity {
	id, ok := s.userIDs[accessKeyID]
	if !ok {
		id = "AIDA" + randomString(upperAlnum, 17)
		s.userIDs[accessKeyID] = id
	}
	return identity{
		account: s.accountID,
		arn:     fmt.Sprintf("arn:aws:iam::%s:user/%s", s.accountID, s.userName),
		userID:  id,
	}
}

// roleID returns the role's unique ID, the same on every call as IAM's.
func (s *Server) roleID(roleARN string) string {
	id, ok := s.roleIDs[roleARN]
	if !ok {
		id = "AROA" + randomString(upperAlnum, 17)
		s.roleIDs[roleARN] = id
	}
	return id
}

// verifySignature checks r's signature with secret when the server
// verifies signatures; known says whether the key's secret is known at
// all.
func (s *Server) verifySignature(r *http.Request, secret string, known bool) *apiError {
	if !s.verify {
		return nil
	}
	if !known || secret == "" {
		return &apiError{http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."}
	}
	if err := VerifySignature(r, secret); err != nil {
		return &apiError{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
	return nil
}
