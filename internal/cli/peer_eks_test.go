package cli

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/internal/ekstoken"
	"github.com/sessioncache/sessioncache/internal/peertest"
	"github.com/sessioncache/sessioncache/ststest"
)

const (
	eksKey    = "AKIAIOSFODNN7EXAMPLE"
	eksSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// eksConfig has base, long-term keys, and mfa, a role that needs MFA.
const eksConfig = `[profile base]
region = us-west-2

[profile mfa]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
region = eu-west-1
`

// TestKubectlEKSToken runs real kubectl against a local TLS API server
// whose authenticator checks the token as a cluster's does and asks a
// local STS, which checks SigV4 signatures, who signed it. The token comes
// from the MFA session cached by an earlier export: kubectl gets in with no
// prompt and no AssumeRole.
func TestKubectlEKSToken(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	sts := ststest.NewServer(func(o *ststest.Options) {
		o.RequireMFA = true
		o.VerifySignatures = true
		o.Secrets = map[string]string{eksKey: eksSecret}
	})
	defer sts.Close()
	home := peertest.NewHome(t, eksConfig, "[base]\naws_access_key_id = "+eksKey+"\naws_secret_access_key = "+eksSecret+"\n")

	// The session kubectl will use, made once with a code.
	env := home.Env(nil, "AWS_ENDPOINT_URL_STS="+sts.URL, "AWS_REGION", "AWS_DEFAULT_REGION", "SESSIONCACHE_NO_DIALOG=1")
	if _, stderr, err := runBinary(t, bin, env, "export", "-p", "mfa", "--mfa-token", "123456"); err != nil {
		t.Fatalf("export: %v: %s", err, stderr)
	}

	var authenticated atomic.Int32
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arn, err := authenticate(r, "prod", sts)
		if err != nil {
			t.Logf("authenticator: %v", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`)
			return
		}
		authenticated.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"user": arn})
	}))
	defer api.Close()

	kubeconfig := filepath.Join(home.Dir, "kubeconfig")
	ca := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw}))
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: `+api.URL+`
    certificate-authority-data: `+ca+`
users:
- name: admin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: `+bin+`
      args: [eks-token, --cluster-name, prod, --profile, mfa]
      interactiveMode: Never
contexts:
- name: prod
  context: {cluster: prod, user: admin}
current-context: prod
`), 0o600); err != nil {
		t.Fatal(err)
	}
	// No STS endpoint override: the token names the real regional STS,
	// which the authenticator stands in for with the local one.
	kenv := home.Env(nil, "AWS_REGION", "AWS_DEFAULT_REGION", "SESSIONCACHE_NO_DIALOG=1")
	stdout, stderr, err := peertest.Kubectl(t, kenv, "--kubeconfig", kubeconfig, "get", "--raw", "/apis/whoami")
	if err != nil {
		t.Fatalf("kubectl: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, `"user":"arn:aws:sts::123456789012:assumed-role/admin/`) {
		t.Errorf("kubectl got %q; want the role session's ARN", stdout)
	}
	if strings.Contains(stderr, ekstoken.Prefix) {
		t.Error("kubectl's stderr shows the token")
	}
	if authenticated.Load() == 0 {
		t.Error("the API server authenticated no request")
	}
	if n := sts.Calls("AssumeRole"); n != 1 {
		t.Errorf("STS answered %d AssumeRole calls, want only export's", n)
	}

	// A token for another cluster does not get in.
	other := strings.Replace(string(must(os.ReadFile(kubeconfig))), "--cluster-name, prod", "--cluster-name, staging", 1)
	if err := os.WriteFile(kubeconfig, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := peertest.Kubectl(t, kenv, "--kubeconfig", kubeconfig, "get", "--raw", "/apis/whoami"); err == nil {
		t.Error("kubectl got in with a token for another cluster")
	} else if !strings.Contains(stderr, "Unauthorized") {
		t.Errorf("kubectl: %v: %s", err, stderr)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

var arnRE = regexp.MustCompile(`<Arn>([^<]+)</Arn>`)

// authenticate does what the cluster's authenticator does with a bearer
// token for cluster, with sts standing in for the STS host the token names,
// and returns the caller's ARN.
func authenticate(r *http.Request, cluster string, sts *ststest.Server) (string, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", fmt.Errorf("no bearer token")
	}
	req, err := ekstoken.Verify(token, cluster, time.Now(), nil)
	if err != nil {
		return "", err
	}
	local, err := url.Parse(sts.URL)
	if err != nil {
		return "", err
	}
	req.Host = req.URL.Host
	req.URL.Scheme, req.URL.Host = local.Scheme, local.Host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("STS answered %d", resp.StatusCode)
	}
	m := arnRE.FindSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("STS answered no ARN")
	}
	return string(m[1]), nil
}

// TestPeerEKSGetToken checks that `aws eks get-token` and eks-token print
// the same document: the same fields, API version and URL, with the same
// parameters, and, when both signed in the same second, the same
// signature.
func TestPeerEKSGetToken(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	keys := "aws_access_key_id = " + eksKey + "\naws_secret_access_key = " + eksSecret + "\naws_session_token = FwoGZXIvYXdzEXAMPLE+/=\n"
	home := peertest.NewHome(t, "[profile base]\nregion = us-west-2\n\n[profile svc]\nregion = us-west-2\nservices = local\n\n"+
		"[services local]\nsts =\n  endpoint_url = http://127.0.0.1:3\n", "[base]\n"+keys+"\n[svc]\n"+keys)
	signaturesCompared := 0
	for name, extra := range map[string][]string{
		"profile region":  nil,
		"--region":        {"--region", "ap-southeast-2"},
		"endpoint":        {"--region", "eu-central-1", "ENV", "AWS_ENDPOINT_URL_STS=http://127.0.0.1:1"},
		"all services":    {"ENV", "AWS_ENDPOINT_URL=http://127.0.0.1:2"},
		"sts wins":        {"ENV", "AWS_ENDPOINT_URL=http://127.0.0.1:2", "AWS_ENDPOINT_URL_STS=http://127.0.0.1:1"},
		"config":          {"--profile", "svc"},
		"env over config": {"--profile", "svc", "ENV", "AWS_ENDPOINT_URL=http://127.0.0.1:2"},
		"v1":              {"ENV", `KUBERNETES_EXEC_INFO={"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`},
	} {
		args, vars := extra, []string{"AWS_REGION", "AWS_DEFAULT_REGION"}
		if i := slices.Index(extra, "ENV"); i >= 0 {
			args, vars = extra[:i], append(vars, extra[i+1:]...)
		}
		env := home.Env(nil, vars...)
		argv := append([]string{"eks", "get-token", "--cluster-name", "prod", "--profile", "base"}, args...)
		// Until both sign within one second, three times at most.
		for attempt := 0; attempt < 3; attempt++ {
			theirs, stderr, err := peertest.AWS(t, env, "", argv...)
			if err != nil {
				t.Fatalf("%s: aws: %v: %s", name, err, stderr)
			}
			ours, stderr, err := runBinary(t, bin, env, append([]string{"eks-token"}, argv[2:]...)...)
			if err != nil {
				t.Fatalf("%s: sessioncache: %v: %s", name, err, stderr)
			}
			same, err := compareExecCredentials(theirs, ours)
			if err != nil {
				t.Fatalf("%s: %v\naws: %s\nours: %s", name, err, redactToken(theirs), redactToken(ours))
			}
			if same {
				signaturesCompared++
				break
			}
		}
	}
	// The AWS CLI takes most of a second to start: some pairs sign in
	// different seconds, but hardly all of them.
	if signaturesCompared == 0 {
		t.Error("no pair was signed within one second, so no signatures were compared")
	}
}

// compareExecCredentials returns an error where two documents differ in
// anything but the signing time, and whether they were signed in the same
// second (then the signatures must match too).
func compareExecCredentials(a, b string) (sameSecond bool, err error) {
	var da, db map[string]any
	if err := json.Unmarshal([]byte(a), &da); err != nil {
		return false, fmt.Errorf("aws: %v", err)
	}
	if err := json.Unmarshal([]byte(b), &db); err != nil {
		return false, fmt.Errorf("ours: %v", err)
	}
	if shape(da) != shape(db) {
		return false, fmt.Errorf("shapes differ: %s and %s", shape(da), shape(db))
	}
	// Byte for byte but the values that change with each call, and the
	// blank line the AWS CLI adds at the end: the same keys in the same
	// order, indented alike.
	if ma, mb := maskValues(a), maskValues(b); strings.TrimRight(ma, "\n") != strings.TrimRight(mb, "\n") {
		return false, fmt.Errorf("documents differ in layout:\naws:\n%s\nours:\n%s", ma, mb)
	}
	for _, k := range []string{"kind", "apiVersion"} {
		if da[k] != db[k] {
			return false, fmt.Errorf("%s: %v and %v", k, da[k], db[k])
		}
	}
	ua, ub := tokenURL(da), tokenURL(db)
	if ua == nil || ub == nil {
		return false, fmt.Errorf("a token holds no URL")
	}
	if ua.Scheme != ub.Scheme || ua.Host != ub.Host || ua.Path != ub.Path {
		return false, fmt.Errorf("URLs differ: %s://%s%s and %s://%s%s", ua.Scheme, ua.Host, ua.Path, ub.Scheme, ub.Host, ub.Path)
	}
	qa, qb := ua.Query(), ub.Query()
	var ka, kb []string
	for k := range qa {
		ka = append(ka, k)
	}
	for k := range qb {
		kb = append(kb, k)
	}
	slices.Sort(ka)
	slices.Sort(kb)
	if !slices.Equal(ka, kb) {
		return false, fmt.Errorf("parameters differ: %q and %q", ka, kb)
	}
	sameSecond = qa.Get("X-Amz-Date") == qb.Get("X-Amz-Date")
	for _, k := range ka {
		if k == "X-Amz-Date" || (k == "X-Amz-Signature" && !sameSecond) {
			continue
		}
		if k == "X-Amz-Security-Token" || k == "X-Amz-Signature" {
			if qa.Get(k) != qb.Get(k) {
				return false, fmt.Errorf("%s differs", k)
			}
			continue
		}
		if qa.Get(k) != qb.Get(k) {
			return false, fmt.Errorf("%s: %q and %q", k, qa.Get(k), qb.Get(k))
		}
	}
	ea, _ := time.Parse(time.RFC3339, da["status"].(map[string]any)["expirationTimestamp"].(string))
	eb, _ := time.Parse(time.RFC3339, db["status"].(map[string]any)["expirationTimestamp"].(string))
	if d := eb.Sub(ea); d < 0 || d > 10*time.Second {
		return false, fmt.Errorf("expirations %v and %v", ea, eb)
	}
	return sameSecond, nil
}

var changingValue = regexp.MustCompile(`("(?:expirationTimestamp|token)": )"[^"]*"`)

// maskValues hides the token and its expiry in an ExecCredential.
func maskValues(doc string) string {
	return changingValue.ReplaceAllString(doc, `$1"..."`)
}

// shape is a document's structure: its keys, nested, without values.
func shape(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Sprintf("%T", v)
	}
	var keys []string
	for k, v := range m {
		keys = append(keys, k+":"+shape(v))
	}
	slices.Sort(keys)
	return "{" + strings.Join(keys, ",") + "}"
}

func tokenURL(doc map[string]any) *url.URL {
	status, _ := doc["status"].(map[string]any)
	token, _ := status["token"].(string)
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, ekstoken.Prefix))
	if err != nil {
		return nil
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return nil
	}
	return u
}

