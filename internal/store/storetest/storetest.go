// Package storetest is the one test suite every store driver passes. A
// driver's test calls Run with a function that opens a fresh, empty store:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openEmpty(t) })
//	}
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// Run runs every test of the suite, each against its own store from open.
// open registers the store's cleanup with t.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Datasets", testDatasets},
		{"Overrides", testOverrides},
		{"Principals", testPrincipals},
		{"Tokens", testTokens},
		{"RecordDecision", testRecordDecision},
		{"RecordDecisionAtomic", testRecordDecisionAtomic},
		{"RecordBatchMixed", testRecordBatchMixed},
		{"Voids", testVoids},
		{"HistoryWindows", testHistoryWindows},
		{"HistoryScopes", testHistoryScopes},
		{"ExporterYearInShanghai", testExporterYearInShanghai},
		{"SumPlan", testSumPlan},
		{"PruneHistory", testPruneHistory},
		{"Concurrency", testConcurrency},
		{"MLACases", testMLACases},
		{"MLACasesConcurrent", testMLACasesConcurrent},
		{"MLARecords", testMLARecords},
		{"MLAAcrossConnections", func(t *testing.T, s store.Store) { MLAAcrossStores(t, s, s) }},
		{"Statements", testStatements},
		{"Reserve", testReserve},
		{"ReservePanic", testReservePanic},
		{"Unreserve", testUnreserve},
		{"ReserveParallel", testReserveParallel},
		{"ReserveParallelStates", testReserveParallelStates},
		{"ReserveParallelExporter", testReserveParallelExporter},
		{"ReserveParallelPair", testReserveParallelPair},
		{"VoidUnrecorded", testVoidUnrecorded},
		{"VoidIndex", testVoidIndex},
		{"RecordedIndexes", testRecordedIndexes},
		{"ReconciledThrough", testReconciledThrough},
		{"RecordVoidRace", testRecordVoidRace},
		{"RegistryChanges", testRegistryChanges},
		{"Idempotency", testIdempotency},
		{"IdempotencyConcurrent", testIdempotencyConcurrent},
		{"CatalogChanges", testCatalogChanges},
		{"ListDecisions", testListDecisions},
		{"Ping", func(t *testing.T, s store.Store) {
			if err := s.Ping(context.Background()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

func mustIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want one wrapping %v", what, err, want)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func testDatasets(t *testing.T, s store.Store) {
	ctx := context.Background()
	crm := store.Dataset{
		ID: "crm-eu", Location: "FR", Origin: []string{"FR", "BE"},
		Categories: []string{"personal.contact"}, Subjects: map[string]int64{"FR": 12, "BE": 1},
		Records: 13, Classification: model.ClassGeneral, Holder: "acme",
	}
	grid := store.Dataset{ID: "grid", Location: "DE", Categories: []string{"cii.energy"}, CII: &model.CII{State: "DE", Sector: "energy"}, Devices: 40}
	must(t, "create crm", s.CreateDataset(ctx, crm))
	must(t, "create grid", s.CreateDataset(ctx, grid))
	mustIs(t, "create crm twice", s.CreateDataset(ctx, crm), store.ErrConflict)
	mustIs(t, "create without id", s.CreateDataset(ctx, store.Dataset{Location: "FR"}), store.ErrInvalid)

	got, err := s.Dataset(ctx, "crm-eu")
	must(t, "get crm", err)
	if got.Created.IsZero() || got.Updated.IsZero() {
		t.Errorf("times not set: %+v", got)
	}
	got.Created, got.Updated = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, crm) {
		t.Errorf("got %+v, want %+v", got, crm)
	}
	_, err = s.Dataset(ctx, "nope")
	mustIs(t, "get missing", err, store.ErrNotFound)

	all, err := s.ListDatasets(ctx)
	must(t, "list", err)
	if len(all) != 2 || all[0].ID != "crm-eu" || all[1].ID != "grid" || all[1].CII == nil || all[1].CII.Sector != "energy" {
		t.Errorf("list = %+v", all)
	}

	crm.Location, crm.Records = "BE", 14
	must(t, "update crm", s.UpdateDataset(ctx, crm))
	got, err = s.Dataset(ctx, "crm-eu")
	must(t, "get updated", err)
	if got.Location != "BE" || got.Records != 14 || got.Holder != "acme" {
		t.Errorf("after update: %+v", got)
	}
	mustIs(t, "update missing", s.UpdateDataset(ctx, store.Dataset{ID: "nope", Location: "FR"}), store.ErrNotFound)

	must(t, "delete grid", s.DeleteDataset(ctx, "grid"))
	mustIs(t, "delete grid again", s.DeleteDataset(ctx, "grid"), store.ErrNotFound)
	all, err = s.ListDatasets(ctx)
	must(t, "list after delete", err)
	if len(all) != 1 {
		t.Errorf("after delete: %d datasets, want 1", len(all))
	}
}

func testOverrides(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, "put agreement", s.PutOverride(ctx, store.Override{Kind: "agreement", ID: "fr-de", Body: []byte(`{"parties":["FR","DE"]}`)}))
	must(t, "put bloc", s.PutOverride(ctx, store.Override{Kind: "bloc", ID: "nordic", Body: []byte(`{"members":["DK"]}`)}))
	must(t, "replace agreement", s.PutOverride(ctx, store.Override{Kind: "agreement", ID: "fr-de", Body: []byte(`{"parties":["FR","DE","IT"]}`)}))
	mustIs(t, "not JSON", s.PutOverride(ctx, store.Override{Kind: "bloc", ID: "x", Body: []byte(`{`)}), store.ErrInvalid)
	mustIs(t, "no kind", s.PutOverride(ctx, store.Override{ID: "x", Body: []byte(`{}`)}), store.ErrInvalid)

	o, err := s.Override(ctx, "agreement", "fr-de")
	must(t, "get", err)
	if string(o.Body) != `{"parties":["FR","DE","IT"]}` || o.Updated.IsZero() {
		t.Errorf("got %+v (body %s)", o, o.Body)
	}
	_, err = s.Override(ctx, "bloc", "fr-de")
	mustIs(t, "get wrong kind", err, store.ErrNotFound)

	all, err := s.ListOverrides(ctx, "")
	must(t, "list all", err)
	if len(all) != 2 || all[0].Kind != "agreement" || all[1].Kind != "bloc" {
		t.Errorf("list all = %+v", all)
	}
	blocs, err := s.ListOverrides(ctx, "bloc")
	must(t, "list blocs", err)
	if len(blocs) != 1 || blocs[0].ID != "nordic" {
		t.Errorf("list blocs = %+v", blocs)
	}
	must(t, "delete", s.DeleteOverride(ctx, "bloc", "nordic"))
	mustIs(t, "delete again", s.DeleteOverride(ctx, "bloc", "nordic"), store.ErrNotFound)
}

