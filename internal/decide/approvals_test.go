package decide

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/postgres"
	"github.com/accord-dev/accord/internal/store/sqlite"
	"github.com/accord-dev/accord/internal/store/storetest"
)

// approvalStore is what the approvals test keeps its catalog and
// approvals in.
type approvalStore interface {
	store.Approvals
	CreateDataset(ctx context.Context, d store.Dataset) error
	Dataset(ctx context.Context, id string) (store.Dataset, error)
}

// approvalWorld is the gdsi pack, a store, a log and one clock for the
// decider and the approvals.
type approvalWorld struct {
	d   *Decider
	svc *approval.Service
	log *memLog
	reg *registry.Registry
	now time.Time
}

func newApprovalWorld(t *testing.T, st approvalStore) *approvalWorld {
	t.Helper()
	reg, err := registry.Load()
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := fs.Sub(policy.Embedded(), "packs")
	packs, err := policy.Load(sub, "gdsi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.Compile(packs, reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDataset(context.Background(), store.Dataset{ID: "firmware-fr", Location: "FR", Categories: []string{"technical"}, Holder: "acme-fr"}); err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	w := &approvalWorld{log: &memLog{}, reg: reg, now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return w.now }
	w.svc, err = approval.New(approval.Config{Store: st, Catalog: st, Log: w.log, Key: key, Measures: eng.ApprovalMeasures, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	w.d = New(eng, WithLog(w.log), WithApprovals(w.svc, func(err error) { t.Errorf("ask failed: %v", err) }), WithClock(clock), WithPacks([]string{"gdsi"}))
	return w
}

func forEachApprovalStore(t *testing.T, fn func(t *testing.T, w *approvalWorld)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "accord.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, newApprovalWorld(t, s))
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := postgres.Open(context.Background(), storetest.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, newApprovalWorld(t, s))
	})
}

// vendorRequest is vendor-fr asking to act on firmware-fr (the catalog's
// labels written out, as the API merges them).
func (w *approvalWorld) vendorRequest(t *testing.T, action, measures string) *model.Request {
	t.Helper()
	body := `{"action":"` + action + `","requester":{"id":"vendor-fr","kind":"company","role":"vendor","jurisdiction":"FR"},
		"data":{"dataset":"firmware-fr","location":"FR","categories":["technical"]},"purpose":"maintenance",
		"selectors":{"kind":"specific","count":1},"basis":{"kind":"contract","measures":[` + measures + `],"authorizations":[]}}`
	req, err := model.DecodeRequest([]byte(body), w.reg)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func rules(dec model.Decision) []string {
	var out []string
	for _, r := range dec.Reasons {
		out = append(out, r.Rule)
	}
	return out
}

func reason(dec model.Decision, rule string) *model.Reason {
	for i := range dec.Reasons {
		if dec.Reasons[i].Rule == rule {
			return &dec.Reasons[i]
		}
	}
	return nil
}

// TestApprovalIsServerOwned: a requester naming customer-approval in a
// binding request is refused, naming basis.measures, and nothing is
// logged; a non-binding check still takes it as a what-if.
func TestApprovalIsServerOwned(t *testing.T) {
	forEachApprovalStore(t, func(t *testing.T, w *approvalWorld) {
		ctx := context.Background()
		_, err := w.d.Decide(ctx, w.vendorRequest(t, "access", `"customer-approval"`))
		var ie *model.InputError
		if !errors.Is(err, ErrBadInput) || !errors.As(err, &ie) || ie.Path != "basis.measures" || !strings.Contains(ie.Msg, "/v1/approvals") {
			t.Fatalf("Decide with customer-approval = %v, want ErrBadInput naming basis.measures and /v1/approvals", err)
		}
		if len(w.log.entries) != 0 {
			t.Errorf("a refused request was logged")
		}
		dec, err := w.d.Check(ctx, w.vendorRequest(t, "access", `"customer-approval"`), false)
		if err != nil || dec.Outcome != model.Allow {
			t.Errorf("Check with customer-approval = %s, %v; want allow (what-if)", dec.Outcome, err)
		}
		// Without an approvals service, the measure is still the packs'
		// approval: refused, never self-attested.
		bare := New(w.d.engine, WithLog(w.log), WithClock(func() time.Time { return w.now }))
		if _, err := bare.Decide(ctx, w.vendorRequest(t, "access", `"scc","customer-approval"`)); !errors.Is(err, ErrBadInput) {
			t.Errorf("Decide without approvals = %v, want ErrBadInput", err)
		}
	})
}

// TestApprovalFlow: pending → asked of the holder → approved → the same
// request is allowed, citing the approval → once expired, pending again
// and asked anew. Resubmitting while pending asks nothing more.
func TestApprovalFlow(t *testing.T) {
	forEachApprovalStore(t, func(t *testing.T, w *approvalWorld) {
		ctx := context.Background()
		dec, err := w.d.Decide(ctx, w.vendorRequest(t, "access", ""))
		if err != nil {
			t.Fatal(err)
		}
		asked := reason(dec, RuleApprovalRequested)
		if dec.Outcome != model.Pending || asked == nil {
			t.Fatalf("first decision %s %v, want pending with %s", dec.Outcome, rules(dec), RuleApprovalRequested)
		}
		list, err := w.svc.List(ctx, approval.Filter{})
		if err != nil || len(list) != 1 || !strings.Contains(asked.Message, list[0].ID) {
			t.Fatalf("approval requests %v (%v); the reason says %q", list, err, asked.Message)
		}
		r := list[0]
		if r.Decision != dec.ID || r.DecisionIndex != *dec.LogIndex || r.Holder != "acme-fr" || r.Requester != "vendor-fr" {
			t.Errorf("request %+v does not match decision %s at %d", r, dec.ID, *dec.LogIndex)
		}
		last := w.log.entries[len(w.log.entries)-1]
		if last.Kind != ledger.KindApproval || *last.Refers != *dec.LogIndex {
			t.Errorf("the request's entry does not follow the decision: %+v", last)
		}
		if !slices.Contains(w.log.entries[*dec.LogIndex].Rules, RuleApprovalRequested) {
			t.Errorf("the decision's entry does not show that it asked: %v", w.log.entries[*dec.LogIndex].Rules)
		}

		w.now = w.now.Add(time.Minute)
		again, err := w.d.Decide(ctx, w.vendorRequest(t, "access", ""))
		if err != nil || again.Outcome != model.Pending || !strings.Contains(reason(again, RuleApprovalRequested).Message, r.ID) {
			t.Fatalf("resubmitted while pending: %s %v %v", again.Outcome, rules(again), err)
		}
		if list, _ := w.svc.List(ctx, approval.Filter{}); len(list) != 1 {
			t.Errorf("resubmitting asked again: %d requests", len(list))
		}

		if _, err := w.svc.Answer(ctx, approval.Answering{ID: r.ID, Outcome: approval.StatusApproved, By: approval.Answerer{Principal: "acme-fr", Role: store.RoleApprover}, Duration: time.Hour}); err != nil {
			t.Fatal(err)
		}
		req := w.vendorRequest(t, "access", "")
		ok, err := w.d.Decide(ctx, req)
		if err != nil || ok.Outcome != model.Allow {
			t.Fatalf("after approval: %s %v %v, want allow", ok.Outcome, rules(ok), err)
		}
		used := reason(ok, RuleApprovalUsed)
		if used == nil || !used.Satisfied || !strings.Contains(used.Message, r.ID) || !slices.Contains(req.Basis.Measures, "customer-approval") {
			t.Errorf("the allow does not cite the approval: %+v, measures %v", used, req.Basis.Measures)
		}

		w.now = w.now.Add(time.Hour)
		late, err := w.d.Decide(ctx, w.vendorRequest(t, "access", ""))
		if err != nil || late.Outcome != model.Pending || reason(late, RuleApprovalUsed) != nil {
			t.Fatalf("after expiry: %s %v %v, want pending", late.Outcome, rules(late), err)
		}
		if list, _ := w.svc.List(ctx, approval.Filter{Status: approval.StatusPending}); len(list) != 1 || list[0].ID == r.ID {
			t.Errorf("after expiry, a new request should be asked: %v", list)
		}
	})
}

// TestApprovalForcedUpgrade: a vendor's modification without approval is
// denied (a forced upgrade) and asks nothing by itself; the vendor asks
// for the approval naming that decision, and once the holder approves,
// the same modification is allowed.
func TestApprovalForcedUpgrade(t *testing.T) {
	forEachApprovalStore(t, func(t *testing.T, w *approvalWorld) {
		ctx := context.Background()
		dec, err := w.d.Decide(ctx, w.vendorRequest(t, "modify", ""))
		if err != nil || dec.Outcome != model.Deny || reason(dec, RuleApprovalRequested) != nil {
			t.Fatalf("modify without approval: %s %v %v, want deny asking nothing", dec.Outcome, rules(dec), err)
		}
		r, err := w.svc.Ask(ctx, approval.Ask{ID: approval.NewID(), Request: w.vendorRequest(t, "modify", ""), Decision: &dec})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(r.Rules, []string{"gdsi-7-vendor-maintenance"}) {
			t.Errorf("why: %v", r.Rules)
		}
		if _, err := w.svc.Answer(ctx, approval.Answering{ID: r.ID, Outcome: approval.StatusApproved, By: approval.Answerer{Principal: "acme-fr", Role: store.RoleApprover}}); err != nil {
			t.Fatal(err)
		}
		ok, err := w.d.Decide(ctx, w.vendorRequest(t, "modify", ""))
		if err != nil || ok.Outcome != model.Allow {
			t.Fatalf("modify after approval: %s %v %v, want allow", ok.Outcome, rules(ok), err)
		}
		// The approval was for modify: it does not stretch to delete.
		del, err := w.d.Decide(ctx, w.vendorRequest(t, "delete", ""))
		if err != nil || del.Outcome == model.Allow {
			t.Errorf("delete on a modify approval: %s %v", del.Outcome, err)
		}
	})
}
