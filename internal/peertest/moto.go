package peertest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// motoStartTimeout bounds moto_server's start; it takes about a second.
const motoStartTimeout = time.Minute

// stsTarget and stsVersion mark an STS request in the JSON and the query
// protocols.
const (
	stsTarget  = "AWSSecurityTokenServiceV20110615"
	stsVersion = "2011-06-15"
)

// MotoServer is a moto_server running on 127.0.0.1 for one test.
//
// It counts requests with moto's own recorder. moto_server's access log is
// no use for that: every STS call is logged as "POST / HTTP/1.1", whatever
// its Action. The recorder instead appends each request it is about to
// serve (headers, URL and body) as one JSON line to the file named by
// MOTO_RECORDER_FILEPATH, before it answers, so a request a peer has had
// its answer to is always in the file. Moto starts it with recording on and
// the file emptied (/moto-api/recorder/start-recording and
// reset-recording, which moto does not record), so the file holds exactly
// the requests made since, and its absence is an error rather than zero
// calls.
type MotoServer struct {
	// URL is the server's endpoint, http://127.0.0.1:PORT, for
	// AWS_ENDPOINT_URL.
	URL string

	recording string
}

// Moto starts moto_server on a free port of 127.0.0.1, waits until it
// answers, and stops it (killing its process group) when the test ends.
// When moto_server is not on PATH, Moto skips the test, or fails it under
// SESSIONCACHE_REQUIRE_PEERS=1 (see [RequireEnv]).
func Moto(t testing.TB) *MotoServer {
	t.Helper()
	path, err := exec.LookPath("moto_server")
	if err != nil {
		missing(t, "moto_server not found on PATH: install moto[server] to run the interop tests")
	}
	dir := t.TempDir()
	m := &MotoServer{recording: filepath.Join(dir, "recording.jsonl")}

	// Port 0 lets the kernel choose the port, with no window in which
	// another process can take it; werkzeug prints the one it got.
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", "0")
	cmd.Env = setEnv(baseEnv(), "HOME="+dir, "MOTO_RECORDER_FILEPATH="+m.recording)
	port := make(chan string, 1)
	log := &motoLog{port: port}
	cmd.Stdout = log
	cmd.Stderr = log
	setGroup(cmd)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("peertest: start moto_server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = killGroup(cmd.Process)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("peertest: moto_server did not exit after SIGKILL")
		}
		if t.Failed() {
			t.Logf("moto_server output:\n%s", log.tail(40))
		}
	})

	deadline := time.After(motoStartTimeout)
	select {
	case p := <-port:
		m.URL = "http://127.0.0.1:" + p
	case err := <-exited:
		exited <- err
		t.Fatalf("peertest: moto_server exited before it listened (%v):\n%s", err, log.tail(40))
	case <-deadline:
		t.Fatalf("peertest: moto_server did not listen within %v:\n%s", motoStartTimeout, log.tail(40))
	}
	for _, op := range []string{"start-recording", "reset-recording"} {
		for {
			err := m.post("/moto-api/recorder/" + op)
			if err == nil {
				break
			}
			select {
			case err := <-exited:
				exited <- err
				t.Fatalf("peertest: moto_server exited during start (%v):\n%s", err, log.tail(40))
			case <-deadline:
				t.Fatalf("peertest: moto_server did not answer within %v: %v", motoStartTimeout, err)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	t.Logf("moto_server answering on %s after %v", m.URL, time.Since(start).Round(time.Millisecond))
	return m
}

// client talks to moto directly, never through a proxy.
var client = &http.Client{
	Transport: &http.Transport{Proxy: nil},
	Timeout:   10 * time.Second,
}

func (m *MotoServer) post(path string) error {
	resp, err := client.Post(m.URL+path, "text/plain", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s", path, resp.Status)
	}
	return nil
}

// Request is one request moto has served.
type Request struct {
	// Method and Path are the HTTP method and URL path.
	Method, Path string
	// Service is the signing name from the SigV4 credential scope ("sts",
	// "s3", ...), or "sts" for an unsigned STS call such as
	// AssumeRoleWithWebIdentity; "" when neither tells.
	Service string
	// Action is the operation, from the Action parameter (query protocol),
	// X-Amz-Target (JSON protocol) or the /service/S/operation/O path
	// (Smithy RPC v2); "" for REST calls.
	Action string
}

// Requests returns every request moto has served since Moto returned, in
// order.
func (m *MotoServer) Requests(t testing.TB) []Request {
	t.Helper()
	data, err := os.ReadFile(m.recording)
	if err != nil {
		t.Fatalf("peertest: moto recording: %v", err)
	}
	reqs, err := parseRecording(data)
	if err != nil {
		t.Fatalf("peertest: moto recording: %v", err)
	}
	return reqs
}

// Calls returns how many STS requests of the given Action ("AssumeRole",
// "GetCallerIdentity", ...) moto has served since Moto returned. See
// [MotoServer] for why the count can be trusted to be zero.
func (m *MotoServer) Calls(t testing.TB, action string) int {
	t.Helper()
	n := 0
	for _, r := range m.Requests(t) {
		if r.Service == "sts" && r.Action == action {
			n++
		}
	}
	return n
}

// recorded is one line of moto's recording.
type recorded struct {
	Headers     map[string]string `json:"headers"`
	Method      string            `json:"method"`
	URL         string            `json:"url"`
	Body        *string           `json:"body"`
	BodyEncoded bool              `json:"body_encoded"`
}

// scope is the service of a SigV4 Authorization header:
// Credential=AKID/DATE/REGION/SERVICE/aws4_request.
var scope = regexp.MustCompile(`Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request`)

func parseRecording(data []byte) ([]Request, error) {
	var reqs []Request
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec recorded
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		r, err := rec.request()
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		reqs = append(reqs, r)
	}
	return reqs, nil
}

func (rec *recorded) header(name string) string {
	for k, v := range rec.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func (rec *recorded) request() (Request, error) {
	u, err := url.Parse(rec.URL)
	if err != nil {
		return Request{}, err
	}
	r := Request{Method: rec.Method, Path: u.Path}
	if m := scope.FindStringSubmatch(rec.header("Authorization")); m != nil {
		r.Service = m[1]
	} else if m := scope.FindStringSubmatch(u.Query().Get("X-Amz-Credential")); m != nil {
		r.Service = m[1]
	}
	isSTS := false
	switch target := rec.header("X-Amz-Target"); {
	case target != "":
		prefix, op, _ := strings.Cut(target, ".")
		r.Action, isSTS = op, prefix == stsTarget
	case strings.HasPrefix(u.Path, "/service/"):
		parts := strings.Split(u.Path, "/")
		if len(parts) == 5 && parts[3] == "operation" {
			r.Action, isSTS = parts[4], parts[2] == stsTarget
		}
	default:
		params := u.Query()
		if strings.HasPrefix(rec.header("Content-Type"), "application/x-www-form-urlencoded") && rec.Body != nil {
			body := []byte(*rec.Body)
			if rec.BodyEncoded {
				if body, err = base64.StdEncoding.DecodeString(*rec.Body); err != nil {
					return Request{}, fmt.Errorf("body: %w", err)
				}
			}
			form, err := url.ParseQuery(string(body))
			if err != nil {
				return Request{}, fmt.Errorf("body: %w", err)
			}
			for k, v := range form {
				params[k] = v
			}
		}
		r.Action, isSTS = params.Get("Action"), params.Get("Version") == stsVersion
	}
	if r.Service == "" && isSTS {
		r.Service = "sts"
	}
	return r, nil
}

// motoLog collects moto_server's output and reports the port it listens on.
type motoLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	scanned int
	port    chan<- string // receives the port, then is nil
}

// listening is werkzeug's line for the address it has bound.
var listening = regexp.MustCompile(`Running on http://127\.0\.0\.1:(\d+)`)

func (l *motoLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if l.port == nil {
		return len(p), nil
	}
	// Look only at whole lines not yet seen.
	rest := l.buf.Bytes()[l.scanned:]
	end := bytes.LastIndexByte(rest, '\n')
	if end < 0 {
		return len(p), nil
	}
	l.scanned += end + 1
	if m := listening.FindSubmatch(rest[:end]); m != nil {
		l.port <- string(m[1])
		l.port = nil
	}
	return len(p), nil
}

// tail returns the last n lines of the output.
func (l *motoLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
