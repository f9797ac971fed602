package credserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// serveTCP serves s on a loopback port with Serve until the test ends or
// stop is called, and returns the URL; stop returns what Serve returned.
func serveTCP(t *testing.T, s *Server) (url string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	stop = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String() + "/", stop
}

func readyServer(t *testing.T, optFns ...func(*Options)) *Server {
	t.Helper()
	s, err := New(expiringIn(time.Hour), testToken, optFns...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// get asks url for credentials with a client of its own, which keeps its
// connection open afterwards.
func get(t *testing.T, url, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", token)
	c := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// dial opens a raw connection to url, closed when the test ends.
func dial(t *testing.T, url string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reports whether the server closes c within d, without
// c sending anything.
func closedByServer(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// Connections that sit open, idle keep-alive ones and ones that never send
// a request, cannot use up the server: past MaxConns the oldest idle one
// is closed, and a new client is still answered.
func TestServeConnectionCap(t *testing.T) {
	const max = 4
	s := readyServer(t, func(o *Options) { o.MaxConns = max; o.ReadHeaderTimeout = time.Minute; o.IdleTimeout = time.Minute })
	url, _ := serveTCP(t, s)
	for range 3 * max {
		if resp := get(t, url, testToken); resp.StatusCode != 200 {
			t.Fatalf("status %d with idle connections open, want 200", resp.StatusCode)
		}
	}
	var raw []net.Conn
	for range 10 {
		raw = append(raw, dial(t, url))
	}
	if resp := get(t, url, testToken); resp.StatusCode != 200 {
		t.Fatalf("status %d with silent connections open, want 200", resp.StatusCode)
	}
	var closed atomic.Int32
	var wg sync.WaitGroup
	for _, c := range raw {
		wg.Go(func() {
			if closedByServer(c, 2*time.Second) {
				closed.Add(1)
			}
		})
	}
	wg.Wait()
	// 10 silent connections and one client: all but max-1 silent ones go.
	if got, want := int(closed.Load()), len(raw)-(max-1); got < want {
		t.Errorf("the server closed %d of %d silent connections, want at least %d: it keeps more than %d open", got, len(raw), want, max)
	}
}

// A client that never finishes its request's header is dropped.
func TestServeReadHeaderTimeout(t *testing.T) {
	s := readyServer(t, func(o *Options) { o.ReadHeaderTimeout = 50 * time.Millisecond })
	url, _ := serveTCP(t, s)
	c := dial(t, url)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	if !closedByServer(c, 5*time.Second) {
		t.Error("a request header sent halfway holds the connection open")
	}
}

// A keep-alive connection left idle is closed after IdleTimeout.
func TestServeIdleTimeout(t *testing.T) {
	s := readyServer(t, func(o *Options) { o.IdleTimeout = 50 * time.Millisecond })
	url, _ := serveTCP(t, s)
	c := dial(t, url)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: "+testToken+"\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("status %d, close %v; want 200 on a kept connection", resp.StatusCode, resp.Close)
	}
	if !closedByServer(c, 5*time.Second) {
		t.Error("an idle keep-alive connection stays open past IdleTimeout")
	}
}

// Every 4xx answer closes its connection; a 200 keeps it.
func TestServeClosesAfterClientError(t *testing.T) {
	s := readyServer(t)
	url, _ := serveTCP(t, s)
	for _, tt := range []struct {
		name, path, token string
		status            int
	}{
		{"wrong token", "", "wrong", 403},
		{"no token", "", "", 403},
		{"other path", "other", testToken, 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, url+tt.path, tt.token)
			if resp.StatusCode != tt.status || !resp.Close {
				t.Errorf("status %d, Connection: close %v; want %d and close", resp.StatusCode, resp.Close, tt.status)
			}
		})
	}
}

// syncBuffer is a log sink that goroutines can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A client that keeps sending a wrong token is logged once, not once per
// request, and the token sent is not logged.
func TestServeRefusedLoggedOncePerBurst(t *testing.T) {
	var logs syncBuffer
	s := readyServer(t, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	url, _ := serveTCP(t, s)
	for range 50 {
		if resp := get(t, url, "wrong-token-sent"); resp.StatusCode != 403 {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
	}
	text := logs.String()
	if n := strings.Count(text, "refused requests"); n != 1 {
		t.Errorf("%d log lines for a burst of 50 refused requests, want 1:\n%s", n, text)
	}
	if strings.Contains(text, "wrong-token-sent") {
		t.Error("the log holds the token sent")
	}
}

func TestBurstLog(t *testing.T) {
	var b burstLog
	t0 := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	steps := []struct {
		at     time.Duration
		n      int
		logged bool
	}{
		{0, 1, true},
		{time.Second, 0, false},
		{logInterval - 1, 0, false},
		{logInterval, 3, true},
		{logInterval + time.Second, 0, false},
		{3 * logInterval, 2, true},
	}
	for _, st := range steps {
		n, ok := b.add(t0.Add(st.at))
		if n != st.n || ok != st.logged {
			t.Errorf("at %v: add = %d, %v; want %d, %v", st.at, n, ok, st.n, st.logged)
		}
	}
}

// Serve returns nil once its context is done, with the port closed.
func TestServeStops(t *testing.T) {
	url, stop := serveTCP(t, readyServer(t))
	if err := stop(); err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
	if c, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")); err == nil {
		c.Close()
		t.Error("the port still accepts connections")
	}
}