func testPrincipals(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := store.Principal{ID: "acme", Name: "Acme SA", Kind: model.KindCompany, Role: "processor", Jurisdiction: "FR", MayActFor: []string{"dgsi"},
		Attributes: store.PrincipalAttributes{Headquarters: "BE", Owners: map[string]float64{"CN": 51, "FR": 49}, CIIO: true}}
	must(t, "put", s.PutPrincipal(ctx, p))
	must(t, "put bka", s.PutPrincipal(ctx, store.Principal{ID: "bka", Kind: model.KindStateAuthority, Role: "law-enforcement", Jurisdiction: "DE"}))
	mustIs(t, "put without kind", s.PutPrincipal(ctx, store.Principal{ID: "x", Jurisdiction: "FR"}), store.ErrInvalid)
	got, err := s.Principal(ctx, "acme")
	must(t, "get", err)
	if got.Created.IsZero() {
		t.Error("created not set")
	}
	got.Created = time.Time{}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("got %+v, want %+v", got, p)
	}
	if m := got.Model(); m.Headquarters != "BE" || m.Owners["CN"] != 51 || !m.CIIO || m.Jurisdiction != "FR" {
		t.Errorf("Model() = %+v", m)
	}
	if !got.MayActForID("dgsi") || got.MayActForID("bka") {
		t.Errorf("MayActForID wrong for %v", got.MayActFor)
	}
	p.Jurisdiction, p.MayActFor, p.Attributes = "BE", nil, store.PrincipalAttributes{}
	must(t, "replace", s.PutPrincipal(ctx, p))
	got, err = s.Principal(ctx, "acme")
	must(t, "get replaced", err)
	if got.Jurisdiction != "BE" || got.MayActFor != nil || got.Attributes.Owners != nil || got.Attributes.CIIO {
		t.Errorf("after replace: %+v", got)
	}
	_, err = s.Principal(ctx, "nope")
	mustIs(t, "get missing", err, store.ErrNotFound)
	all, err := s.ListPrincipals(ctx)
	must(t, "list", err)
	if len(all) != 2 || all[0].ID != "acme" || all[1].ID != "bka" {
		t.Errorf("list = %+v", all)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	must(t, "principal", s.PutPrincipal(ctx, store.Principal{ID: "acme", Kind: model.KindCompany, Jurisdiction: "FR"}))

	secret, tok, err := store.NewToken("acme", store.RoleRequester, now, time.Hour)
	must(t, "new token", err)
	must(t, "create", s.CreateToken(ctx, tok))
	mustIs(t, "create twice", s.CreateToken(ctx, tok), store.ErrConflict)

	_, orphan, err := store.NewToken("ghost", store.RoleRequester, now, 0)
	must(t, "new orphan", err)
	mustIs(t, "token of unknown principal", s.CreateToken(ctx, orphan), store.ErrNotFound)
	_, _, err = store.NewToken("acme", "root", now, 0)
	mustIs(t, "unknown role", err, store.ErrInvalid)

	forever, ftok, err := store.NewToken("acme", store.RoleAuditor, now, 0)
	must(t, "new forever", err)
	must(t, "create forever", s.CreateToken(ctx, ftok))

	cases := []struct {
		name   string
		secret string
		at     time.Time
		ok     bool
	}{
		{"fresh", secret, now, true},
		{"just before expiry", secret, now.Add(time.Hour - time.Nanosecond), true},
		{"at expiry", secret, now.Add(time.Hour), false},
		{"after expiry", secret, now.Add(2 * time.Hour), false},
		{"no expiry, years later", forever, now.AddDate(5, 0, 0), true},
		{"unknown secret", "accord_AAAA", now, false},
		{"not a token", "hello", now, false},
		{"secret with one more char", secret + "x", now, false},
	}
	for _, c := range cases {
		gotTok, p, err := store.Authenticate(ctx, s, c.secret, c.at)
		if c.ok {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if p.ID != "acme" || gotTok.PrincipalID != "acme" {
				t.Errorf("%s: principal %q token %+v", c.name, p.ID, gotTok)
			}
			continue
		}
		if !errors.Is(err, store.ErrUnauthorized) {
			t.Errorf("%s: got %v, want ErrUnauthorized", c.name, err)
		}
	}

	revokeAt := now.Add(10 * time.Minute)
	must(t, "revoke", s.RevokeToken(ctx, tok.ID, revokeAt))
	must(t, "revoke again later", s.RevokeToken(ctx, tok.ID, revokeAt.Add(time.Minute)))
	if _, _, err := store.Authenticate(ctx, s, secret, revokeAt.Add(-time.Second)); err != nil {
		t.Errorf("before revocation: %v", err)
	}
	if _, _, err := store.Authenticate(ctx, s, secret, revokeAt); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("at revocation: got %v, want ErrUnauthorized", err)
	}
	mustIs(t, "revoke missing", s.RevokeToken(ctx, "tok-nope", now), store.ErrNotFound)

	toks, err := s.ListTokens(ctx, "acme")
	must(t, "list", err)
	if len(toks) != 2 {
		t.Fatalf("list = %d tokens, want 2", len(toks))
	}
	for _, x := range toks {
		if x.ID == tok.ID && !x.Revoked.Equal(revokeAt) {
			t.Errorf("revoked = %v, want first revocation %v", x.Revoked, revokeAt)
		}
	}
	if toks, _ := s.ListTokens(ctx, "bka"); len(toks) != 0 {
		t.Errorf("tokens of bka = %v", toks)
	}
}

