package custody

import (
	"bytes"
	"context"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
)

// memLog is a release log in memory; fail makes Append fail.
type memLog struct {
	mu      sync.Mutex
	entries []ledger.Entry
	fail    bool
}

func (m *memLog) Append(_ context.Context, e ledger.Entry) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return 0, errors.New("disk full")
	}
	if _, err := e.Marshal(); err != nil {
		return 0, err
	}
	m.entries = append(m.entries, e)
	return uint64(len(m.entries) - 1), nil
}

func (m *memLog) count() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.entries) }

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// witnessed is a witness quorum that every checkpoint satisfies.
type witnessed struct{}

func (witnessed) Satisfied([]byte) bool { return true }

// failSource is a decision log that cannot be read.
type failSource struct{}

func (failSource) ReadCheckpoint(context.Context) ([]byte, error) {
	return nil, errors.New("connection refused")
}
func (failSource) ReadTile(context.Context, uint64, uint64, uint8) ([]byte, error) {
	return nil, errors.New("connection refused")
}
func (failSource) ReadEntryBundle(context.Context, uint64, uint8) ([]byte, error) {
	return nil, errors.New("connection refused")
}

// world is a decision log, three custodians' keys, a sealed file and a
// requester's key.
type world struct {
	t         testing.TB
	lg        *ledger.Log
	privs     []hpke.PrivateKey
	sealed    []byte
	h         *Header
	plain     []byte
	recipient hpke.PrivateKey
	now       time.Time
}

