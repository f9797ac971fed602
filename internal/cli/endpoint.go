package cli

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ssoEndpointError names the SSO OIDC endpoint a failed sign-in used when
// a variable chose it: a global AWS_ENDPOINT_URL meant for STS or a local
// test server is the usual cause, and the SDK's error does not say so.
// With no variable, an endpoint that cannot be reached is named, with
// what to do. Other errors are returned as they are.
func ssoEndpointError(err error) error {
	var send *smithyhttp.RequestSendError
	var resp *smithyhttp.ResponseError
	sendErr := errors.As(err, &send)
	if !sendErr && !errors.As(err, &resp) {
		return err
	}
	endpoint, from := "", ""
	for _, k := range []string{"AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL"} {
		if v := os.Getenv(k); v != "" {
			endpoint, from = v, k
			break
		}
	}
	if from == "" {
		var u *url.Error
		if !sendErr || !errors.As(err, &u) {
			return err
		}
		reason := "it cannot be reached"
		if why := notReachedBecause(err); why != "" {
			reason += " (" + why + ")"
		}
		return fmt.Errorf("sign-in failed at the SSO OIDC endpoint %s: %s; %s", u.URL, reason, checkNetwork)
	}
	var reason string
	if !sendErr {
		var api smithy.APIError
		reason = fmt.Sprintf("it answered HTTP %d", resp.HTTPStatusCode())
		if errors.As(err, &api) && api.ErrorCode() != "" {
			reason += " " + api.ErrorCode()
		}
	} else {
		reason = "it cannot be reached"
		if why := notReachedBecause(err); why != "" {
			reason += " (" + why + ")"
		}
	}
	fix := "unset " + from + " for login, or set AWS_ENDPOINT_URL_SSO_OIDC to the SSO OIDC endpoint"
	if from == "AWS_ENDPOINT_URL_SSO_OIDC" {
		fix = "check that it is an SSO OIDC endpoint, or unset it"
	}
	return fmt.Errorf("sign-in failed at the SSO OIDC endpoint %s, which %s sets: %s; %s", endpoint, from, reason, fix)
}

// unreachableError says in one line which AWS service a request could not
// reach, at which endpoint, why, and what to do, in place of the SDK's
// "https response error StatusCode: 0" text: a stopped local STS or a
// variable left from one, a wrong endpoint, no network. Other errors are
// returned as they are.
func unreachableError(err error, profile string) error {
	var send *smithyhttp.RequestSendError
	var op *smithy.OperationError
	if !errors.As(err, &send) || !errors.As(err, &op) {
		return err
	}
	where := ""
	var u *url.Error
	if errors.As(err, &u) {
		where = " at " + u.URL
	}
	why := ""
	if w := notReachedBecause(err); w != "" {
		why = " (" + w + ")"
	}
	fix := checkNetwork
	for _, k := range []string{"AWS_ENDPOINT_URL_" + endpointVariable(op.Service()), "AWS_ENDPOINT_URL"} {
		if os.Getenv(k) != "" {
			fix = "and " + k + " sets that endpoint: start the service it names, or unset " + k
			break
		}
	}
	return fmt.Errorf("profile %s: %s (%s)%s cannot be reached%s, %s", profile, op.Service(), op.Operation(), where, why, fix)
}

// checkNetwork is what to do when an endpoint that no variable chose
// cannot be reached.
const checkNetwork = "check the network connection (and HTTPS_PROXY), then try again"

// notReachedBecause returns why a request got no answer, as the system
// said it ("connect: connection refused"), or "".
func notReachedBecause(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err.Error()
	}
	return ""
}

// endpointVariable returns the suffix of the AWS_ENDPOINT_URL_ variable of
// a service: its ID in upper case, spaces as underscores ("SSO OIDC" is
// SSO_OIDC).
func endpointVariable(service string) string {
	return strings.ReplaceAll(strings.ToUpper(service), " ", "_")
}