var day0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func record(id string, idx uint64) store.DecisionRecord {
	return store.DecisionRecord{ID: id, LogIndex: idx, Principal: "acme", Outcome: model.Allow, Private: []byte(`{"id":"` + id + `"}`), Salt: []byte{1, 2, 3}, Created: day0}
}

func delta(subject string, n int64) store.CounterDelta {
	return store.CounterDelta{Key: "US", SubjectState: subject, Category: "personal.health", Day: day0, Subjects: n}
}

func subjects(t *testing.T, s store.Store, at time.Time, subject string) (rolling, ytd int64) {
	t.Helper()
	h, err := s.History(context.Background(), store.HistoryQuery{RequestingState: "US", At: at})
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	return sumOf(h, "12m", subject, "personal.health").Subjects, sumOf(h, "ytd", subject, "personal.health").Subjects
}

func testRecordDecision(t *testing.T, s store.Store) {
	ctx := context.Background()
	rec := record("dec-1", 7)
	must(t, "record", s.RecordDecision(ctx, rec, []store.CounterDelta{delta("FR", 10), delta("BE", 2)}))
	got, err := s.Decision(ctx, "dec-1")
	must(t, "get", err)
	if got.ID != rec.ID || got.LogIndex != 7 || got.Principal != "acme" || got.Outcome != model.Allow ||
		string(got.Private) != string(rec.Private) || string(got.Salt) != string(rec.Salt) || !got.Created.Equal(rec.Created) {
		t.Errorf("got %+v, want %+v", got, rec)
	}
	_, err = s.Decision(ctx, "dec-2")
	mustIs(t, "missing", err, store.ErrNotFound)
	must(t, "record with no counts", s.RecordDecision(ctx, record("dec-2", 8), nil))
	must(t, "record adds", s.RecordDecision(ctx, record("dec-3", 9), []store.CounterDelta{delta("FR", 5)}))
	if r, y := subjects(t, s, day0, "FR"); r != 15 || y != 15 {
		t.Errorf("FR = %d rolling, %d ytd; want 15, 15", r, y)
	}
	if r, _ := subjects(t, s, day0, "BE"); r != 2 {
		t.Errorf("BE = %d, want 2", r)
	}
	mustIs(t, "record without id", s.RecordDecision(ctx, store.DecisionRecord{Outcome: model.Allow, Created: day0}, nil), store.ErrInvalid)
}

func testRecordDecisionAtomic(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, "first", s.RecordDecision(ctx, record("dec-1", 1), []store.CounterDelta{delta("FR", 10)}))
	cases := []struct {
		name string
		rec  store.DecisionRecord
		c    []store.CounterDelta
		want error
	}{
		{"duplicate id", record("dec-1", 2), []store.CounterDelta{delta("FR", 100), delta("DE", 1)}, store.ErrConflict},
		{"duplicate log index", record("dec-2", 1), []store.CounterDelta{delta("FR", 100)}, store.ErrConflict},
		{"negative count", record("dec-3", 3), []store.CounterDelta{delta("FR", 100), delta("DE", -1)}, store.ErrInvalid},
		{"empty category", record("dec-4", 4), []store.CounterDelta{delta("FR", 100), {Key: "US", SubjectState: "DE", Day: day0, Subjects: 1}}, store.ErrInvalid},
	}
	for _, c := range cases {
		mustIs(t, c.name, s.RecordDecision(ctx, c.rec, c.c), c.want)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.RecordDecision(cctx, record("dec-5", 5), []store.CounterDelta{delta("FR", 100)}); err == nil {
		t.Error("cancelled context: RecordDecision succeeded")
	}
	if r, y := subjects(t, s, day0, "FR"); r != 10 || y != 10 {
		t.Errorf("after failed records FR = %d rolling, %d ytd; want 10, 10 (a failed RecordDecision changed counters)", r, y)
	}
	if r, _ := subjects(t, s, day0, "DE"); r != 0 {
		t.Errorf("DE = %d, want 0", r)
	}
	for _, id := range []string{"dec-2", "dec-3", "dec-4", "dec-5"} {
		if _, err := s.Decision(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound (a failed RecordDecision left a row)", id, err)
		}
	}
	got, err := s.Decision(ctx, "dec-1")
	must(t, "dec-1", err)
	if got.LogIndex != 1 {
		t.Errorf("dec-1 index = %d, want 1 (overwritten)", got.LogIndex)
	}
}