func newWorld(t testing.TB) *world {
	t.Helper()
	lg, err := ledger.Open(context.Background(), filepath.Join(t.TempDir(), "log"), ledger.Options{Origin: "accord.example/custody", CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	privs, keys := testCustodians(t, 3)
	plain := bytes.Repeat([]byte("FR,patient-row\n"), 1000)
	sealed, h := sealBytes(t, plain, keys, 2)
	rk, _ := GenerateKey()
	return &world{t: t, lg: lg, privs: privs, sealed: sealed, h: h, plain: plain, recipient: rk, now: time.Now().UTC().Truncate(time.Second)}
}

// decide logs a decision (allow for dataset health-fr to w.recipient,
// unless edit changes it) and returns its receipt and private record.
func (w *world) decide(edit func(*model.Request, *model.Decision)) (*ledger.Receipt, *ledger.Private) {
	w.t.Helper()
	req := &model.Request{
		Action:    model.ActionAccess,
		Requester: model.Principal{ID: "mps", Kind: "state-authority", Role: "law-enforcement", Jurisdiction: "CN"},
		Data:      model.Data{Dataset: "health-fr", Location: "FR", Origin: []string{"FR"}, Categories: []string{"personal.health"}},
		Purpose:   model.PurposeLawEnforcement, Destination: "CN",
		Recipient: EncodePublicKey(w.recipient.PublicKey()),
	}
	dec := &model.Decision{ID: "d-1", Outcome: model.Allow, Binding: true, Time: w.now}
	if edit != nil {
		edit(req, dec)
	}
	req.Time = dec.Time
	e, p, err := ledger.DecisionEntry(req, dec)
	if err != nil {
		w.t.Fatal(err)
	}
	idx, err := w.lg.Append(context.Background(), e)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.receipt(idx), &p
}

func (w *world) receipt(idx uint64) *ledger.Receipt {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := w.lg.Receipt(ctx, idx)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// custodian builds custodian i over the world's log.
func (w *world) custodian(i int, edit func(*CustodianConfig)) (*Custodian, *memLog) {
	w.t.Helper()
	rel := &memLog{}
	cfg := CustodianConfig{ID: w.h.Custodians[i].ID, Key: w.privs[i], Log: w.lg.Source(), Verifier: w.lg.Verifier(), Origin: w.lg.Origin(),
		Releases: rel, Now: func() time.Time { return w.now.Add(time.Minute) }}
	if edit != nil {
		edit(&cfg)
	}
	c, err := NewCustodian(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	return c, rel
}

func (w *world) request(r *ledger.Receipt, p *ledger.Private) *ReleaseRequest {
	return &ReleaseRequest{Header: w.h.Raw(), Receipt: r, Private: p, Recipient: EncodePublicKey(w.recipient.PublicKey())}
}

func TestReleaseOpens(t *testing.T) {
	w := newWorld(t)
	r, p := w.decide(nil)
	var shares []Share
	for _, i := range []int{1, 2} {
		c, rel := w.custodian(i, nil)
		resp, ref := c.Release(context.Background(), w.request(r, p))
		if ref != nil {
			t.Fatalf("custodian %d: %v", i, ref)
		}
		if rel.count() != 1 || rel.entries[0].Kind != ledger.KindRelease || *rel.entries[0].Refers != r.Index {
			t.Fatalf("custodian %d: release log %+v", i, rel.entries)
		}
		raw, _ := rel.entries[0].Marshal()
		if bytes.Contains(raw, []byte("health-fr")) || bytes.Contains(raw, []byte(EncodePublicKey(w.recipient.PublicKey()))) {
			t.Fatalf("release entry shows a dataset id or key: %s", raw)
		}
		s, err := w.h.OpenRelease(w.recipient, resp)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, s)
		// Someone else's key cannot open the answer.
		other, _ := GenerateKey()
		if _, err := w.h.OpenRelease(other, resp); err == nil {
			t.Fatal("another key opened the released share")
		}
	}
	got, err := openBytes(w.sealed, shares)
	if err != nil || !bytes.Equal(got, w.plain) {
		t.Fatalf("open: %v", err)
	}
}

// TestReleaseRefusals: each check refuses with its own code, and a refusal
// logs nothing.
func TestReleaseRefusals(t *testing.T) {
	w := newWorld(t)
	good, goodP := w.decide(nil)
	deny, denyP := w.decide(func(_ *model.Request, d *model.Decision) { d.Outcome = model.Deny })
	pending, pendingP := w.decide(func(_ *model.Request, d *model.Decision) { d.Outcome = model.Pending })
	other, otherP := w.decide(func(r *model.Request, _ *model.Decision) { r.Data.Dataset = "crm-fr" })
	moved, movedP := w.decide(func(r *model.Request, _ *model.Decision) { r.Data.Location = "DE" })
	nokey, nokeyP := w.decide(func(r *model.Request, _ *model.Decision) { r.Recipient = "" })
	collect, collectP := w.decide(func(r *model.Request, _ *model.Decision) { r.Action = model.ActionCollect })
	future, futureP := w.decide(func(_ *model.Request, d *model.Decision) { d.Time = w.now.Add(time.Hour) })
	voided, voidedP := w.decide(nil)
	vi, err := w.lg.Append(context.Background(), ledger.VoidEntry(voided.Index, w.now))
	if err != nil {
		t.Fatal(err)
	}
	w.receipt(vi) // wait until the void is published

	alteredEntry := *good
	alteredEntry.Entry = json.RawMessage(strings.Replace(string(good.Entry), `"outcome":"allow"`, `"outcome":"deny"`, 1))
	alteredProof := *good
	alteredProof.LeafHash = bytes.Clone(good.LeafHash)
	alteredProof.LeafHash[0] ^= 1
	// A receipt from another log, with another key, for a decision that
	// otherwise passes everything.
	w2 := newWorld(t)
	w2.recipient, w2.now = w.recipient, w.now
	foreign, foreignP := w2.decide(nil)
	badSalt := *goodP
	badSalt.Salt = bytes.Clone(goodP.Salt)
	badSalt.Salt[0] ^= 1
	otherKey, _ := GenerateKey()
	// The same file with custodian 0's sealed share damaged.
	var h2 Header
	json.Unmarshal(bytes.Clone(w.h.Raw()), &h2)
	h2.Custodians[0].Share[50] ^= 1
	h2.marshal()

	// A witness policy whose only witness never cosigned this log.
	wv, err := note.NewEd25519VerifierKey("witness.example", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	unwitnessed, err := ledger.ParseWitnessPolicy([]byte("witness w " + wv + " https://witness.example\nquorum w\n"))
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	mod := func(f func(*ReleaseRequest)) *ReleaseRequest {
		rq := w.request(good, goodP)
		f(rq)
		return rq
	}
	cases := []struct {
		name string
		req  *ReleaseRequest
		cfg  func(*CustodianConfig)
		code string
	}{
		{"missing receipt", mod(func(r *ReleaseRequest) { r.Receipt = nil }), nil, RefuseBadRequest},
		{"garbage header", mod(func(r *ReleaseRequest) { r.Header = []byte(`{"v":1}`) }), nil, RefuseBadRequest},
		{"recipient not a key", mod(func(r *ReleaseRequest) { r.Recipient = "AAAA" }), nil, RefuseBadRequest},
		{"not this custodian", w.request(good, goodP), func(c *CustodianConfig) { c.Key = otherKey }, RefuseNotCustodian},
		{"entry altered", mod(func(r *ReleaseRequest) { r.Receipt = &alteredEntry }), nil, RefuseReceiptInvalid},
		{"leaf hash altered", mod(func(r *ReleaseRequest) { r.Receipt = &alteredProof }), nil, RefuseReceiptInvalid},
		{"receipt of another log", w.request(foreign, foreignP), nil, RefuseReceiptInvalid},
		{"index past the log", mod(func(r *ReleaseRequest) { rr := *good; rr.Index = 1 << 40; r.Receipt = &rr }), nil, RefuseReceiptInvalid},
		{"checkpoint not witnessed", w.request(good, goodP), func(c *CustodianConfig) { c.Witnesses = unwitnessed }, RefuseUnwitnessed},
		{"private record altered", mod(func(r *ReleaseRequest) { r.Private = &badSalt }), nil, RefuseRecordInvalid},
		{"record of another decision", mod(func(r *ReleaseRequest) { r.Private = otherP }), nil, RefuseRecordInvalid},
		{"deny", w.request(deny, denyP), nil, RefuseNotAllow},
		{"pending", w.request(pending, pendingP), nil, RefuseNotAllow},
		{"void entry as decision", mod(func(r *ReleaseRequest) { r.Receipt = w.receipt(vi) }), nil, RefuseRecordInvalid},
		{"receipt for another dataset", w.request(other, otherP), nil, RefuseWrongDataset},
		{"decision judged another location", w.request(moved, movedP), nil, RefuseWrongDataset},
		{"replayed by another requester", mod(func(r *ReleaseRequest) { r.Recipient = EncodePublicKey(otherKey.PublicKey()) }), nil, RefuseWrongRequester},
		{"decision names no recipient", w.request(nokey, nokeyP), nil, RefuseWrongRequester},
		{"collect does not release", w.request(collect, collectP), nil, RefuseWrongAction},
		{"expired window", w.request(good, goodP), func(c *CustodianConfig) { c.Now = func() time.Time { return w.now.Add(16 * time.Minute) } }, RefuseExpired},
		{"shorter window", w.request(good, goodP), func(c *CustodianConfig) { c.Window = 30 * time.Second }, RefuseExpired},
		{"dated in the future", w.request(future, futureP), nil, RefuseExpired},
		{"voided", w.request(voided, voidedP), nil, RefuseVoided},
		{"log unreachable", w.request(good, goodP), func(c *CustodianConfig) { c.Log = failSource{} }, RefuseLogUnreachable},
		{"vetoed", w.request(good, goodP), func(c *CustodianConfig) {
			c.Veto = VetoFunc(func(context.Context, *Release) error { return errors.New("FR authorization missing") })
		}, RefuseVetoed},
		{"share damaged", mod(func(r *ReleaseRequest) { r.Header = h2.Raw() }), nil, RefuseShareInvalid},
		{"release log down", w.request(good, goodP), func(c *CustodianConfig) { c.Releases = &memLog{fail: true} }, RefuseReleaseUnlogged},
		{"release record not kept", w.request(good, goodP), func(c *CustodianConfig) { c.Records = failWriter{} }, RefuseReleaseUnlogged},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cust, rel := w.custodian(0, c.cfg)
			resp, ref := cust.Release(context.Background(), c.req)
			if ref == nil || ref.Code != c.code {
				t.Fatalf("got %+v, %v; want refusal %s", resp, ref, c.code)
			}
			logged := 0
			if c.name == "release record not kept" {
				logged = 1 // logged, not released: the safe side
			}
			if resp != nil || rel.count() != logged {
				t.Fatalf("refused but answered or logged: %+v, %d entries", resp, rel.count())
			}
			seen[c.code] = true
		})
	}
	for _, code := range Refusals {
		if !seen[code] {
			t.Errorf("refusal code %s has no test", code)
		}
	}
	// The same request passes when nothing is wrong: the cases above are
	// refused for their own reason.
	cust, _ := w.custodian(0, func(c *CustodianConfig) { c.Witnesses = witnessed{} })
	if _, ref := cust.Release(context.Background(), w.request(good, goodP)); ref != nil {
		t.Fatalf("good request refused: %v", ref)
	}
}

func TestReleaseHTTP(t *testing.T) {
	w := newWorld(t)
	r, p := w.decide(nil)
	c, _ := w.custodian(0, nil)
	srv := httptest.NewServer(c)
	defer srv.Close()
	body, _ := json.Marshal(w.request(r, p))
	for _, tc := range []struct {
		method, body string
		status       int
		code         string
	}{
		{"POST", string(body), 200, ""},
		{"GET", "", 405, RefuseBadRequest},
		{"POST", `{"header":1}`, 400, RefuseBadRequest},
		{"POST", `{"unknown":1}`, 400, RefuseBadRequest},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+"/v1/release", strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ref Refusal
		json.NewDecoder(resp.Body).Decode(&ref)
		resp.Body.Close()
		if resp.StatusCode != tc.status || ref.Code != tc.code {
			t.Errorf("%s %.20s: %d %s, want %d %s", tc.method, tc.body, resp.StatusCode, ref.Code, tc.status, tc.code)
		}
	}
}

// FuzzReleaseBody: whatever the body, the custodian answers with a refusal
// code or a release, never panics, and releases only a request that
// carries the one good decision.
func FuzzReleaseBody(f *testing.F) {
	w := newWorld(f)
	good, goodP := w.decide(nil)
	body, _ := json.Marshal(w.request(good, goodP))
	f.Add(body)
	f.Add([]byte(`{"header":"","receipt":null}`))
	f.Add([]byte(`{"header":"e30=","receipt":{"index":0,"entry":{},"leaf_hash":"","checkpoint":"","inclusion_proof":[]},"private":{"record":{},"salt":""},"recipient":"AAAA"}`))
	c, _ := w.custodian(0, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/release", bytes.NewReader(data)))
		if rec.Code == http.StatusOK {
			var rq ReleaseRequest
			if json.Unmarshal(data, &rq) != nil || rq.Receipt == nil || rq.Receipt.Index != good.Index || rq.Recipient != EncodePublicKey(w.recipient.PublicKey()) {
				t.Fatalf("released against %q", data)
			}
			return
		}
		var ref Refusal
		if err := json.Unmarshal(rec.Body.Bytes(), &ref); err != nil || !slices.Contains(Refusals, ref.Code) {
			t.Fatalf("%d %s: not a refusal with a known code", rec.Code, rec.Body)
		}
	})
}

// TestVoidScanIsIncremental: a custodian that has scanned the log still
// sees a void appended after its scan, and one for an earlier decision.
func TestVoidScanIsIncremental(t *testing.T) {
	w := newWorld(t)
	first, firstP := w.decide(nil)
	second, secondP := w.decide(nil)
	c, _ := w.custodian(0, nil)
	if _, ref := c.Release(context.Background(), w.request(second, secondP)); ref != nil {
		t.Fatal(ref)
	}
	if _, ref := c.Release(context.Background(), w.request(first, firstP)); ref != nil {
		t.Fatal(ref)
	}
	for _, r := range []*ledger.Receipt{second, first} {
		vi, err := w.lg.Append(context.Background(), ledger.VoidEntry(r.Index, w.now))
		if err != nil {
			t.Fatal(err)
		}
		w.receipt(vi)
	}
	for _, rq := range []*ReleaseRequest{w.request(second, secondP), w.request(first, firstP)} {
		if _, ref := c.Release(context.Background(), rq); ref == nil || ref.Code != RefuseVoided {
			t.Fatalf("decision %d: %v, want voided", rq.Receipt.Index, ref)
		}
	}
}

// TestReleaseRetryIsOne: the same release asked again — in turn or eight
// at once — is logged once and answered with the first answer; a release
// whose entry could not be logged is not remembered, so its retry logs it;
// and a retry is checked again, so an expired window still refuses it.
func TestReleaseRetryIsOne(t *testing.T) {
	w := newWorld(t)
	r, p := w.decide(nil)
	c, rel := w.custodian(0, nil)
	first, ref := c.Release(context.Background(), w.request(r, p))
	if ref != nil {
		t.Fatal(ref)
	}
	var wg sync.WaitGroup
	answers := make([]*ReleaseResponse, 8)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], _ = c.Release(context.Background(), w.request(r, p))
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if a == nil || a.ReleaseIndex != first.ReleaseIndex || !bytes.Equal(a.Share, first.Share) {
			t.Fatalf("retry %d: %+v, want the first answer %+v", i, a, first)
		}
	}
	if rel.count() != 1 {
		t.Fatalf("%d release entries after retries, want 1", rel.count())
	}

	// Another recipient key is not a retry: the decision names the key,
	// so it is refused, and nothing is logged.
	other := w.request(r, p)
	k, err := kem.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	other.Recipient = EncodePublicKey(k.PublicKey())
	if _, ref := c.Release(context.Background(), other); ref == nil || ref.Code != RefuseWrongRequester || rel.count() != 1 {
		t.Fatalf("another recipient: %v, %d entries; want %s and still one entry", ref, rel.count(), RefuseWrongRequester)
	}

	// A failed append is forgotten: the retry logs.
	c2, rel2 := w.custodian(1, nil)
	rel2.fail = true
	if _, ref := c2.Release(context.Background(), w.request(r, p)); ref == nil || ref.Code != RefuseReleaseUnlogged {
		t.Fatalf("append failing: %v, want %s", ref, RefuseReleaseUnlogged)
	}
	rel2.mu.Lock()
	rel2.fail = false
	rel2.mu.Unlock()
	if _, ref := c2.Release(context.Background(), w.request(r, p)); ref != nil || rel2.count() != 1 {
		t.Fatalf("retry after a failed append: %v, %d entries; want one release", ref, rel2.count())
	}

	// A retry after the window is refused, though the release was made.
	late, _ := w.custodian(0, func(cfg *CustodianConfig) {
		cfg.Now = func() time.Time { return w.now.Add(DefaultWindow + time.Hour) }
	})
	late.released = c.released
	if _, ref := late.Release(context.Background(), w.request(r, p)); ref == nil || ref.Code != RefuseExpired {
		t.Fatalf("retry after the window: %v, want %s", ref, RefuseExpired)
	}
}
