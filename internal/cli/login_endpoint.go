package cli

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ssoEndpointError names the SSO OIDC endpoint a failed sign-in used when
// a variable chose it: a global AWS_ENDPOINT_URL meant for STS or a local
// test server is the usual cause, and the SDK's error does not say so.
// Other errors are returned as they are.
func ssoEndpointError(err error) error {
	var send *smithyhttp.RequestSendError
	var resp *smithyhttp.ResponseError
	sendErr := errors.As(err, &send)
	if !sendErr && !errors.As(err, &resp) {
		return err
	}
	url, from := "", ""
	for _, k := range []string{"AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL"} {
		if v := os.Getenv(k); v != "" {
			url, from = v, k
			break
		}
	}
	if from == "" {
		return err
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
		var op *net.OpError
		if errors.As(err, &op) {
			reason += " (" + op.Err.Error() + ")"
		}
	}
	fix := "unset " + from + " for login, or set AWS_ENDPOINT_URL_SSO_OIDC to the SSO OIDC endpoint"
	if from == "AWS_ENDPOINT_URL_SSO_OIDC" {
		fix = "check that it is an SSO OIDC endpoint, or unset it"
	}
	return fmt.Errorf("sign-in failed at the SSO OIDC endpoint %s, which %s sets: %s; %s", url, from, reason, fix)
}
