package ekstoken

import (
	"encoding/json"
	"time"
)

// The client authentication API versions kubectl speaks.
const (
	APIVersionV1       = "client.authentication.k8s.io/v1"
	APIVersionV1beta1  = "client.authentication.k8s.io/v1beta1"
	APIVersionV1alpha1 = "client.authentication.k8s.io/v1alpha1"
)

// APIVersion picks the ExecCredential version to answer kubectl with from
// its KUBERNETES_EXEC_INFO, as the AWS CLI does: v1 and v1beta1 are
// echoed, v1alpha1 is echoed with a warning, and anything else gives
// v1beta1, with a warning unless the variable is unset or empty. warning
// is empty when there is nothing to say.
func APIVersion(execInfo string) (version, warning string) {
	if execInfo == "" {
		// kubectl before 1.20 set it only for v1alpha1.
		return APIVersionV1beta1, ""
	}
	var info struct {
		APIVersion any `json:"apiVersion"`
	}
	if err := json.Unmarshal([]byte(execInfo), &info); err != nil {
		return APIVersionV1beta1, "error parsing KUBERNETES_EXEC_INFO, defaulting to " + APIVersionV1beta1 + ": this is likely a bug in your Kubernetes client; update it"
	}
	switch v, _ := info.APIVersion.(string); v {
	case APIVersionV1, APIVersionV1beta1:
		return v, ""
	case APIVersionV1alpha1:
		return v, "the kubeconfig user entry uses the deprecated API version " + v + ": change it to " + APIVersionV1beta1 + " or " + APIVersionV1
	}
	return APIVersionV1beta1, "unrecognized API version in KUBERNETES_EXEC_INFO, defaulting to " + APIVersionV1beta1 + ": kubectl may speak a version this sessioncache does not know; update sessioncache"
}

// ExecCredential returns the ExecCredential document that hands tok to
// kubectl in the given API version, as `aws eks get-token` writes it, with
// a final newline.
func ExecCredential(apiVersion string, tok Token) []byte {
	type status struct {
		ExpirationTimestamp string `json:"expirationTimestamp"`
		Token               string `json:"token"`
	}
	doc := struct {
		Kind       string   `json:"kind"`
		APIVersion string   `json:"apiVersion"`
		Spec       struct{} `json:"spec"`
		Status     status   `json:"status"`
	}{
		Kind:       "ExecCredential",
		APIVersion: apiVersion,
		Status: status{
			ExpirationTimestamp: tok.Expiration.UTC().Format(time.RFC3339),
			Token:               tok.Value,
		},
	}
	b, err := json.MarshalIndent(doc, "", "    ")
	if err != nil {
		// Strings and an empty struct always encode.
		panic(err)
	}
	return append(b, '\n')
}
