package ststest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// VerifySignature checks the AWS Signature Version 4 of r, in its
// Authorization header or, for a presigned URL, in its query string, with
// the secret access key secret. The payload hash is the SHA-256 of r's
// body (empty for a presigned GET), as STS computes it, so a request
// signed with UNSIGNED-PAYLOAD does not pass. r's body is read and put
// back. It returns nil when the signature is the one secret makes, and
// otherwise an error that says which part is wrong, never the secret or
// the signature.
func VerifySignature(r *http.Request, secret string) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var algorithm, credential, signedHeaders, signature, amzDate string
	presigned := r.Header.Get("Authorization") == ""
	if presigned {
		algorithm, credential = q.Get("X-Amz-Algorithm"), q.Get("X-Amz-Credential")
		signedHeaders, signature, amzDate = q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
	} else {
		h := r.Header.Get("Authorization")
		algorithm, _, _ = strings.Cut(h, " ")
		f := authFields(h)
		credential, signedHeaders, signature = f["Credential"], f["SignedHeaders"], f["Signature"]
		amzDate = r.Header.Get("X-Amz-Date")
	}
	if algorithm != "AWS4-HMAC-SHA256" {
		return fmt.Errorf("ststest: unsupported algorithm %q", algorithm)
	}
	scope := strings.SplitN(credential, "/", 2)
	if len(scope) != 2 || amzDate == "" || signature == "" || signedHeaders == "" {
		return errors.New("ststest: the request is not signed with SigV4")
	}
	parts := strings.Split(scope[1], "/")
	if len(parts) != 4 {
		return fmt.Errorf("ststest: malformed credential scope %q", scope[1])
	}

	var canon strings.Builder
	canon.WriteString(r.Method + "\n")
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	canon.WriteString(path + "\n")
	canon.WriteString(canonicalQuery(q, presigned) + "\n")
	names := strings.Split(signedHeaders, ";")
	for _, name := range names {
		var values []string
		if name == "host" {
			values = []string{r.Host}
		} else {
			values = r.Header.Values(name)
		}
		if len(values) == 0 {
			return fmt.Errorf("ststest: signed header %q is missing", name)
		}
		for i, v := range values {
			values[i] = strings.Join(strings.Fields(v), " ")
		}
		canon.WriteString(name + ":" + strings.Join(values, ",") + "\n")
	}
	canon.WriteString("\n" + signedHeaders + "\n")
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payload {
		return errors.New("ststest: X-Amz-Content-Sha256 is not the hash of the body")
	}
	canon.WriteString(payload)

	creq := sha256.Sum256([]byte(canon.String()))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope[1] + "\n" + hex.EncodeToString(creq[:])
	key := []byte("AWS4" + secret)
	for _, p := range parts {
		key = hmacSHA256(key, p)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return errors.New("ststest: the request signature we calculated does not match the signature provided")
	}
	return nil
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("ststest: read the request body: %w", err)
	}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	return body, nil
}

// canonicalQuery is SigV4's canonical query string: every parameter but
// the signature of a presigned URL, encoded as RFC 3986 says and sorted.
func canonicalQuery(q url.Values, presigned bool) string {
	var pairs [][2]string
	for k, vs := range q {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, [2]string{uriEncode(k), uriEncode(v)})
		}
	}
	// By key, then by value.
	slices.SortFunc(pairs, func(a, b [2]string) int {
		return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1])
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p[0] + "=" + p[1]
	}
	return strings.Join(out, "&")
}

func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
