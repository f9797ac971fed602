// Package console signs in to the AWS Management Console with temporary
// credentials, through the sign-in federation endpoint, as aws-vault and
// granted do: a sign-in token for the session, then a login URL that
// carries it.
package console

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Issuer names the program in the login URL.
const Issuer = "sessioncache"

// Hosts are the sign-in and console hosts of a partition.
type Hosts struct {
	Signin  string
	Console string
	// Regional is set when the console host takes a region prefix,
	// <region>.<Console>.
	Regional bool
}

// HostsFor returns the hosts of region's partition: China (cn-*),
// GovCloud (us-gov-*), or the commercial one for every other region and
// for none.
func HostsFor(region string) Hosts {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return Hosts{Signin: "signin.amazonaws.cn", Console: "console.amazonaws.cn"}
	case strings.HasPrefix(region, "us-gov-"):
		return Hosts{Signin: "signin.amazonaws-us-gov.com", Console: "console.amazonaws-us-gov.com"}
	}
	return Hosts{Signin: "signin.aws.amazon.com", Console: "console.aws.amazon.com", Regional: true}
}

// FederationEndpoint is the partition's getSigninToken endpoint.
func (h Hosts) FederationEndpoint() string { return "https://" + h.Signin + "/federation" }

// servicePaths are the console paths of services whose home page is not
// /<service>/home.
var servicePaths = map[string]string{
	"ec2":        "ec2/v2/home",
	"route53":    "route53/v2/home",
	"cloudfront": "cloudfront/v4/home",
}

// globalServices have one console page for every region: the URL carries
// no region.
var globalServices = map[string]bool{"iam": true, "route53": true, "cloudfront": true, "organizations": true}

// regionName and servicePath are what a region and a service may be: the
// region becomes part of the console's host name, and the service its
// path, so a dot, slash, "@", "?" or "#" would point the login elsewhere.
var (
	regionName  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	servicePath = regexp.MustCompile(`^[a-z0-9-]+(/[a-z0-9-]+)*$`)
)

// Destination returns the console page to land on: the console's home
// page, or service's, in region (none: the console's default). It refuses
// a region that is not a region's name and a service that is not a path
// of lower-case names.
func Destination(region, service string) (string, error) {
	if region != "" && !regionName.MatchString(region) {
		return "", fmt.Errorf("console: %q is not a region name, such as eu-west-1: check --region, AWS_REGION and the profile's region", region)
	}
	service = strings.ToLower(strings.Trim(service, "/"))
	if service != "" && !servicePath.MatchString(service) {
		return "", fmt.Errorf("console: %q is not a service's console name, such as ec2 or lambda", service)
	}
	h := HostsFor(region)
	host := h.Console
	if region != "" && h.Regional && !globalServices[service] {
		host = region + "." + host
	}
	path := "console/home"
	if service != "" {
		path = service + "/home"
		if p, ok := servicePaths[service]; ok {
			path = p
		}
	}
	u := "https://" + host + "/" + path
	if region != "" && !globalServices[service] {
		u += "?region=" + url.QueryEscape(region)
	}
	return u, nil
}

// LoginURL returns the URL that signs in with token and lands on
// destination, every value escaped.
func LoginURL(signinHost, destination, token string) string {
	return "https://" + signinHost + "/federation?Action=login&Issuer=" + url.QueryEscape(Issuer) +
		"&Destination=" + url.QueryEscape(destination) + "&SigninToken=" + url.QueryEscape(token)
}

// IsLoopback reports whether host (without port) is a loopback address or
// localhost.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
