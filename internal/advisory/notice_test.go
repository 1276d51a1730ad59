package advisory

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

// memLog is an Appender that keeps entries in memory, validating each.
type memLog struct {
	mu      sync.Mutex
	entries []ledger.Entry
}

func (l *memLog) Append(_ context.Context, e ledger.Entry) (uint64, error) {
	if _, err := e.Marshal(); err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
	return uint64(len(l.entries) - 1), nil
}

// outboxFixture stores one deployment with the given webhook URL and one
// published advisory affecting it, and returns the store and secret.
func outboxFixture(t *testing.T, url string, now time.Time) (*sqlite.Store, string) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	secret, err := NewWebhookSecret()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDeployment(ctx, store.Deployment{ID: "plant-a", Owner: "acme", WebhookURL: url, WebhookSecret: secret, ContactRole: "secops", Created: now}); err != nil {
		t.Fatal(err)
	}
	a, err := Parse(read(t, "testdata/csaf/acme-2026-002-forced-upgrade.json"))
	if err != nil {
		t.Fatal(err)
	}
	comps := demoComponents(t)
	ms := NewIndex(comps).Match(a)
	fs := Lint(a)
	rec := store.AdvisoryRecord{Key: "acme/" + a.ID, Vendor: "acme", ID: a.ID, Format: a.Format, Document: []byte("{}"), Envelope: []byte("{}"),
		Severity: a.Severity(), Flags: Rules(fs), Affected: len(Deployments(ms)), LogIndex: 0, Published: now, Discovered: a.Discovered}
	ns, err := Notices(rec, a, fs, ms, now)
	if err != nil || len(ns) != 1 {
		t.Fatalf("notices: %v %+v", err, ns)
	}
	if err := s.PublishAdvisory(ctx, rec, ns); err != nil {
		t.Fatal(err)
	}
	return s, secret
}