// testRecordBatchMixed records good, duplicate and voided decisions at
// once, so that drivers with group commit put them in the same batches:
// each bad one fails alone and leaves nothing (no row, no count), and
// every good one is written whole.
func testRecordBatchMixed(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, "first", s.RecordDecision(ctx, record("dec-0", 1), []store.CounterDelta{delta("FR", 1)}))
	const n = 24
	for i := range n {
		must(t, "void", s.RecordVoid(ctx, store.Void{LogIndex: uint64(300 + i), VoidIndex: uint64(400 + i), DecisionID: fmt.Sprintf("v-%d", i), Created: day0}))
	}
	type attempt struct {
		rec  store.DecisionRecord
		c    []store.CounterDelta
		want error
	}
	var all []attempt
	for i := range n {
		all = append(all,
			attempt{record(fmt.Sprintf("good-%d", i), uint64(100+i)), []store.CounterDelta{delta("FR", 1), delta("BE", 2)}, nil},
			attempt{record("dec-0", uint64(200+i)), []store.CounterDelta{delta("FR", 100), delta("DE", 1)}, store.ErrConflict},
			attempt{record(fmt.Sprintf("voided-%d", i), uint64(300+i)), []store.CounterDelta{delta("FR", 100), delta("DE", 1)}, store.ErrVoided},
		)
	}
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, a := range all {
		wg.Go(func() { errs[i] = s.RecordDecision(ctx, a.rec, a.c) })
	}
	wg.Wait()
	for i, a := range all {
		if a.want == nil && errs[i] != nil || a.want != nil && !errors.Is(errs[i], a.want) {
			t.Errorf("%s at %d: got %v, want %v", a.rec.ID, a.rec.LogIndex, errs[i], a.want)
		}
	}
	if r, y := subjects(t, s, day0, "FR"); r != 1+n || y != 1+n {
		t.Errorf("FR = %d rolling, %d ytd; want %d (a failed record added counts, or a good one lost them)", r, y, 1+n)
	}
	if r, _ := subjects(t, s, day0, "BE"); r != 2*n {
		t.Errorf("BE = %d, want %d", r, 2*n)
	}
	if r, _ := subjects(t, s, day0, "DE"); r != 0 {
		t.Errorf("DE = %d, want 0", r)
	}
	for i := range n {
		if _, err := s.Decision(ctx, fmt.Sprintf("good-%d", i)); err != nil {
			t.Errorf("good-%d: %v", i, err)
		}
		if _, err := s.Decision(ctx, fmt.Sprintf("voided-%d", i)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("voided-%d: got %v, want ErrNotFound", i, err)
		}
	}
	got, err := s.Decision(ctx, "dec-0")
	must(t, "dec-0", err)
	if got.LogIndex != 1 {
		t.Errorf("dec-0 index = %d, want 1 (overwritten)", got.LogIndex)
	}
}

func testVoids(t *testing.T, s store.Store) {
	ctx := context.Background()
	v := store.Void{LogIndex: 12, VoidIndex: 13, DecisionID: "dec-x", Created: day0}
	must(t, "void", s.RecordVoid(ctx, v))
	must(t, "void again", s.RecordVoid(ctx, store.Void{LogIndex: 12, VoidIndex: 99, DecisionID: "dec-x", Created: day0}))
	must(t, "void 3", s.RecordVoid(ctx, store.Void{LogIndex: 3, VoidIndex: 4, DecisionID: "dec-y", Created: day0}))
	vs, err := s.ListVoids(ctx)
	must(t, "list", err)
	if len(vs) != 2 || vs[0].LogIndex != 3 || vs[1].VoidIndex != 13 || !vs[1].Created.Equal(day0) {
		t.Errorf("voids = %+v", vs)
	}
}