// redactToken keeps a failure message free of the token.
func redactToken(doc string) string {
	return regexp.MustCompile(`k8s-aws-v1\.[A-Za-z0-9_-]+`).ReplaceAllString(doc, "k8s-aws-v1.<token>")
}

// TestPeerEKSRoleEntry checks that the role session eks-token --role-arn
// caches is the AWS CLI's entry for that role and session name: a profile
// naming both uses it with no AssumeRole.
func TestPeerEKSRoleEntry(t *testing.T) {
	t.Parallel()
	moto := peertest.Moto(t)
	bin := buildBinary(t)
	const role = "arn:aws:iam::123456789012:role/eks"
	home := peertest.NewHome(t, "[profile base]\nregion = us-east-1\n\n[profile eks]\nrole_arn = "+role+
		"\nsource_profile = base\nrole_session_name = "+eksRoleSessionName+"\n", peerCredentials)
	env := home.Env(moto)

	if _, stderr, err := runBinary(t, bin, env, "eks-token", "-p", "base", "--cluster-name", "prod", "--role-arn", role); err != nil {
		t.Fatalf("eks-token --role-arn: %v\n%s", err, stderr)
	}
	wantCalls(t, moto, "AssumeRole", 1)
	out, stderr, err := peertest.AWS(t, env, "", "sts", "get-caller-identity", "--profile", "eks")
	if err != nil {
		t.Fatalf("aws --profile eks: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "assumed-role/eks/"+eksRoleSessionName) {
		t.Errorf("caller identity = %s, want the EKSGetTokenAuth session", out)
	}
	wantCalls(t, moto, "AssumeRole", 1)
}
