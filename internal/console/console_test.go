package console

import (
	"net/url"
	"strings"
	"testing"
)

func TestDestination(t *testing.T) {
	for name, tc := range map[string]struct{ region, service, want string }{
		"home":         {"eu-west-1", "", "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"},
		"no region":    {"", "", "https://console.aws.amazon.com/console/home"},
		"ec2":          {"us-west-2", "ec2", "https://us-west-2.console.aws.amazon.com/ec2/v2/home?region=us-west-2"},
		"lambda":       {"us-west-2", "lambda", "https://us-west-2.console.aws.amazon.com/lambda/home?region=us-west-2"},
		"case":         {"us-west-2", "/Lambda/", "https://us-west-2.console.aws.amazon.com/lambda/home?region=us-west-2"},
		"iam global":   {"us-west-2", "iam", "https://console.aws.amazon.com/iam/home"},
		"route53":      {"us-west-2", "route53", "https://console.aws.amazon.com/route53/v2/home"},
		"china":        {"cn-north-1", "", "https://console.amazonaws.cn/console/home?region=cn-north-1"},
		"china s3":     {"cn-northwest-1", "s3", "https://console.amazonaws.cn/s3/home?region=cn-northwest-1"},
		"gov":          {"us-gov-west-1", "", "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1"},
		"gov ec2":      {"us-gov-east-1", "ec2", "https://console.amazonaws-us-gov.com/ec2/v2/home?region=us-gov-east-1"},
		"new region":   {"ap-southeast-5", "", "https://ap-southeast-5.console.aws.amazon.com/console/home?region=ap-southeast-5"},
		"us-east-1":    {"us-east-1", "", "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1"},
		"us not gov":   {"us-east-2", "", "https://us-east-2.console.aws.amazon.com/console/home?region=us-east-2"},
		"organization": {"eu-west-1", "organizations", "https://console.aws.amazon.com/organizations/home"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Destination(tc.region, tc.service)
			if err != nil || got != tc.want {
				t.Errorf("Destination(%q, %q) = %s, %v; want %s", tc.region, tc.service, got, err, tc.want)
			}
		})
	}
}

// TestDestinationRefuses checks that neither the region, which also comes
// from the config file and the environment, nor the service can point the
// login at a page off the console's host.
func TestDestinationRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ region, service string }{
		"host in region":     {"evil.example/x#", ""},
		"dot in region":      {"evil.example", ""},
		"userinfo in region": {"x@evil.example", ""},
		"space in region":    {"eu-west-1 ", ""},
		"upper-case region":  {"EU-WEST-1", ""},
		"query in service":   {"eu-west-1", "ec2?x=1"},
		"fragment":           {"eu-west-1", "ec2#x"},
		"dot-dot":            {"eu-west-1", "../../x"},
		"host in service":    {"eu-west-1", "//evil.example"},
		"scheme in service":  {"eu-west-1", "https://evil.example"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Destination(tc.region, tc.service)
			if err == nil {
				t.Fatalf("Destination(%q, %q) = %s, want an error", tc.region, tc.service, got)
			}
			if !strings.HasPrefix(err.Error(), "console: ") {
				t.Errorf("error %q does not name the package", err)
			}
		})
	}
}

func TestHostsFor(t *testing.T) {
	for region, want := range map[string]string{
		"":              "https://signin.aws.amazon.com/federation",
		"eu-west-1":     "https://signin.aws.amazon.com/federation",
		"cn-north-1":    "https://signin.amazonaws.cn/federation",
		"us-gov-west-1": "https://signin.amazonaws-us-gov.com/federation",
	} {
		if got := HostsFor(region).FederationEndpoint(); got != want {
			t.Errorf("%q: %s, want %s", region, got, want)
		}
	}
}

func TestLoginURL(t *testing.T) {
	got := LoginURL("signin.aws.amazon.com", "https://console.aws.amazon.com/ec2/v2/home?region=eu-west-1", "tok+/=en")
	want := "https://signin.aws.amazon.com/federation?Action=login&Issuer=sessioncache&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fec2%2Fv2%2Fhome%3Fregion%3Deu-west-1&SigninToken=tok%2B%2F%3Den"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("SigninToken") != "tok+/=en" || q.Get("Destination") != "https://console.aws.amazon.com/ec2/v2/home?region=eu-west-1" {
		t.Errorf("values do not survive: %v", q)
	}
}

func TestCheckEndpoint(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://signin.example.com/federation": true,
		"http://127.0.0.1:8080/federation":      true,
		"http://127.9.9.9/federation":           true,
		"http://[::1]:9/federation":             true,
		"http://localhost:9/federation":         true,
		"http://LOCALHOST/federation":           true,
		"http://signin.example.com/federation":  false,
		"http://10.0.0.1/federation":            false,
		"http://[::2]/federation":               false,
		"http://127.0.0.1.example.com/x":        false,
		"ftp://127.0.0.1/federation":            false,
		"https://u:p@signin.example.com/f":      false,
		"https://signin.example.com/f?x=1":      false,
		"signin.example.com/federation":         false,
		"":                                      false,
	} {
		if _, err := CheckEndpoint(raw); (err == nil) != ok {
			t.Errorf("CheckEndpoint(%q): %v, want ok %v", raw, err, ok)
		}
	}
}

func TestFederatedUserName(t *testing.T) {
	for in, want := range map[string]string{
		"admin":           "admin",
		"team/admin prod": "team-admin-prod",
		"a":               "sessioncache",
		"":                "sessioncache",
		"a-very-long-profile-name-that-goes-on-x": "a-very-long-profile-name-that-go",
		"user@example.com,=+.":                    "user@example.com,=+.",
	} {
		if got := FederatedUserName(in); got != want {
			t.Errorf("FederatedUserName(%q) = %q, want %q", in, got, want)
		}
	}
}