func TestDeliverVerifiedNotice(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	var (
		secret string
		got    atomic.Value
		seen   atomic.Int32
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Error(err)
		}
		if err := wh.Verify(body, r.Header); err != nil {
			t.Errorf("the receiver could not verify the notice: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		seen.Add(1)
		got.Store(body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s, sec := outboxFixture(t, srv.URL, now)
	secret = sec
	log := &memLog{}
	d := &Deliverer{Store: s, Log: log, Client: srv.Client()}
	n, err := d.RunOnce(context.Background())
	if err != nil || n != 1 || seen.Load() != 1 {
		t.Fatalf("RunOnce: %d, %v; receiver saw %d", n, err, seen.Load())
	}
	var p NoticePayload
	if err := json.Unmarshal(got.Load().([]byte), &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != NoticeType || p.Data.Deployment != "plant-a" || p.Data.Advisory != "ACME-2026-002" || len(p.Data.Lint) != 1 || p.Data.Lint[0].Rule != RuleForcedUpgrade {
		t.Errorf("payload: %+v", p)
	}
	ns, _ := s.ListNotices(context.Background(), store.NoticeDelivered)
	if len(ns) != 1 || !ns[0].Logged {
		t.Fatalf("delivered: %+v", ns)
	}
	if len(log.entries) != 1 || log.entries[0].Kind != ledger.KindNotice || log.entries[0].Outcome != "delivered" ||
		log.entries[0].SincePublished == nil || log.entries[0].SinceDiscovered == nil || *log.entries[0].SinceDiscovered < 86400 {
		t.Errorf("log: %+v", log.entries)
	}
	// Nothing is due any more: a delivered notice is not sent twice.
	if n, _ := d.RunOnce(context.Background()); n != 0 {
		t.Errorf("%d notices sent again", n)
	}
}

func TestDeliverRetriesThenDeadLetters(t *testing.T) {
	clock := time.Now().UTC().Truncate(time.Second)
	var ids []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get("webhook-id"))
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	s, _ := outboxFixture(t, srv.URL, clock)
	log := &memLog{}
	d := &Deliverer{Store: s, Log: log, Client: srv.Client(), MaxAttempts: 3, Backoff: time.Minute, Now: func() time.Time { return clock }}
	ctx := context.Background()
	for i, wait := range []time.Duration{0, time.Minute, 2 * time.Minute} {
		clock = clock.Add(wait - time.Second)
		if n, _ := d.RunOnce(ctx); n != 0 && i > 0 {
			t.Fatalf("attempt %d ran before its backoff (%d)", i+1, n)
		}
		clock = clock.Add(time.Second)
		if n, _ := d.RunOnce(ctx); n != 1 {
			t.Fatalf("attempt %d: %d notices due", i+1, n)
		}
	}
	dead, _ := s.ListNotices(ctx, store.NoticeDead)
	if len(dead) != 1 || dead[0].Attempts != 3 || dead[0].LastStatus != 500 {
		t.Fatalf("dead letters: %+v", dead)
	}
	if len(ids) != 3 || ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("webhook ids across retries: %v (want one id, three times)", ids)
	}
	if len(log.entries) != 1 || log.entries[0].Outcome != "failed" {
		t.Errorf("log: %+v", log.entries)
	}
}

func TestDeliverHangingReceiverIsBounded(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	s, _ := outboxFixture(t, srv.URL, time.Now().UTC().Truncate(time.Second))
	d := &Deliverer{Store: s, Client: srv.Client(), AttemptTimeout: 200 * time.Millisecond}
	start := time.Now()
	if n, err := d.RunOnce(context.Background()); n != 1 || err != nil {
		t.Fatalf("RunOnce: %d %v", n, err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("a hanging receiver held the deliverer for %v", el)
	}
	ns, _ := s.ListNotices(context.Background(), store.NoticePending)
	if len(ns) != 1 || ns[0].Attempts != 1 || ns[0].LastStatus != 0 {
		t.Errorf("after a timeout: %+v", ns)
	}
}

// BenchmarkDeliver measures notices delivered per second to a loopback
// receiver that verifies each one.
func BenchmarkDeliver(b *testing.B) {
	ctx := context.Background()
	now := time.Now().UTC()
	var secret string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		wh, _ := standardwebhooks.NewWebhook(secret)
		if wh.Verify(body, r.Header) != nil {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(204)
	}))
	defer srv.Close()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "accord.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	secret, _ = NewWebhookSecret()
	if err := s.CreateDeployment(ctx, store.Deployment{ID: "d", Owner: "o", WebhookURL: srv.URL, WebhookSecret: secret, Created: now}); err != nil {
		b.Fatal(err)
	}
	d := &Deliverer{Store: s, Log: &memLog{}, Client: srv.Client()}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		const batch = 100
		var ns []store.Notice
		key := "v/" + time.Now().String() + string(rune('a'+i%26))
		i++
		for j := range batch {
			ns = append(ns, store.Notice{WebhookID: NewWebhookID(), AdvisoryKey: key, Deployment: "d", Payload: []byte(`{"type":"advisory.notice"}`), State: store.NoticePending, NextAttempt: now, Created: now.Add(time.Duration(j))})
		}
		// One notice per (advisory, deployment): a batch is 100 advisories.
		for j := range ns {
			ns[j].AdvisoryKey = key + "/" + string(rune('0'+j%10)) + string(rune('0'+j/10))
			if err := s.PublishAdvisory(ctx, store.AdvisoryRecord{Key: ns[j].AdvisoryKey, Vendor: "v", ID: ns[j].AdvisoryKey, Severity: "high", Published: now}, ns[j:j+1]); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if n, err := d.RunOnce(ctx); n != batch || err != nil {
			b.Fatalf("%d %v", n, err)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "notices/s")
}

// TestTwoDeliverersDeliverOnce: two deliverers sharing the store (two
// serve processes on one database) deliver and log a notice once.
func TestTwoDeliverersDeliverOnce(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(50 * time.Millisecond)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s, _ := outboxFixture(t, srv.URL, time.Now().UTC().Truncate(time.Second))
	log := &memLog{}
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &Deliverer{Store: s, Log: log, Client: srv.Client()}
			if _, err := d.RunOnce(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if hits.Load() != 1 || len(log.entries) != 1 {
		t.Errorf("receiver hit %d times, %d notice entries (want 1 and 1)", hits.Load(), len(log.entries))
	}
}

func TestRefuseMetadataAddrs(t *testing.T) {
	for addr, ok := range map[string]bool{
		"169.254.169.254:80": false, "[fe80::1]:443": false, "0.0.0.0:80": false, "[::]:80": false, "224.0.0.1:80": false,
		"127.0.0.1:8080": true, "10.1.2.3:443": true, "93.184.216.34:443": true,
	} {
		if err := refuseMetadataAddrs("tcp", addr, nil); (err == nil) != ok {
			t.Errorf("%s: %v", addr, err)
		}
	}
	// Through the default client: a notice to the metadata address is one
	// failed attempt, never a request.
	s, _ := outboxFixture(t, "http://169.254.169.254/latest/meta-data", time.Now().UTC().Truncate(time.Second))
	d := &Deliverer{Store: s, AttemptTimeout: time.Second}
	if n, err := d.RunOnce(context.Background()); n != 1 || err != nil {
		t.Fatalf("%d %v", n, err)
	}
	ns, _ := s.ListNotices(context.Background(), store.NoticePending)
	if len(ns) != 1 || ns[0].Attempts != 1 || ns[0].LastStatus != 0 {
		t.Errorf("%+v", ns)
	}
}
