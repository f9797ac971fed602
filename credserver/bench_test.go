package credserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// warmServer returns a server holding credentials valid for an hour, and
// its provider.
func warmServer(b *testing.B) (*fakeProvider, *Server) {
	b.Helper()
	p := expiringIn(time.Hour)
	s, err := New(p, testToken)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	return p, s
}

// BenchmarkServeHTTP measures the handler alone on warm credentials.
func BenchmarkServeHTTP(b *testing.B) {
	p, s := warmServer(b)
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", testToken)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
	if n := p.calls.Load(); n != 1 {
		b.Errorf("the provider was called %d times, want 1", n)
	}
}

// BenchmarkLoopback measures a request as a client sees it: a GET over a
// kept-alive loopback connection, answered by the server.
func BenchmarkLoopback(b *testing.B) {
	p, s := warmServer(b)
	hs := httptest.NewServer(s)
	defer hs.Close()
	client := hs.Client()
	req, _ := http.NewRequest("GET", hs.URL+"/", nil)
	req.Header.Set("Authorization", testToken)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var buf [512]byte
		for {
			if _, err := resp.Body.Read(buf[:]); err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.StopTimer()
	if n := p.calls.Load(); n != 1 {
		b.Errorf("the provider was called %d times, want 1", n)
	}
}

// BenchmarkServeHTTPCachedRole serves a role of the file cache, as the
// command does: after the first fetch, no STS call and no file read.
func BenchmarkServeHTTPCachedRole(b *testing.B) {
	r := newCachedRole(b, time.Now().Add(time.Hour))
	s, err := New(r.creds, testToken)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", testToken)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
	b.StopTimer()
	if n := len(r.sts.Requests()); n != 0 {
		b.Errorf("STS answered %d calls, want 0", n)
	}
}
