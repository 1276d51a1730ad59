package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/postgres"
	"github.com/accord-dev/accord/internal/store/sqlite"
	"github.com/accord-dev/accord/internal/store/storetest"
)

// bindingWorld is a real decider, log and store behind the API, with the
// demo world seeded.
type bindingWorld struct {
	t   *testing.T
	st  store.Store
	lg  *ledger.Log
	srv *httptest.Server
}

// stores opens each store kind the binding tests run on: SQLite, and
// PostgreSQL when ACCORD_TEST_POSTGRES names a server.
var stores = map[string]func(t *testing.T) store.Store{
	"sqlite": func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "accord.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
	"postgres": func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), storetest.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
}

func newBindingWorld(t *testing.T, st store.Store) *bindingWorld {
	t.Helper()
	ctx := context.Background()
	lg, err := ledger.Open(ctx, filepath.Join(t.TempDir(), "log"), ledger.Options{Origin: "accord.example/binding", CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	metrics := api.NewMetrics()
	dec, reg, status, err := newServeDecider(serveDeps{store: st, log: lg, metrics: metrics, packs: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	if err := seedDemo(ctx, st, io.Discard, ""); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: st, Decider: dec, Registry: reg, Log: lg, Metrics: metrics, ErrorStatus: status, SealLog: lg}))
	t.Cleanup(srv.Close)
	return &bindingWorld{t: t, st: st, lg: lg, srv: srv}
}

// token returns a requester token for a seeded principal.
func (w *bindingWorld) token(principal string) string {
	w.t.Helper()
	secret, tok, err := store.NewToken(principal, store.RoleRequester, time.Now(), time.Hour)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.st.CreateToken(context.Background(), tok); err != nil {
		w.t.Fatal(err)
	}
	return secret
}

// decide posts a binding decision and returns the status and outcome.
func (w *bindingWorld) decide(token, body string) (int, model.Outcome) {
	req, _ := http.NewRequest("POST", w.srv.URL+"/v1/decisions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var rec api.DecisionRecord
	_ = json.Unmarshal(b, &rec)
	d := rec.Decision
	if resp.StatusCode != http.StatusCreated {
		w.t.Errorf("decision: %d %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	return resp.StatusCode, d.Outcome
}

// thresholdCases are requests each under a regime's cumulative threshold,
// eleven of which fit under it and the twelfth does not; the other outcome
// is what the regime says past the threshold.
var thresholdCases = []struct {
	name, principal, body string
	past                  model.Outcome
}{
	{
		// Provisions art. 5(4): a non-CIIO exporting personal information of
		// fewer than 100,000 people since 1 January is exempt; 9,000 at a time.
		name: "cn-cbdf year to date", principal: "hanwei", past: model.Pending,
		body: `{"action":"transfer","data":{"location":"CN","origin":["CN"],"categories":["personal.contact"],"subjects":{"CN":9000}},
			"destination":"DE","purpose":"commercial","basis":{"kind":"consent","measures":["notice","separate-consent"]}}`,
	},
	{
		// 28 CFR 202.205: more than 10,000 U.S. persons' health data with
		// one counterparty over 12 months is bulk; 900 at a time.
		name: "us-dsp 12 months", principal: "hanwei", past: model.Deny,
		body: `{"action":"transfer","data":{"location":"US","origin":["US"],"categories":["personal.health"],"subjects":{"US":900}},
			"destination":"CN","purpose":"commercial","transaction":"data-brokerage","selectors":{"kind":"bulk"},"basis":{"kind":"contract"}}`,
	},
	{
		// GDSI commitment 3: 1,000 or more people of another state reached
		// by one state's authorities within 12 months is bulk; 90 at a time.
		name: "gdsi cumulative bulk", principal: "fbi", past: model.Pending,
		body: `{"action":"access","data":{"location":"US","categories":["personal.communications"],"subjects":{"DE":90}},
			"destination":"US","purpose":"national-security","selectors":{"kind":"specific","count":1},
			"basis":{"kind":"legal-obligation"}}`, // with no basis, every one waits (gdsi-3-unauthorized-collection, issue 19)
	},
}

// TestParallelThreshold: 64 binding requests sent at once, each under a
// regime's cumulative threshold and together far over it. Every serial
// order allows exactly 11 of them; so must any concurrent run, on each
// store. Before counters were reserved in the transaction that reads them,
// all 64 were allowed.
func TestParallelThreshold(t *testing.T) {
	for storeName, open := range stores {
		for _, tc := range thresholdCases {
			t.Run(storeName+"/"+tc.name, func(t *testing.T) {
				w := newBindingWorld(t, open(t))
				tok := w.token(tc.principal)
				var (
					wg     sync.WaitGroup
					mu     sync.Mutex
					counts = map[model.Outcome]int{}
				)
				for range 64 {
					wg.Go(func() {
						_, o := w.decide(tok, tc.body)
						mu.Lock()
						counts[o]++
						mu.Unlock()
					})
				}
				wg.Wait()
				if counts[model.Allow] != 11 || counts[tc.past] != 53 {
					t.Errorf("outcomes %v; want 11 allow and 53 %s, as every serial order gives", counts, tc.past)
				}
			})
		}
	}
}

// TestCountersFollowTheRegime: each regime counts by its own key, end to
// end through the server. The US DSP counts per U.S. person and foreign
// counterparty: once one importer's pair is past the threshold, another
// importer of the same exporter starts from zero. China counts per
// exporter: once the exporter is past the threshold, a new importer does
// not reset it, nor does a request that names no parties (its requester
// stands for the exporter).
func TestCountersFollowTheRegime(t *testing.T) {
	us := func(importer string) string {
		return `{"action":"transfer","exporter":{"id":"globex"},"importer":{"id":"` + importer + `"},
			"data":{"location":"US","origin":["US"],"categories":["personal.health"],"subjects":{"US":900}},
			"destination":"CN","purpose":"commercial","transaction":"data-brokerage","selectors":{"kind":"bulk"},"basis":{"kind":"consent"}}`
	}
	cn := func(parties string) string {
		return `{"action":"transfer",` + parties + `"data":{"location":"CN","origin":["CN"],"categories":["personal.contact"],"subjects":{"CN":9000}},
			"destination":"DE","purpose":"commercial","basis":{"kind":"consent","measures":["notice","separate-consent"]}}`
	}
	for storeName, open := range stores {
		t.Run(storeName, func(t *testing.T) {
			w := newBindingWorld(t, open(t))
			globex, hanwei := w.token("globex"), w.token("hanwei")
			steps := []struct {
				name, token, body string
				n                 int
				want              model.Outcome
			}{
				{"us-dsp: eleven to hanwei fit under 10,000", globex, us("hanwei"), 11, model.Allow},
				{"us-dsp: the twelfth to hanwei is bulk", globex, us("hanwei"), 1, model.Deny},
				{"us-dsp: another counterparty starts from zero", globex, us("mailco-cn"), 1, model.Allow},
				{"cn-cbdf: eleven by hanwei to acme fit under 100,000", hanwei, cn(`"exporter":{"id":"hanwei"},"importer":{"id":"acme"},`), 11, model.Allow},
				{"cn-cbdf: to another importer, the exporter's count goes on", hanwei, cn(`"exporter":{"id":"hanwei"},"importer":{"id":"bka"},`), 1, model.Pending},
				{"cn-cbdf: without parties, the requester is the exporter", hanwei, cn(``), 1, model.Pending},
			}
			for _, s := range steps {
				for i := range s.n {
					if status, _, d, body := w.post(s.token, "", s.body); d.Outcome != s.want {
						t.Fatalf("%s (%d of %d): %d %s, want %s: %.3000s", s.name, i+1, s.n, status, d.Outcome, s.want, body)
					}
				}
			}
		})
	}
}
