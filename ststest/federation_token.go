package ststest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

var federatedNameRE = lazyRegexp(`^[\w+=,.@-]*$`)

type federatedUserXML struct {
	FederatedUserID string `xml:"FederatedUserId"`
	Arn             string `xml:"Arn"`
}

type getFederationTokenResult struct {
	XMLName          xml.Name         `xml:"GetFederationTokenResult"`
	Credentials      credentialsXML   `xml:"Credentials"`
	FederatedUser    federatedUserXML `xml:"FederatedUser"`
	PackedPolicySize *int             `xml:"PackedPolicySize,omitempty"`
}

// getFederationToken answers as STS does for an IAM user's long-term
// keys; session credentials are refused.
func (s *Server) getFederationToken(c *caller, p url.Values, now time.Time) (any, *apiError) {
	var v validator
	name := v.str(p, "Name", "name", true, 2, 32, federatedNameRE())
	duration := v.duration(p, 900, 129600, 12*time.Hour)
	policy := v.str(p, "Policy", "policy", false, 1, 2048, policyRE())
	if err := v.err(); err != nil {
		return nil, err
	}
	if c.session != nil {
		return nil, &apiError{http.StatusForbidden, "AccessDenied", "Cannot call GetFederationToken with session credentials"}
	}
	if policy != "" && !jsonValid(policy) {
		return nil, &apiError{http.StatusBadRequest, "MalformedPolicyDocument", "Syntax errors in policy."}
	}
	id := identity{
		account: c.identity.account,
		arn:     fmt.Sprintf("arn:aws:sts::%s:federated-user/%s", c.identity.account, name),
		userID:  c.identity.account + ":" + name,
	}
	return &getFederationTokenResult{
		Credentials:      s.issue(id, expiration(now, duration), false, false),
		FederatedUser:    federatedUserXML{FederatedUserID: id.userID, Arn: id.arn},
		PackedPolicySize: packedPolicySize(p),
	}, nil
}
