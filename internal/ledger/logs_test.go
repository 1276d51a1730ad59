package ledger

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// captureHandler records every message Tessera logs and passes warnings and
// errors on to standard error.
type captureHandler struct {
	mu   sync.Mutex
	msgs []string
	warn slog.Handler
}

var tesseraLogs = &captureHandler{warn: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *captureHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.msgs = append(h.msgs, r.Message)
	h.mu.Unlock()
	if r.Level >= slog.LevelWarn {
		return h.warn.Handle(ctx, r)
	}
	return nil
}

func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }

func (h *captureHandler) contains(s string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.msgs {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

func TestRouteTesseraLogs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	l, err := Open(context.Background(), dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// TestMain routed Tessera's klog output to tesseraLogs.
	if !tesseraLogs.contains("Initializing directory for POSIX log at \"" + dir) {
		t.Fatal("Tessera's start-up message for this log did not reach the slog logger")
	}
}
