package api_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/store"
)

// BenchmarkPostDecision measures the API's own work on POST /v1/decisions,
// in process with a fake decider: token check in SQLite, strict decoding,
// catalog labels, JSON answer.
func BenchmarkPostDecision(b *testing.B) {
	e := newEnv(b)
	if err := e.st.CreateDataset(context.Background(), store.Dataset{ID: "crm-eu", Location: "FR", Categories: []string{"personal.contact"}, Subjects: map[string]int64{"FR": 12}}); err != nil {
		b.Fatal(err)
	}
	h := api.New(*e.cfg)
	for _, c := range []struct{ name, body string }{
		{"inline labels", okRequest},
		{"catalog labels", `{"action":"access","data":{"dataset":"crm-eu"},"purpose":"commercial"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("POST", "/v1/decisions", strings.NewReader(c.body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+e.tokens[store.RoleRequester])
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != 201 {
						b.Fatalf("%d %s", w.Code, w.Body)
					}
				}
			})
		})
	}
}

// BenchmarkPostDecisionContract measures what the API contract adds to
// POST /v1/decisions: a fresh Idempotency-Key per request (a claim and a
// completion in SQLite), and the per-principal rate limiter (set high
// enough never to refuse), against the same request without either.
func BenchmarkPostDecisionContract(b *testing.B) {
	for _, c := range []struct {
		name       string
		key, limit bool
	}{
		{"plain", false, false},
		{"idempotency key", true, false},
		{"rate limit", false, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, func(cfg *api.Config) {
				if c.limit {
					cfg.RateLimit = &api.RateLimit{PerSecond: 1e9, Burst: 1e9}
				}
			})
			h := api.New(*e.cfg)
			var n atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("POST", "/v1/decisions", strings.NewReader(okRequest))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+e.tokens[store.RoleRequester])
					if c.key {
						req.Header.Set("Idempotency-Key", "k-"+strconv.FormatInt(n.Add(1), 10))
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != 201 {
						b.Fatalf("%d %s", w.Code, w.Body)
					}
				}
			})
		})
	}
}