func testHistoryWindows(t *testing.T, s store.Store) {
	ctx := context.Background()
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	// Each case records one count on `on` and reads at `at`.
	cases := []struct {
		name            string
		on, at          time.Time
		inRolling, inYT bool
	}{
		{"same day", date(2026, 11, 22), date(2026, 11, 22), true, true},
		{"same day, read at 00:00", date(2026, 11, 22), time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), true, true},
		{"a day in the future", date(2026, 11, 23), date(2026, 11, 22), false, false},
		{"364 days before", date(2026, 11, 22).AddDate(0, 0, -364), date(2026, 11, 22), true, false},
		{"365 days before (same date last year)", date(2026, 11, 22).AddDate(0, 0, -365), date(2026, 11, 22), false, false},
		{"366 days before", date(2026, 11, 22).AddDate(0, 0, -366), date(2026, 11, 22), false, false},
		{"leap year: 365 days before 1 March 2028", date(2028, 3, 1).AddDate(0, 0, -365), date(2028, 3, 1), true, false},
		{"leap year: 366 days before 1 March 2028", date(2028, 3, 1).AddDate(0, 0, -366), date(2028, 3, 1), false, false},
		{"31 December read on 1 January", date(2026, 12, 31), date(2027, 1, 1), true, false},
		{"1 January read on 1 January", date(2027, 1, 1), date(2027, 1, 1), true, true},
		{"1 January read on 31 December", date(2027, 1, 1), date(2027, 12, 31), true, true},
		{"31 December read on 31 December a year later", date(2026, 12, 31), date(2027, 12, 31), false, false},
		{"late on 31 December read early on 1 January", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC), true, false},
		{"time zone: UTC day counts", time.Date(2027, 1, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), date(2027, 1, 1), true, false},
	}
	for i, c := range cases {
		state := fmt.Sprintf("S%d", i) // one subject state per case keeps cases apart
		d := store.CounterDelta{Key: "US", SubjectState: state, Category: "personal.health", Day: c.on, Subjects: 3, Devices: 2}
		must(t, c.name, s.RecordDecision(ctx, record(fmt.Sprintf("w-%d", i), uint64(i)), []store.CounterDelta{d}))
		h, err := s.History(ctx, store.HistoryQuery{RequestingState: "US", At: c.at})
		must(t, c.name, err)
		want := func(in bool) model.Count {
			if in {
				return model.Count{Subjects: 3, Devices: 2}
			}
			return model.Count{}
		}
		if got := sumOf(h, "12m", state, "personal.health"); got != want(c.inRolling) {
			t.Errorf("%s: rolling 12m = %+v, want %+v", c.name, got, want(c.inRolling))
		}
		if got := sumOf(h, "ytd", state, "personal.health"); got != want(c.inYT) {
			t.Errorf("%s: year to date = %+v, want %+v", c.name, got, want(c.inYT))
		}
	}
}

// testHistoryScopes: each scope and key is counted apart; a read with no
// requesting state sums every state; a scope the query holds no key in
// is read as the acting state's; "*" and "" sum every subject state and
// every category.
func testHistoryScopes(t *testing.T, s store.Store) {
	ctx := context.Background()
	pair := "us-health\x1fcn-buyer"
	d := func(scope model.CounterScope, key, subject, cat string, n int64) store.CounterDelta {
		return store.CounterDelta{Scope: scope, Key: key, SubjectState: subject, Category: cat, Day: day0, Subjects: n}
	}
	counts := []store.CounterDelta{
		d(model.ScopeState, "US", "FR", "personal.health", 1),
		d(model.ScopeState, "US", "DE", "personal.health", 2),
		d(model.ScopeState, "CN", "FR", "personal.health", 100),
		d(model.ScopeState, "US", "FR", "personal.genomic", 1000),
		d(model.ScopePair, pair, "FR", "personal.health", 10),
		d(model.ScopeExporter, "us-health", "FR", "personal.health", 7),
	}
	must(t, "record", s.RecordDecision(ctx, record("f-1", 1), counts))
	cases := []struct {
		name            string
		q               store.HistoryQuery
		scope           model.CounterScope
		subject, prefix string
		want            int64
	}{
		{"state", store.HistoryQuery{RequestingState: "US"}, model.ScopeState, "FR", "personal.health", 1},
		{"state, another category", store.HistoryQuery{RequestingState: "US"}, model.ScopeState, "FR", "personal.genomic", 1000},
		{"state, a prefix", store.HistoryQuery{RequestingState: "US"}, model.ScopeState, "FR", "personal", 1001},
		{"state, every category", store.HistoryQuery{RequestingState: "US"}, model.ScopeState, "FR", "", 1001},
		{"state, every subject state", store.HistoryQuery{RequestingState: "US"}, model.ScopeState, "*", "personal.health", 3},
		{"state, every subject state and category", store.HistoryQuery{RequestingState: "US"}, model.ScopeState, "*", "", 1003},
		{"another state", store.HistoryQuery{RequestingState: "CN"}, model.ScopeState, "FR", "personal.health", 100},
		{"no requesting state sums every state", store.HistoryQuery{}, model.ScopeState, "FR", "personal.health", 101},
		{"a state with none", store.HistoryQuery{RequestingState: "JP"}, model.ScopeState, "FR", "personal.health", 0},
		{"a category with none", store.HistoryQuery{RequestingState: "US"}, model.ScopeState, "FR", "personal.health.mental", 0},
		{"not a prefix at a dot", store.HistoryQuery{RequestingState: "US"}, model.ScopeState, "FR", "personal.heal", 0},
		{"pair", store.HistoryQuery{RequestingState: "US", Pair: pair}, model.ScopePair, "FR", "personal.health", 10},
		{"another pair", store.HistoryQuery{RequestingState: "US", Pair: "us-health\x1fother"}, model.ScopePair, "FR", "personal.health", 0},
		{"exporter", store.HistoryQuery{RequestingState: "US", Exporter: "us-health"}, model.ScopeExporter, "*", "personal", 7},
		{"no pair key: the acting state's", store.HistoryQuery{RequestingState: "US"}, model.ScopePair, "FR", "personal.health", 1},
		{"no exporter key: the acting state's", store.HistoryQuery{RequestingState: "CN"}, model.ScopeExporter, "FR", "personal.health", 100},
	}
	for _, c := range cases {
		c.q.At = day0
		h, err := s.History(ctx, c.q)
		must(t, c.name, err)
		got, err := h.Sum(c.scope, "12m", c.subject, c.prefix)
		must(t, c.name, err)
		if got.Subjects != c.want {
			t.Errorf("%s: %d subjects, want %d", c.name, got.Subjects, c.want)
		}
	}
	h, err := s.History(ctx, store.HistoryQuery{RequestingState: "US", At: day0})
	must(t, "history", err)
	if _, err := h.Sum(model.ScopeState, "13m", "FR", ""); err == nil {
		t.Error("window 13m: no error")
	}
}

