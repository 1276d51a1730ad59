package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

// flakyStore fails the calls a test switches off, as a database that went
// away would.
type flakyStore struct {
	store.Store
	historyDown, commitDown atomic.Bool
}

func (f *flakyStore) History(ctx context.Context, q store.HistoryQuery) (*model.History, error) {
	if f.historyDown.Load() {
		return nil, fmt.Errorf("read history: %w", store.ErrUnavailable)
	}
	return f.Store.History(ctx, q)
}

func (f *flakyStore) Reserve(ctx context.Context, q store.HistoryQuery, judge func(*model.History) ([]store.CounterDelta, error)) error {
	if f.historyDown.Load() {
		return fmt.Errorf("reserve counters: %w", store.ErrUnavailable)
	}
	return f.Store.Reserve(ctx, q, judge)
}

func (f *flakyStore) RecordDecision(ctx context.Context, rec store.DecisionRecord, counts []store.CounterDelta) error {
	if f.commitDown.Load() {
		return store.ErrUnavailable
	}
	return f.Store.RecordDecision(ctx, rec, counts)
}

// TestBindingDecisionOrder follows a binding decision through the real
// decider, log and store, failing each step in turn: validate, reserve
// counters, evaluate, append, commit. Before the append a failure leaves
// nothing behind; after it, the decision is voided in the log, and its
// reserved counts stay (docs/operations.md says why).
func TestBindingDecisionOrder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	base, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	st := &flakyStore{Store: base}
	lg, err := ledger.Open(ctx, filepath.Join(dir, "log"), ledger.Options{Origin: "accord.example/test", CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	logOpen := true
	defer func() {
		if logOpen {
			lg.Close()
		}
	}()
	metrics := api.NewMetrics()
	dec, reg, status, err := newServeDecider(serveDeps{store: st, log: lg, metrics: metrics, packs: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	if err := seedDemo(ctx, st, &bytes.Buffer{}, ""); err != nil {
		t.Fatal(err)
	}
	secret, tok, _ := store.NewToken("acme", store.RoleRequester, time.Now(), time.Hour)
	if err := st.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: st, Decider: dec, Registry: reg, Log: lg, Metrics: metrics, ErrorStatus: status}))
	defer srv.Close()

	post := func(body string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/decisions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// An allowed request on personal data of FR subjects, counted against FR.
	good := `{"action":"access","data":{"location":"FR","categories":["personal.contact"],"subjects":{"FR":7}},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`
	counted := func() int64 {
		h, err := base.History(ctx, store.HistoryQuery{RequestingState: "FR", At: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		c, err := h.Sum(model.ScopeState, model.WindowRolling12m, "FR", "personal.contact")
		if err != nil {
			t.Fatal(err)
		}
		return c.Subjects
	}
	logSize := func() uint64 {
		// Every append so far went through the timed log.
		return readGauge(t, srv.URL, "accord_log_size")
	}

	if got := post(good); got != 201 {
		t.Fatalf("first decision: %d", got)
	}
	if counted() != 7 || logSize() != 1 {
		t.Fatalf("after one decision: %d counted, log size %d", counted(), logSize())
	}

	// 1. Validation fails: nothing logged, nothing counted.
	if got := post(`{"action":"access","data":{"location":"XX"}}`); got != 400 {
		t.Errorf("invalid: %d, want 400", got)
	}
	// 2. The counters cannot be read: nothing logged.
	st.historyDown.Store(true)
	if got := post(good); got != 503 {
		t.Errorf("history down: %d, want 503", got)
	}
	st.historyDown.Store(false)
	if counted() != 7 || logSize() != 1 {
		t.Errorf("after failures before the append: %d counted, log size %d; want 7, 1", counted(), logSize())
	}

	// 3. The commit fails after the append: 500, and a void entry names the
	// decision's index. The counts reserved before the append stay: an
	// overstated count can only make later decisions stricter.
	st.commitDown.Store(true)
	if got := post(good); got != 500 {
		t.Errorf("commit down: %d, want 500", got)
	}
	st.commitDown.Store(false)
	if counted() != 14 {
		t.Errorf("counted %d after a decision that was not committed; want its reserved 7 kept (14)", counted())
	}
	if logSize() != 3 {
		t.Errorf("log size %d after a voided decision, want 3 (decision + void)", logSize())
	}
	voids, err := base.ListVoids(ctx)
	if err != nil || len(voids) != 1 || voids[0].LogIndex != 1 || voids[0].VoidIndex != 2 {
		t.Fatalf("voids = %+v, %v; want index 1 voided by 2", voids, err)
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rc, err := lg.Receipt(rctx, 2)
	if err != nil {
		t.Fatalf("receipt of the void: %v", err)
	}
	e, err := rc.ParsedEntry()
	if err != nil || e.Kind != ledger.KindVoid || e.Refers == nil || *e.Refers != 1 {
		t.Errorf("entry 2 = %+v, %v; want a void naming 1", e, err)
	}

	// The log's read API is public, under /log/.
	resp, err := http.Get(srv.URL + "/log/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(cp), "accord.example/test\n") {
		t.Errorf("GET /log/checkpoint: %d %q", resp.StatusCode, cp)
	}

	// 4. The log refuses the append before queueing it: 503, nothing
	// stored, and the reserved counts are taken back (the entry can never
	// be on the log).
	logOpen = false
	lg.Close()
	if got := post(good); got != 503 {
		t.Errorf("log closed: %d, want 503", got)
	}
	if counted() != 14 {
		t.Errorf("counted %d after a decision the log refused; want 14 (its reservation taken back)", counted())
	}
}

// readGauge reads one unlabelled metric from /metrics.
func readGauge(t *testing.T, base, name string) uint64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	for _, line := range strings.Split(buf.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var n float64
			if _, err := fmt.Sscan(v, &n); err == nil {
				return uint64(n)
			}
		}
	}
	return 0
}

// BenchmarkBindingDecision measures logged decisions end to end over
// loopback HTTP: authentication, strict decoding, counters, evaluation,
// durable log append and the store transaction, from 64 concurrent clients
// on 2 CPUs (32 per CPU), with SQLite and the POSIX log under a temporary
// directory.
func BenchmarkBindingDecision(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	lg, err := ledger.Open(ctx, filepath.Join(dir, "log"), ledger.Options{Origin: "accord.example/bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer lg.Close()
	metrics := api.NewMetrics()
	dec, reg, status, err := newServeDecider(serveDeps{store: st, log: lg, metrics: metrics, packs: "auto"})
	if err != nil {
		b.Fatal(err)
	}
	if err := seedDemo(ctx, st, io.Discard, ""); err != nil {
		b.Fatal(err)
	}
	secret, tok, _ := store.NewToken("acme", store.RoleRequester, time.Now(), time.Hour)
	if err := st.CreateToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: st, Decider: dec, Registry: reg, Log: lg, Metrics: metrics, ErrorStatus: status, AuthCacheTTL: time.Second}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"action":"access","data":{"location":"FR","categories":["personal.contact"],"subjects":{%q:3}},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`,
				[]string{"FR", "DE", "BE", "IT", "ES", "NL"}[i%6])
			req, _ := http.NewRequest("POST", srv.URL+"/v1/decisions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+secret)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
}

// syncBuffer is a bytes.Buffer safe for the server's logger and the test
// to share.
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

// TestServeShutdown runs `accord serve --demo` in process, makes decisions,
// stops it as a signal would, and checks that it exits cleanly with every
// acknowledged decision in the published checkpoint.
func TestServeShutdown(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	// Earlier tests' logs may still have goroutines logging through klog.
	defer func(f func(*slog.Logger)) { routeTesseraLogs = f }(routeTesseraLogs)
	routeTesseraLogs = func(*slog.Logger) {}
	resetFlags(rootCmd)
	rootCmd.SetOut(&stdout)
	rootCmd.SetErr(&stderr)
	rootCmd.SetArgs([]string{"serve", "--demo", "--data", dir, "--addr", "127.0.0.1:0", "--checkpoint-interval", "200ms"})
	defer rootCmd.SetArgs(nil)
	done := make(chan error, 1)
	go func() { done <- rootCmd.ExecuteContext(ctx) }()

	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("serve ended before serving: %v\n%s%s", err, stdout.String(), stderr.String())
		default:
		}
		for _, line := range strings.Split(stderr.String(), "\n") {
			var l struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "accord serving" {
				base = l.URL
			}
		}
	}
	if base == "" {
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	env, err := os.ReadFile(filepath.Join(dir, demoTokensFile))
	if err != nil {
		t.Fatal(err)
	}
	var token string
	for _, line := range strings.Split(string(env), "\n") {
		if v, ok := strings.CutPrefix(line, "export ACCORD_TOKEN_REQUESTER="); ok {
			token = v
		}
	}
	var highest uint64
	for i := range 20 {
		req, _ := http.NewRequest("POST", base+"/v1/decisions", strings.NewReader(fmt.Sprintf(`{"action":"access","data":{"location":"FR","records":%d}}`, i+1)))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var rec api.DecisionRecord
		json.NewDecoder(resp.Body).Decode(&rec)
		resp.Body.Close()
		d := rec.Decision
		if resp.StatusCode != 201 || d.LogIndex == nil {
			t.Fatalf("decision %d: %d", i, resp.StatusCode)
		}
		highest = max(highest, *d.LogIndex)
	}
	cancel() // as SIGTERM does
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve ended with %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", stderr.String())
	}
	cp, err := os.ReadFile(filepath.Join(dir, "log", "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(cp), "\n")
	var size uint64
	if len(lines) < 2 {
		t.Fatalf("checkpoint %q", cp)
	}
	fmt.Sscan(lines[1], &size)
	if size <= highest {
		t.Errorf("checkpoint size %d after shutdown, want more than the highest acknowledged index %d", size, highest)
	}
	if strings.Contains(stderr.String(), `"records"`) {
		t.Error("request contents reached the server log")
	}
}
