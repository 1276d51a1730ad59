package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestLogHealth: an append that fails for a storage reason is
// ErrUnavailable, Err reports it until a write succeeds again, and OnHealth
// hears of it once per incident (not once per append) and once on
// recovery; a probe recovers without an append.
func TestLogHealth(t *testing.T) {
	var failing atomic.Bool
	var mu sync.Mutex
	var events []error
	opts := testOptions()
	opts.fault = func(op string) error {
		if failing.Load() {
			return syscall.ENOSPC
		}
		return nil
	}
	opts.OnHealth = func(err error) {
		mu.Lock()
		events = append(events, err)
		mu.Unlock()
	}
	l, _ := openTest(t, opts)
	ctx := context.Background()
	if _, err := l.Append(ctx, mustDecisionEntry(t, 0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Err(); err != nil {
		t.Fatalf("healthy log: Err %v", err)
	}

	failing.Store(true)
	for i := 1; i <= 3; i++ {
		_, err := l.Append(ctx, mustDecisionEntry(t, i))
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("append on a full disk: %v, want ErrUnavailable wrapping ENOSPC", err)
		}
	}
	if err := l.Err(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Err while failing: %v", err)
	}
	// The probe fails too while the disk is full.
	time.Sleep(probeEvery + 50*time.Millisecond)
	if err := l.Err(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Err after a failed probe: %v", err)
	}
	mu.Lock()
	if len(events) != 1 || !errors.Is(events[0], ErrUnavailable) {
		t.Fatalf("OnHealth events %v, want one failure for the incident", events)
	}
	mu.Unlock()

	// Space is back: the next probe clears it, without an append.
	failing.Store(false)
	time.Sleep(probeEvery + 50*time.Millisecond)
	if err := l.Err(); err != nil {
		t.Fatalf("Err after space came back: %v", err)
	}
	if _, err := l.Append(ctx, mustDecisionEntry(t, 4)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(events) != 2 || events[1] != nil {
		t.Fatalf("OnHealth events %v, want failure then recovery", events)
	}
	mu.Unlock()

	// A second incident, cleared by an append.
	failing.Store(true)
	l.Append(ctx, mustDecisionEntry(t, 5))
	failing.Store(false)
	if _, err := l.Append(ctx, mustDecisionEntry(t, 6)); err != nil {
		t.Fatal(err)
	}
	if err := l.Err(); err != nil {
		t.Fatalf("Err after a successful append: %v", err)
	}
	mu.Lock()
	if len(events) != 4 {
		t.Fatalf("OnHealth events %v, want 4 (two incidents)", events)
	}
	mu.Unlock()
}

// TestLogProbeWritesNothing: a probe leaves no file behind in the log.
func TestLogProbeWritesNothing(t *testing.T) {
	l, dir := openTest(t, testOptions())
	before := snapshot(t, dir)
	if err := l.probe(); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("probe changed the log directory:\n%s\n---\n%s", before, after)
	}
}

// TestLogHealthRealFailure breaks the log's storage for real (its tile
// directory replaced by a file, which no process can write under, root
// included): the append fails as ErrUnavailable and Err reports it.
func TestLogHealthRealFailure(t *testing.T) {
	l, dir := openTest(t, testOptions())
	ctx := context.Background()
	if _, err := l.Append(ctx, mustDecisionEntry(t, 0)); err != nil {
		t.Fatal(err)
	}
	tiles := filepath.Join(dir, "tile")
	if err := os.Rename(tiles, tiles+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tiles, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := l.Append(actx, mustDecisionEntry(t, 1))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("append with unwritable tiles: %v, want ErrUnavailable", err)
	}
	if err := l.Err(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Err: %v", err)
	}
	// The probe sees it too: readiness stays down until it is repaired.
	time.Sleep(probeEvery + 50*time.Millisecond)
	if err := l.Err(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Err after a probe: %v", err)
	}
	// Repaired, the log takes entries again.
	os.Remove(tiles)
	if err := os.Rename(tiles+".moved", tiles); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, mustDecisionEntry(t, 2)); err != nil {
		t.Fatalf("append after repair: %v", err)
	}
	if err := l.Err(); err != nil {
		t.Fatalf("Err after repair: %v", err)
	}
}

// TestHandlerProblemJSON: the read API's 404 and 405 are problem+json when
// the client accepts JSON, and plain text (as tlog clients expect)
// otherwise; a file that exists is served whatever the client accepts.
func TestHandlerProblemJSON(t *testing.T) {
	l, _ := openTest(t, testOptions())
	if _, err := l.Receipt(context.Background(), mustAppend(t, l)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/log", l.Handler()))
	defer srv.Close()
	get := func(method, path, accept string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	for _, c := range []struct {
		method, path, accept string
		status               int
		problem              bool
	}{
		{"GET", "/log/nope", "application/json", 404, true},
		{"GET", "/log/tile/0/999", "application/problem+json", 404, true},
		{"GET", "/log/tile/0/999", "text/html, application/json;q=0.9", 404, true},
		{"GET", "/log/.state/treeState", "application/json", 404, true},
		{"POST", "/log/checkpoint", "application/json", 405, true},
		{"GET", "/log/nope", "", 404, false},
		{"GET", "/log/nope", "text/plain", 404, false},
		{"GET", "/log/checkpoint", "application/json", 200, false},
	} {
		resp, body := get(c.method, c.path, c.accept)
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode != c.status {
			t.Errorf("%s %s (Accept %q): %d, want %d", c.method, c.path, c.accept, resp.StatusCode, c.status)
			continue
		}
		var p struct {
			Type   string
			Status int
			Detail string
		}
		isProblem := ct == "application/problem+json" && json.Unmarshal(body, &p) == nil && p.Status == c.status && strings.HasPrefix(p.Type, "/problems/")
		if isProblem != c.problem {
			t.Errorf("%s %s (Accept %q): %q %s, problem+json %v", c.method, c.path, c.accept, ct, body, c.problem)
		}
	}
}

func mustAppend(t *testing.T, l *Log) uint64 {
	t.Helper()
	idx, err := l.Append(context.Background(), mustDecisionEntry(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	return idx
}