// testExporterYearInShanghai: the exporter scope's year starts at
// 16:00 UTC on 31 December (midnight in Shanghai); the acting state's at
// midnight UTC.
func testExporterYearInShanghai(t *testing.T, s store.Store) {
	ctx := context.Background()
	before := time.Date(2026, 12, 31, 15, 59, 0, 0, time.UTC) // 23:59 in Shanghai
	after := time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)   // 00:00 on 1 January in Shanghai
	for i, on := range []time.Time{before, after} {
		must(t, "record", s.RecordDecision(ctx, record(fmt.Sprintf("y-%d", i), uint64(i)), []store.CounterDelta{
			{Scope: model.ScopeExporter, Key: "cn-shop", SubjectState: "CN", Category: "personal.contact", Day: on, Subjects: 1 + int64(i)*10},
			{Scope: model.ScopeState, Key: "SG", SubjectState: "CN", Category: "personal.contact", Day: on, Subjects: 1 + int64(i)*10},
		}))
	}
	cases := []struct {
		name  string
		at    time.Time
		scope model.CounterScope
		want  int64
	}{
		{"exporter, read at 16:00 UTC on 31 December: the new year holds only the second", after, model.ScopeExporter, 11},
		{"exporter, read at 15:59 UTC: the old year holds only the first", before, model.ScopeExporter, 1},
		{"state, read at 16:00 UTC on 31 December: still 2026 in UTC, both", after, model.ScopeState, 12},
		{"state, read on 1 January UTC: a new year, none", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), model.ScopeState, 0},
	}
	for _, c := range cases {
		h, err := s.History(ctx, store.HistoryQuery{RequestingState: "SG", Exporter: "cn-shop", At: c.at})
		must(t, c.name, err)
		got, err := h.Sum(c.scope, "ytd", "*", "personal")
		must(t, c.name, err)
		if got.Subjects != c.want {
			t.Errorf("%s: %d, want %d", c.name, got.Subjects, c.want)
		}
	}
}

func testConcurrency(t *testing.T, s store.Store) {
	ctx := context.Background()
	const workers, each = 32, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := uint64(w*each + i)
				counts := []store.CounterDelta{delta("FR", 1), delta("DE", 2), delta("BE", 0), delta("IT", 0)}
				if w%2 == 1 { // opposite orders must not deadlock
					slices.Reverse(counts)
				}
				if err := s.RecordDecision(ctx, record(fmt.Sprintf("c-%d", n), n), counts); err != nil {
					errs <- err
				}
				if _, err := s.History(ctx, store.HistoryQuery{RequestingState: "US", At: day0}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if r, y := subjects(t, s, day0, "FR"); r != workers*each || y != workers*each {
		t.Errorf("FR = %d, %d; want %d (lost updates)", r, y, workers*each)
	}
	if r, _ := subjects(t, s, day0, "DE"); r != 2*workers*each {
		t.Errorf("DE = %d; want %d", r, 2*workers*each)
	}
}

func testPruneHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2027, 6, 15, 12, 0, 0, 0, time.UTC)
	for i, on := range []time.Time{now, now.AddDate(-1, 0, 0), store.PruneBefore(now), store.PruneBefore(now).AddDate(0, 0, -1), now.AddDate(-3, 0, 0)} {
		d := delta("FR", 1)
		d.Day = on
		must(t, "record", s.RecordDecision(ctx, record(fmt.Sprintf("p-%d", i), uint64(i)), []store.CounterDelta{d}))
	}
	n, err := s.PruneHistory(ctx, store.PruneBefore(now))
	must(t, "prune", err)
	if n != 2*6 {
		t.Errorf("pruned %d rows, want 12 (the day before the limit and three years ago, each rolled up to 2 subject states by 3 prefixes)", n)
	}
	if r, _ := subjects(t, s, now, "FR"); r != 1 {
		t.Errorf("rolling 12 months after pruning = %d, want 1 (today's)", r)
	}
	if r, _ := subjects(t, s, now.AddDate(0, -1, 0), "FR"); r != 1 {
		t.Errorf("rolling 12 months a month ago = %d, want 1 (the day a year ago is kept)", r)
	}
	h, err := s.History(ctx, store.HistoryQuery{RequestingState: "US", At: store.PruneBefore(now)})
	must(t, "history at the limit", err)
	if got := sumOf(h, "12m", "FR", "personal.health").Subjects; got != 1 {
		t.Errorf("the limit day itself was pruned: %d", got)
	}
}

// openCase opens a real case (as mla.Service would) at version 1.
func openCase(t *testing.T, id string) *mla.Case {
	t.Helper()
	by := model.Principal{ID: "fr-bepi", Kind: model.KindStateAuthority, Role: "central-authority", Jurisdiction: "FR"}
	c, _, err := mla.Open(mla.OpenSpec{
		ID: id, RequestedState: "CN", Provider: "mailco-cn",
		Scope: authz.Scope{Purposes: []string{string(model.PurposeLawEnforcement)}, Categories: []string{"personal.contact"}, MaxSubjects: 3},
	}, by, day0, mla.Deadlines{}.For(""))
	must(t, "mla.Open", err)
	c.Version = 1
	return c
}

