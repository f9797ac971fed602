package ekstoken

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAPIVersion(t *testing.T) {
	for name, tc := range map[string]struct {
		execInfo, version string
		warns             bool
	}{
		"unset":     {"", APIVersionV1beta1, false},
		"v1":        {`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`, APIVersionV1, false},
		"v1beta1":   {`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}`, APIVersionV1beta1, false},
		"v1alpha1":  {`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, APIVersionV1alpha1, true},
		"other":     {`{"apiVersion":"client.authentication.k8s.io/v2"}`, APIVersionV1beta1, true},
		"missing":   {`{"kind":"ExecCredential"}`, APIVersionV1beta1, true},
		"number":    {`{"apiVersion":1}`, APIVersionV1beta1, true},
		"malformed": {`{"apiVersion":`, APIVersionV1beta1, true},
		"not JSON":  {`v1`, APIVersionV1beta1, true},
		"array":     {`[]`, APIVersionV1beta1, true},
		"case":      {`{"apiVersion":"Client.Authentication.k8s.io/v1"}`, APIVersionV1beta1, true},
	} {
		t.Run(name, func(t *testing.T) {
			v, w := APIVersion(tc.execInfo)
			if v != tc.version || (w != "") != tc.warns {
				t.Errorf("APIVersion = %q, warning %q; want %q, warning %v", v, w, tc.version, tc.warns)
			}
		})
	}
}

func TestExecCredential(t *testing.T) {
	tok := Token{Value: "k8s-aws-v1.abc", Expiration: time.Date(2026, 3, 14, 15, 23, 26, 0, time.FixedZone("x", 3600))}
	out := ExecCredential(APIVersionV1, tok)
	want := `{
    "kind": "ExecCredential",
    "apiVersion": "client.authentication.k8s.io/v1",
    "spec": {},
    "status": {
        "expirationTimestamp": "2026-03-14T14:23:26Z",
        "token": "k8s-aws-v1.abc"
    }
}
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if !json.Valid(out) {
		t.Error("not JSON")
	}
}
