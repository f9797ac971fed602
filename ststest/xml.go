package ststest

import (
	"encoding/xml"
)

// The response shapes, element for element as real STS writes them.

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUserXML struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type assumeRoleResult struct {
	XMLName          xml.Name           `xml:"AssumeRoleResult"`
	SourceIdentity   string             `xml:"SourceIdentity,omitempty"`
	AssumedRoleUser  assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials      credentialsXML     `xml:"Credentials"`
	PackedPolicySize *int               `xml:"PackedPolicySize,omitempty"`
}

type assumeRoleWithWebIdentityResult struct {
	XMLName                     xml.Name           `xml:"AssumeRoleWithWebIdentityResult"`
	SubjectFromWebIdentityToken string             `xml:"SubjectFromWebIdentityToken"`
	Audience                    string             `xml:"Audience"`
	AssumedRoleUser             assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials                 credentialsXML     `xml:"Credentials"`
	Provider                    string             `xml:"Provider"`
	PackedPolicySize            *int               `xml:"PackedPolicySize,omitempty"`
}

type getSessionTokenResult struct {
	XMLName     xml.Name       `xml:"GetSessionTokenResult"`
	Credentials credentialsXML `xml:"Credentials"`
}

type getCallerIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type responseXML struct {
	XMLName          xml.Name
	Xmlns            string `xml:"xmlns,attr"`
	Result           any
	ResponseMetadata responseMetadata `xml:"ResponseMetadata"`
}

func wrapResult(action string, result any, requestID string) *responseXML {
	return &responseXML{
		XMLName:          xml.Name{Local: action + "Response"},
		Xmlns:            stsNamespace,
		Result:           result,
		ResponseMetadata: responseMetadata{RequestID: requestID},
	}
}

type errorResponseXML struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func (e *apiError) response(requestID string) *errorResponseXML {
	r := &errorResponseXML{Xmlns: stsNamespace, RequestID: requestID}
	r.Error.Type = "Sender"
	if e.status >= 500 {
		r.Error.Type = "Receiver"
	}
	r.Error.Code = e.code
	r.Error.Message = e.message
	return r
}