func testMLACases(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := s.MLACases()
	_, err := cs.Get(ctx, "MLA-1")
	mustIs(t, "Get of a missing case", err, mla.ErrNotFound)

	c := openCase(t, "MLA-1")
	must(t, "Put v1", cs.Put(ctx, c))
	mustIs(t, "Put v1 again", cs.Put(ctx, c), mla.ErrExists)
	got, err := cs.Get(ctx, "MLA-1")
	must(t, "Get", err)
	// Event summaries hold numbers whose Go type JSON does not keep:
	// compare the JSON.
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(c)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Fatalf("Get = %s, want %s", gotJSON, wantJSON)
	}

	// Receive it: version 2 replaces version 1.
	recv := model.Principal{ID: "cn-moj", Kind: model.KindStateAuthority, Role: "central-authority", Jurisdiction: "CN"}
	if _, err := got.Receive(recv, day0.Add(time.Hour)); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	got.Version = 2
	must(t, "Put v2", cs.Put(ctx, got))
	mustIs(t, "Put v2 again (stale)", cs.Put(ctx, got), mla.ErrConflict)
	stale := *c
	stale.Version = 2
	mustIs(t, "Put v2 from a stale read", cs.Put(ctx, &stale), mla.ErrConflict)
	skip := *got
	skip.Version = 4
	mustIs(t, "Put v4 over v2", cs.Put(ctx, &skip), mla.ErrConflict)
	ghost := openCase(t, "MLA-ghost")
	ghost.Version = 2
	mustIs(t, "Put v2 of a case never stored", cs.Put(ctx, ghost), mla.ErrConflict)
	ghost.Version = 0
	mustIs(t, "Put v0", cs.Put(ctx, ghost), mla.ErrConflict)

	again, err := cs.Get(ctx, "MLA-1")
	must(t, "Get after v2", err)
	if again.Version != 2 || again.State != mla.Received {
		t.Fatalf("after v2: version %d state %s, want 2 received", again.Version, again.State)
	}

	must(t, "Put MLA-0", cs.Put(ctx, openCase(t, "MLA-0")))
	all, err := cs.List(ctx)
	must(t, "List", err)
	var ids []string
	for _, c := range all {
		ids = append(ids, c.ID)
	}
	if want := []string{"MLA-0", "MLA-1"}; !slices.Equal(ids, want) {
		t.Fatalf("List ids = %v, want %v", ids, want)
	}
}

// testMLACasesConcurrent moves one case from the same version in many
// goroutines: exactly one Put wins.
func testMLACasesConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := s.MLACases()
	must(t, "Put v1", cs.Put(ctx, openCase(t, "MLA-race")))
	const n = 8
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		won, lost int
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := cs.Get(ctx, "MLA-race")
			if err != nil {
				t.Errorf("Get: %v", err)
				return
			}
			c.Version = 2
			err = cs.Put(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, mla.ErrConflict):
				lost++
			default:
				t.Errorf("Put: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || lost != n-1 {
		t.Fatalf("%d writers won and %d lost, want 1 and %d", won, lost, n-1)
	}
}

func testStatements(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := store.Statement{Digest: "aa", ID: "A-1", Type: "authorization", Issuer: "cn-moj", Jurisdiction: "CN", Envelope: []byte(`{"payload":"x"}`), Salt: []byte{1, 2}, LogIndex: 3, Created: day0}
	r := store.Statement{Digest: "bb", ID: "A-1-R", Type: "revocation", Issuer: "cn-moj", Jurisdiction: "CN", Envelope: []byte(`{"payload":"y"}`), Salt: []byte{3}, LogIndex: 4, Created: day0.Add(time.Minute)}
	must(t, "RecordStatement a", s.RecordStatement(ctx, a))
	must(t, "RecordStatement r", s.RecordStatement(ctx, r))
	mustIs(t, "RecordStatement twice", s.RecordStatement(ctx, a), store.ErrConflict)
	bad := a
	bad.Digest = ""
	mustIs(t, "RecordStatement without digest", s.RecordStatement(ctx, bad), store.ErrInvalid)

	all, err := s.ListStatements(ctx, "")
	must(t, "ListStatements all", err)
	if len(all) != 2 || !reflect.DeepEqual(all[0], a) || !reflect.DeepEqual(all[1], r) {
		t.Fatalf("ListStatements(\"\") = %+v, want [a r]", all)
	}
	revs, err := s.ListStatements(ctx, "revocation")
	must(t, "ListStatements revocation", err)
	if len(revs) != 1 || revs[0].ID != "A-1-R" {
		t.Fatalf("ListStatements(revocation) = %+v, want [A-1-R]", revs)
	}
}

// sumOf is h's window sum of (subject state, category prefix) in the
// acting-state scope, or the zero count when the read fails (the tests
// then fail on the count, and the store's own error surfaces in Reserve).
func sumOf(h *model.History, window, subject, prefix string) model.Count {
	c, err := h.Sum(model.ScopeState, window, subject, prefix)
	if err != nil {
		return model.Count{Subjects: -1, Devices: -1}
	}
	return c
}

