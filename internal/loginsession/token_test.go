package loginsession

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseMarshalKeepsTheFileAsItIs(t *testing.T) {
	_, key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	// As `aws login` writes it (json.dumps), with fields it may add later.
	file := `{"accessToken": {"accessKeyId": "ASIAEXAMPLE", "secretAccessKey": "s", "sessionToken": "t", "accountId": "123456789012", "expiresAt": "2026-12-03T08:00:00Z", "new": [1, 2.5]}, "tokenType": "aws_sigv4", "clientId": "` +
		SameDeviceClientID + `", "refreshToken": "r", "idToken": "a.b.c", "dpopKey": ` + quote(key) + `, "later": {"x": null}}`
	tok, err := Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiresAt.Equal(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)) || tok.AccountID != "123456789012" {
		t.Fatalf("parsed %v", tok)
	}
	out, err := tok.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != file {
		t.Fatalf("rewrite differs:\n%s\nwant\n%s", out, file)
	}
	if s := tok.String() + tok.GoString(); strings.Contains(s, "\"s\"") || strings.Contains(s, key) || strings.Contains(s, "a.b.c") {
		t.Fatalf("String shows a secret: %s", s)
	}
}

func TestParseReadsTheGoSDKsRewrite(t *testing.T) {
	_, key, _ := NewKey()
	// credentials/logincreds writes time.Time and identityToken.
	file := `{"accessToken":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t","accountId":"1","expiresAt":"2026-12-03T08:00:00.123456789Z"},"tokenType":"aws_sigv4","refreshToken":"r","identityToken":"","clientId":"c","dpopKey":` + quote(key) + `}`
	tok, err := Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresAt.Nanosecond() != 123456789 || tok.IDToken != "" {
		t.Fatalf("parsed %v", tok)
	}
}

func TestParseRefusesDamage(t *testing.T) {
	for name, file := range map[string]string{
		"array":           `[]`,
		"accessToken str": `{"accessToken": "x"}`,
		"empty key":       `{"accessToken": {"accessKeyId": ""}}`,
	} {
		if _, err := Parse([]byte(file)); !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: %v, want ErrDamaged", name, err)
		}
	}
}

func TestVerifyProofAcceptsUnpaddedCoordinates(t *testing.T) {
	// The Go SDK drops a coordinate's leading zero byte (one key in 128):
	// its proof is the same key, with the same thumbprint.
	for range 3000 {
		key, _, err := NewKey()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := key.PublicKey.Bytes()
		if b[1] != 0 {
			continue
		}
		jwk := PublicJWK(&key.PublicKey)
		short := jwk
		short.X = b64(b[2:33])
		header, _ := json.Marshal(proofHeader{Typ: "dpop+jwt", Alg: "ES256", JWK: short})
		claims, _ := json.Marshal(Claims{HTM: "POST", HTU: "http://x/v1/token", IAT: 1, JTI: "j"})
		input := b64(header) + "." + b64(claims)
		sum := sha256.Sum256([]byte(input))
		r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		got, _, err := VerifyProof(input + "." + b64(sig))
		if err != nil || got.Thumbprint() != jwk.Thumbprint() {
			t.Fatalf("VerifyProof: %v, thumbprint equal %v", err, got.Thumbprint() == jwk.Thumbprint())
		}
		return
	}
	t.Skip("no key with a leading zero byte in 3000 tries")
}

func TestEndpoint(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_SIGNIN", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	for region, want := range map[string]string{
		"":              "https://us-east-1.signin.aws.amazon.com",
		"eu-west-1":     "https://eu-west-1.signin.aws.amazon.com",
		"cn-north-1":    "https://cn-north-1.signin.amazonaws.cn",
		"us-gov-west-1": "https://us-gov-west-1.signin.amazonaws-us-gov.com",
	} {
		if got := Endpoint(region); got != want {
			t.Errorf("Endpoint(%q) = %s, want %s", region, got, want)
		}
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1/")
	if got := Endpoint("eu-west-1"); got != "http://127.0.0.1:1" {
		t.Errorf("AWS_ENDPOINT_URL: %s", got)
	}
	t.Setenv("AWS_ENDPOINT_URL_SIGNIN", "http://127.0.0.1:2")
	if got := Endpoint("eu-west-1"); got != "http://127.0.0.1:2" {
		t.Errorf("AWS_ENDPOINT_URL_SIGNIN: %s", got)
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"`
}
