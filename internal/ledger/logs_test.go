package ledger

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

func TestRouteTesseraLogs(t *testing.T) {
	var buf bytes.Buffer
	RouteTesseraLogs(slog.New(slog.NewTextHandler(&buf, nil)))
	defer RouteTesseraLogs(quietLogs)
	l, err := Open(context.Background(), filepath.Join(t.TempDir(), "log"), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Initializing directory for POSIX log") {
		t.Fatalf("Tessera's start-up message did not reach the logger; got %q", buf.String())
	}
}
