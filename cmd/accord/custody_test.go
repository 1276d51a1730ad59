package main

import (
	"bytes"
	"context"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/custody"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/store"
)

// custodyWorld is the scenario of docs/custody.md: a real decider, log and
// store behind the API, and three custodians (FR, CN, CH) over HTTP, each
// reading the decision log over HTTP through a proxy the test can cut.
type custodyWorld struct {
	*bindingWorld
	urls     map[string]string
	pubs     map[string]hpke.PublicKey
	releases map[string]*ledger.Log
	offset   atomic.Int64 // added to the custodians' clock
	frVeto   atomic.Bool  // the FR custodian applies its own pack
	logProxy *httptest.Server
}

func newCustodyWorld(t *testing.T) *custodyWorld {
	t.Helper()
	w := &custodyWorld{bindingWorld: newBindingWorld(t, stores["sqlite"](t)), urls: map[string]string{}, pubs: map[string]hpke.PublicKey{}, releases: map[string]*ledger.Log{}}
	ctx := context.Background()
	if err := w.st.CreateDataset(ctx, store.Dataset{ID: "logs-fr", Location: "FR", Origin: []string{"FR"}, Categories: []string{"technical.logs"}, Records: 3000, Classification: "general"}); err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(w.srv.URL)
	w.logProxy = httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	t.Cleanup(w.logProxy.Close)
	src, err := ledger.OpenSource(w.logProxy.URL+"/log", nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Load()
	if err != nil {
		t.Fatal(err)
	}
	eng, names, err := compilePacks(reg, filepath.Join("..", "..", "examples", "custody", "fr-custodian.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	frPack := packVeto{eng: eng, names: names}
	for _, id := range []string{"fr", "cn", "ch"} {
		key, err := custody.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		rel, err := ledger.Open(ctx, filepath.Join(t.TempDir(), id), ledger.Options{Origin: "accord.custodian/" + id, CheckpointInterval: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rel.Close() })
		cfg := custody.CustodianConfig{ID: id, Key: key, Log: src, Verifier: w.lg.Verifier(), Origin: w.lg.Origin(), Releases: rel,
			Now: func() time.Time { return time.Now().Add(time.Duration(w.offset.Load())) }}
		if id == "fr" {
			cfg.Veto = custody.VetoFunc(func(ctx context.Context, r *custody.Release) error {
				if !w.frVeto.Load() {
					return nil
				}
				return frPack.Veto(ctx, r)
			})
		}
		c, err := custody.NewCustodian(cfg)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("POST /v1/release", c)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		w.urls[id], w.pubs[id], w.releases[id] = srv.URL, key.PublicKey(), rel
	}
	return w
}

// seal seals plain as dataset, 2-of-3 to FR, CN and CH, FR holding a veto.
func (w *custodyWorld) seal(dataset string, plain []byte) []byte {
	w.t.Helper()
	labels, err := custody.FetchLabels(context.Background(), nil, w.srv.URL, w.token("acme"), dataset)
	if err != nil {
		w.t.Fatal(err)
	}
	var keys []custody.CustodianKey
	for _, id := range []string{"fr", "cn", "ch"} {
		keys = append(keys, custody.CustodianKey{ID: id, URL: w.urls[id], PublicKey: w.pubs[id]})
	}
	var buf bytes.Buffer
	h, err := custody.Seal(&buf, bytes.NewReader(plain), custody.SealOptions{Dataset: dataset, Labels: labels, Custodians: keys, K: 2, Vetoes: []string{"fr"}})
	if err != nil {
		w.t.Fatal(err)
	}
	idx, priv, err := custody.LogSeal(context.Background(), nil, w.srv.URL, w.operator(), h)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rc, err := w.lg.Receipt(ctx, idx)
	if err != nil {
		w.t.Fatal(err)
	}
	var compact bytes.Buffer
	json.Compact(&compact, priv.Record) // the answer was indented
	priv.Record = compact.Bytes()
	e, err := rc.ParsedEntry()
	if err != nil || e.Kind != ledger.KindSeal || e.Subject != dataset || e.Threshold != 2 || strings.Join(e.Custodians, ",") != "fr,cn,ch" || ledger.VerifyPrivate(e, *priv) != nil {
		w.t.Fatalf("seal entry %s: %v", rc.Entry, err)
	}
	return buf.Bytes()
}

// operator returns an operator token.
func (w *custodyWorld) operator() string {
	w.t.Helper()
	secret, tok, err := store.NewToken("demo-operator", store.RoleOperator, time.Now(), time.Hour)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.st.CreateToken(context.Background(), tok); err != nil {
		w.t.Fatal(err)
	}
	return secret
}

// TestSealsEndpoint: POST /v1/seals logs only a header whose dataset is in
// the catalog with the labels the header binds, and only for an operator.
func TestSealsEndpoint(t *testing.T) {
	w := newCustodyWorld(t)
	key, _ := custody.GenerateKey()
	keys := []custody.CustodianKey{{ID: "fr", PublicKey: key.PublicKey()}}
	sealWith := func(dataset, labels string) *custody.Header {
		h, err := custody.Seal(io.Discard, strings.NewReader("x"), custody.SealOptions{Dataset: dataset, Labels: []byte(labels), Custodians: keys, K: 1})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	catalog, err := custody.FetchLabels(context.Background(), nil, w.srv.URL, w.operator(), "crm-eu")
	if err != nil {
		t.Fatal(err)
	}
	op := w.operator()
	for _, c := range []struct {
		name  string
		h     *custody.Header
		token string
		want  string
	}{
		{"catalog labels", sealWith("crm-eu", string(catalog)), op, ""},
		{"labels not the catalog's", sealWith("crm-eu", `{"location":"DE"}`), op, "409"},
		{"unknown dataset", sealWith("no-such", string(catalog)), op, "400"},
		{"requester may not", sealWith("crm-eu", string(catalog)), w.token("acme"), "403"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := custody.LogSeal(context.Background(), nil, w.srv.URL, c.token, c.h)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
	// A body that is not a header names the field and logs nothing.
	req, _ := http.NewRequest("POST", w.srv.URL+"/v1/seals", strings.NewReader(`{"header":"AAAA"}`))
	req.Header.Set("Authorization", "Bearer "+op)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), `"field":"header"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}

// decideFor asks a binding decision as principal, naming key as recipient,
// and returns its id and outcome.
func (w *custodyWorld) decideFor(token string, key hpke.PrivateKey, body string) (string, string) {
	w.t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		w.t.Fatal(err)
	}
	m["recipient"] = custody.EncodePublicKey(key.PublicKey())
	b, _ := json.Marshal(m)
	req, _ := http.NewRequest("POST", w.srv.URL+"/v1/decisions", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var d struct {
		Decision struct{ ID, Outcome string } `json:"decision"`
	}
	json.Unmarshal(raw, &d)
	if resp.StatusCode != http.StatusCreated {
		w.t.Fatalf("decision: %d %s", resp.StatusCode, raw)
	}
	return d.Decision.ID, d.Decision.Outcome
}

// open fetches decision id with token and opens sealed with key; it
// returns the plaintext, and each custodian's refusal code.
func (w *custodyWorld) open(sealed []byte, token, id string, key hpke.PrivateKey) ([]byte, map[string]string, error) {
	w.t.Helper()
	d, err := custody.FetchDecision(context.Background(), nil, w.srv.URL, token, id, 10*time.Second)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.openWith(sealed, d, key)
}

func (w *custodyWorld) openWith(sealed []byte, d *custody.Decision, key hpke.PrivateKey) ([]byte, map[string]string, error) {
	var out bytes.Buffer
	_, err := custody.OpenFile(context.Background(), &out, bytes.NewReader(sealed), custody.OpenOptions{Decision: d, Key: key})
	codes := map[string]string{}
	var oe *custody.OpenError
	if errors.As(err, &oe) {
		for _, e := range oe.Custodians {
			var ref *custody.Refusal
			if errors.As(e, &ref) {
				codes[ref.Custodian] = ref.Code
			} else {
				codes["?"] = e.Error()
			}
		}
	}
	return out.Bytes(), codes, err
}

const (
	allowBody = `{"action":"access","data":{"dataset":"crm-eu"},"destination":"CN","purpose":"maintenance","basis":{"kind":"contract","measures":["scc"]}}`
	denyBody  = `{"action":"access","data":{"dataset":"crm-eu"},"destination":"US","purpose":"national-security","selectors":{"kind":"bulk"}}`
	logsBody  = `{"action":"access","data":{"dataset":"logs-fr"},"destination":"CN","purpose":"maintenance","basis":{"kind":"contract"}}`
)

func sameCodes(got map[string]string, want string, ids ...string) bool {
	if len(got) != len(ids) {
		return false
	}
	for _, id := range ids {
		if got[id] != want {
			return false
		}
	}
	return true
}

// TestCustodyScenario is docs/custody.md's scenario: a dataset located in
// FR, sealed 2-of-3 to custodians in FR (holding a veto), CN and CH.
func TestCustodyScenario(t *testing.T) {
	w := newCustodyWorld(t)
	plain := bytes.Repeat([]byte("FR,customer,contact\n"), 5000)
	sealed := w.seal("crm-eu", plain)
	hanwei, acme, bka := w.token("hanwei"), w.token("acme"), w.token("bka")
	hanweiKey, _ := custody.GenerateKey()
	acmeKey, _ := custody.GenerateKey()
	bkaKey, _ := custody.GenerateKey()

	// A requester in CN gets an allowing decision and opens the file.
	allowID, outcome := w.decideFor(hanwei, hanweiKey, allowBody)
	if outcome != "allow" {
		t.Fatalf("hanwei: %s, want allow", outcome)
	}
	start := time.Now()
	got, codes, err := w.open(sealed, hanwei, allowID, hanweiKey)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("allowed requester: %v %v", err, codes)
	}
	t.Logf("end-to-end open with 3 custodians on loopback: %s", time.Since(start))
	for id, rel := range w.releases {
		var count int
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := rel.Receipt(ctx, 0); err != nil {
			t.Errorf("custodian %s: no durable release entry: %v", id, err)
		}
		cancel()
		rel.Entries(context.Background(), 0, 1, func(_ uint64, e ledger.Entry) error {
			if e.Kind == ledger.KindRelease {
				count++
			}
			return nil
		})
		if count != 1 {
			t.Errorf("custodian %s: %d release entries, want 1", id, count)
		}
	}
	d, err := custody.FetchDecision(context.Background(), nil, w.srv.URL, hanwei, allowID, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("denied requester gets no share", func(t *testing.T) {
		id, outcome := w.decideFor(bka, bkaKey, denyBody)
		if outcome != "deny" {
			t.Fatalf("bka: %s, want deny", outcome)
		}
		_, codes, err := w.open(sealed, bka, id, bkaKey)
		if !errors.Is(err, custody.ErrTooFewShares) || !sameCodes(codes, custody.RefuseNotAllow, "fr", "cn", "ch") {
			t.Fatalf("%v %v", err, codes)
		}
	})
	t.Run("receipt for another dataset", func(t *testing.T) {
		id, outcome := w.decideFor(hanwei, hanweiKey, logsBody)
		if outcome != "allow" {
			t.Fatalf("logs-fr: %s, want allow", outcome)
		}
		_, codes, err := w.open(sealed, hanwei, id, hanweiKey)
		if !errors.Is(err, custody.ErrTooFewShares) || !sameCodes(codes, custody.RefuseWrongDataset, "fr", "cn", "ch") {
			t.Fatalf("%v %v", err, codes)
		}
	})
	t.Run("another requester replays the receipt", func(t *testing.T) {
		// acme cannot read hanwei's decision from the server…
		if _, err := custody.FetchDecision(context.Background(), nil, w.srv.URL, acme, allowID, 0); err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("acme read hanwei's decision: %v", err)
		}
		// …and with a leaked copy of receipt and record, its own key is not
		// the decision's recipient.
		_, codes, err := w.openWith(sealed, d, acmeKey)
		if !errors.Is(err, custody.ErrTooFewShares) || !sameCodes(codes, custody.RefuseWrongRequester, "fr", "cn", "ch") {
			t.Fatalf("%v %v", err, codes)
		}
	})
	t.Run("voided decision", func(t *testing.T) {
		id, _ := w.decideFor(hanwei, hanweiKey, allowBody)
		vd, err := custody.FetchDecision(context.Background(), nil, w.srv.URL, hanwei, id, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		vi, err := w.lg.Append(context.Background(), ledger.VoidEntry(vd.Receipt.Index, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := w.lg.Receipt(ctx, vi); err != nil {
			t.Fatal(err)
		}
		_, codes, err := w.openWith(sealed, vd, hanweiKey)
		if !errors.Is(err, custody.ErrTooFewShares) || !sameCodes(codes, custody.RefuseVoided, "fr", "cn", "ch") {
			t.Fatalf("%v %v", err, codes)
		}
	})
	t.Run("expired window", func(t *testing.T) {
		w.offset.Store(int64(16 * time.Minute))
		defer w.offset.Store(0)
		_, codes, err := w.openWith(sealed, d, hanweiKey)
		if !errors.Is(err, custody.ErrTooFewShares) || !sameCodes(codes, custody.RefuseExpired, "fr", "cn", "ch") {
			t.Fatalf("%v %v", err, codes)
		}
	})
	t.Run("FR custodian's own pack vetoes", func(t *testing.T) {
		w.frVeto.Store(true)
		defer w.frVeto.Store(false)
		_, codes, err := w.openWith(sealed, d, hanweiKey)
		// CN and CH release: two shares, k=2, and still no key, because
		// FR holds a veto.
		if !errors.Is(err, custody.ErrVetoMissing) || !sameCodes(codes, custody.RefuseVetoed, "fr") {
			t.Fatalf("%v %v", err, codes)
		}
	})
	t.Run("unreachable log", func(t *testing.T) {
		w.logProxy.Close()
		_, codes, err := w.openWith(sealed, d, hanweiKey)
		if !errors.Is(err, custody.ErrTooFewShares) || !sameCodes(codes, custody.RefuseLogUnreachable, "fr", "cn", "ch") {
			t.Fatalf("%v %v", err, codes)
		}
	})
}