// OldHistoryRows are the rows a test of migration 9 puts into the old
// history table (requesting state, counterparty, subject state, category,
// subjects, devices; all on DayZero), for CheckUpgradedCounters.
var OldHistoryRows = []struct {
	State, Counterparty, Subject, Category string
	Subjects, Devices                      int64
}{
	{"US", "acme", "FR", "personal.identifier.government", 5, 0},
	{"US", "globex", "FR", "personal.identifier.government", 2, 0},
	{"US", "acme", "DE", "personal.health", 3, 1},
	{"CN", "acme", "FR", "personal.health", 100, 0},
	{"CN", "acme", "FR", "cii", 1, 0},
}

// CheckUpgradedCounters checks that s, upgraded past migration 9 from a
// history holding OldHistoryRows, reads them back as the acting state's
// counters, rolled up to "*" and to every prefix, counterparties summed.
func CheckUpgradedCounters(t *testing.T, s store.Store) {
	t.Helper()
	cases := []struct {
		state, subject, prefix string
		want                   model.Count
	}{
		{"US", "FR", "personal.identifier.government", model.Count{Subjects: 7}},
		{"US", "FR", "personal.identifier", model.Count{Subjects: 7}},
		{"US", "FR", "personal", model.Count{Subjects: 7}},
		{"US", "FR", "", model.Count{Subjects: 7}},
		{"US", "DE", "personal.health", model.Count{Subjects: 3, Devices: 1}},
		{"US", "*", "personal", model.Count{Subjects: 10, Devices: 1}},
		{"US", "*", "", model.Count{Subjects: 10, Devices: 1}},
		{"US", "*", "personal.health", model.Count{Subjects: 3, Devices: 1}},
		{"CN", "FR", "personal.health", model.Count{Subjects: 100}},
		{"CN", "FR", "cii", model.Count{Subjects: 1}},
		{"CN", "*", "", model.Count{Subjects: 101}},
		{"JP", "*", "", model.Count{}},
	}
	for _, c := range cases {
		h, err := s.History(context.Background(), store.HistoryQuery{RequestingState: c.state, At: day0})
		must(t, "History", err)
		got, err := h.Sum(model.ScopeState, model.WindowRolling12m, c.subject, c.prefix)
		must(t, "Sum", err)
		if got != c.want {
			t.Errorf("after upgrade, %s (%s, %q) = %+v, want %+v", c.state, c.subject, c.prefix, got, c.want)
		}
	}
}

// testSumPlan reads the same sums through several readers: the first
// reads them one by one, the next in one round trip (the store's plan of
// recent sums); both must agree, for every scope, window and roll-up.
func testSumPlan(t *testing.T, s store.Store) {
	ctx := context.Background()
	pair := "us-health\x1fcn-buyer"
	must(t, "record", s.RecordDecision(ctx, record("plan-1", 1), []store.CounterDelta{
		{Key: "US", SubjectState: "FR", Category: "personal.health", Day: day0, Subjects: 3, Devices: 1},
		{Key: "US", SubjectState: "DE", Category: "personal.financial", Day: day0.AddDate(0, -2, 0), Subjects: 5},
		{Scope: model.ScopePair, Key: pair, SubjectState: "US", Category: "personal.genomic", Day: day0, Subjects: 7},
		{Scope: model.ScopeExporter, Key: "us-health", SubjectState: "US", Category: "personal.genomic", Day: day0.AddDate(-1, 0, 0), Subjects: 11},
	}))
	sums := []struct {
		scope                   model.CounterScope
		window, subject, prefix string
		want                    model.Count
	}{
		{model.ScopeState, "12m", "FR", "personal.health", model.Count{Subjects: 3, Devices: 1}},
		{model.ScopeState, "12m", "*", "", model.Count{Subjects: 8, Devices: 1}},
		{model.ScopeState, "ytd", "*", "personal", model.Count{Subjects: 8, Devices: 1}},
		{model.ScopeState, "12m", "DE", "personal.health", model.Count{}},
		{model.ScopePair, "12m", "US", "personal", model.Count{Subjects: 7}},
		{model.ScopeExporter, "ytd", "*", "personal", model.Count{}},
		{model.ScopeExporter, "12m", "*", "personal.genomic", model.Count{}},
	}
	q := store.HistoryQuery{RequestingState: "US", Pair: pair, Exporter: "us-health", At: day0}
	for round := range 3 {
		h, err := s.History(ctx, q)
		must(t, "History", err)
		for _, c := range sums {
			got, err := h.Sum(c.scope, c.window, c.subject, c.prefix)
			must(t, "Sum", err)
			if got != c.want {
				t.Errorf("round %d: %s %s (%s, %q) = %+v, want %+v", round, c.scope, c.window, c.subject, c.prefix, got, c.want)
			}
		}
	}
	// A reservation's sums include its batch's earlier counts, prefetched
	// or not.
	for round := range 2 {
		must(t, "reserve", s.Reserve(ctx, q, func(h *model.History) ([]store.CounterDelta, error) {
			got, err := h.Sum(model.ScopePair, "12m", "US", "personal")
			if err != nil {
				return nil, err
			}
			if want := int64(7 + round); got.Subjects != want {
				t.Errorf("reservation %d saw %d, want %d", round, got.Subjects, want)
			}
			return []store.CounterDelta{{Scope: model.ScopePair, Key: pair, SubjectState: "US", Category: "personal.omic", Day: day0, Subjects: 1}}, nil
		}))
	}
}
