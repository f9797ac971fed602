package credserver

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Defaults of the connection limits of Serve.
const (
	// DefaultReadHeaderTimeout bounds how long a client may take to send
	// a request's header: an SDK sends it at once.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultIdleTimeout is how long a keep-alive connection may stay
	// idle: the SDKs come back minutes apart, so a connection is rarely
	// reused, and an idle one only holds a descriptor.
	DefaultIdleTimeout = 30 * time.Second
	// DefaultMaxConns is how many connections may be open at once: far
	// more than the processes of one person ask for at the same moment.
	DefaultMaxConns = 64
)

// logInterval is how long a burst of refused requests or connections is
// reported by one log line.
const logInterval = time.Minute

// Serve answers the requests of the connections ln accepts until ctx is
// done, then closes ln and every connection and returns nil. Clients
// cannot hold the server: a request's header must arrive within
// ReadHeaderTimeout, a keep-alive connection idle for IdleTimeout is
// closed, at most MaxConns connections are open at once (an idle one is
// closed to make room for a new one, and a new one is closed when none
// is idle), and the connection is closed after every 4xx answer. Refused
// requests and connections are logged once per burst, not once each.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	l := &limitListener{Listener: ln, max: s.opts.MaxConns, conns: make(map[*limitedConn]bool), logger: s.opts.Logger}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadHeaderTimeout,
		WriteTimeout:      s.opts.ReadHeaderTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ConnState:         l.track,
		// What net/http would print (bad requests, broken connections)
		// is a client's business and would flood the terminal.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			hs.Close()
		case <-done:
		}
	}()
	err := hs.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// limitListener keeps at most max connections open, closing an idle one
// (or the new one) when there are as many.
type limitListener struct {
	net.Listener
	max    int
	logger *slog.Logger

	mu sync.Mutex
	// conns maps the open connections to whether each is idle: waiting
	// for a request, not answering one.
	conns   map[*limitedConn]bool
	refused burstLog
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if lc := l.admit(c); lc != nil {
			return lc, nil
		}
		c.Close()
	}
}

// admit registers c, closing the oldest idle connection to make room when
// the limit is reached; it returns nil when every connection is busy.
func (l *limitListener) admit(c net.Conn) *limitedConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.conns) >= l.max {
		var oldest *limitedConn
		for lc, idle := range l.conns {
			if idle && (oldest == nil || lc.since.Before(oldest.since)) {
				oldest = lc
			}
		}
		if oldest == nil {
			if n, ok := l.refused.add(timeNow()); ok {
				l.logger.Warn("refused connections: too many open", "limit", l.max, "refused", n)
			}
			return nil
		}
		delete(l.conns, oldest)
		oldest.Conn.Close()
	}
	lc := &limitedConn{Conn: c, l: l, since: timeNow()}
	l.conns[lc] = true
	return lc
}

// track follows the state of each connection: one that waits for a
// request may be closed to make room.
func (l *limitListener) track(c net.Conn, state http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, open := l.conns[lc]; !open {
		return
	}
	switch state {
	case http.StateActive:
		l.conns[lc] = false
	case http.StateIdle:
		l.conns[lc] = true
		lc.since = timeNow()
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, lc)
	}
}

// limitedConn is a connection counted by its limitListener.
type limitedConn struct {
	net.Conn
	l *limitListener
	// since is when it became idle; guarded by l.mu.
	since time.Time
}

func (c *limitedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// burstLog decides which events of a burst are logged: the first, then
// one per logInterval, each with the count of those since the last line.
type burstLog struct {
	last    time.Time
	skipped int
}

// add counts an event at now and reports whether to log it, with how many
// events the line stands for. The caller serialises calls.
func (b *burstLog) add(now time.Time) (n int, log bool) {
	b.skipped++
	if !b.last.IsZero() && now.Sub(b.last) < logInterval {
		return 0, false
	}
	n, b.skipped, b.last = b.skipped, 0, now
	return n, true
}
