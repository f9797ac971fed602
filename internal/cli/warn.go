package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
)

// warnHandler writes warnings for people, one sentence a line, without
// the time and level of a log record: "sessioncache: warning: ...".
// Attributes are left out; the library's warnings are whole sentences.
type warnHandler struct {
	mu *sync.Mutex
	w  io.Writer
}

func newWarnLogger(w io.Writer) *slog.Logger {
	return slog.New(warnHandler{mu: new(sync.Mutex), w: w})
}

func (h warnHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h warnHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := fmt.Fprintf(h.w, "sessioncache: warning: %s\n", message(fmt.Errorf("%s", r.Message)))
	return err
}

func (h warnHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h warnHandler) WithGroup(string) slog.Handler      { return h }
