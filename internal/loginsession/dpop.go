package loginsession

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// ParseKey parses a dpopKey: a P-256 private key in SEC1 PEM, the only
// form the Go SDK reads.
func ParseKey(s string) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "EC PRIVATE KEY" {
		return nil, errors.New("dpopKey is not an EC PRIVATE KEY in PEM")
	}
	key, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil || key.Curve != elliptic.P256() {
		return nil, errors.New("dpopKey is not a SEC1 P-256 private key")
	}
	return key, nil
}

// NewKey makes the key of a new session and returns it with its dpopKey.
func NewKey() (*ecdsa.PrivateKey, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("loginsession: make a key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, "", fmt.Errorf("loginsession: encode the key: %w", err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})), nil
}

// JWK is the public key of a DPoP proof's header.
type JWK struct {
	Kty string `json:"kty"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Crv string `json:"crv"`
}

type proofHeader struct {
	Typ string `json:"typ"`
	Alg string `json:"alg"`
	JWK JWK    `json:"jwk"`
}

// Claims are a DPoP proof's claims.
type Claims struct {
	HTM string `json:"htm"`
	HTU string `json:"htu"`
	IAT int64  `json:"iat"`
	JTI string `json:"jti"`
}

// Proof returns the DPoP proof (RFC 9449) of a POST to url, signed with
// key at now: ES256 over header and claims, the signature as r‖s.
func Proof(key *ecdsa.PrivateKey, url string, now time.Time) (string, error) {
	jti, err := uuid4()
	if err != nil {
		return "", err
	}
	header, err := json.Marshal(proofHeader{Typ: "dpop+jwt", Alg: "ES256", JWK: PublicJWK(&key.PublicKey)})
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(Claims{HTM: "POST", HTU: url, IAT: now.Unix(), JTI: jti})
	if err != nil {
		return "", err
	}
	input := b64(header) + "." + b64(claims)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		return "", fmt.Errorf("loginsession: sign the DPoP proof: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig), nil
}

// PublicJWK returns pub as the proof's header carries it.
func PublicJWK(pub *ecdsa.PublicKey) JWK {
	b, _ := pub.Bytes() // 0x04 ‖ x ‖ y for a P-256 key
	return JWK{Kty: "EC", Crv: "P-256", X: b64(b[1:33]), Y: b64(b[33:65])}
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of a JWK, to which the
// sign-in service binds a refresh token.
func (k JWK) Thumbprint() string {
	sum := sha256.Sum256([]byte(`{"crv":"` + k.Crv + `","kty":"` + k.Kty + `","x":"` + k.X + `","y":"` + k.Y + `"}`))
	return b64(sum[:])
}

// VerifyProof checks a DPoP proof's form and signature and returns its
// key and claims; the caller checks the claims.
func VerifyProof(proof string) (JWK, Claims, error) {
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		return JWK{}, Claims{}, errors.New("not a JWS")
	}
	var h proofHeader
	var c Claims
	if err := unb64JSON(parts[0], &h); err != nil {
		return JWK{}, Claims{}, fmt.Errorf("header: %w", err)
	}
	if h.Typ != "dpop+jwt" || h.Alg != "ES256" || h.JWK.Kty != "EC" || h.JWK.Crv != "P-256" {
		return JWK{}, Claims{}, errors.New("header is not a dpop+jwt ES256 P-256 proof")
	}
	if err := unb64JSON(parts[1], &c); err != nil {
		return JWK{}, Claims{}, fmt.Errorf("claims: %w", err)
	}
	x, errX := base64.RawURLEncoding.DecodeString(h.JWK.X)
	y, errY := base64.RawURLEncoding.DecodeString(h.JWK.Y)
	if errX != nil || errY != nil || len(x) > 32 || len(y) > 32 {
		return JWK{}, Claims{}, errors.New("jwk coordinates are not 32 bytes of base64url")
	}
	// The Go SDK drops leading zero bytes; the point is the same.
	x, y = pad32(x), pad32(y)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		return JWK{}, Claims{}, errors.New("jwk is not a point of P-256")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return JWK{}, Claims{}, errors.New("signature is not 64 bytes of base64url")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return JWK{}, Claims{}, errors.New("signature does not verify")
	}
	return JWK{Kty: "EC", Crv: "P-256", X: b64(x), Y: b64(y)}, c, nil
}

func pad32(b []byte) []byte {
	return append(make([]byte, 32-len(b), 32), b...)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unb64JSON(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func uuid4() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("loginsession: random id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
