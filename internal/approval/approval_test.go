package approval_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// TestAskApproveGrant: the whole life of one approval. The request is
// logged (pending, referring to the decision) before it is stored, the
// answer is signed and logged (allow, referring to the request, with the
// statement's digest) before it takes effect, no principal id reaches the
// public log, and only then does the approval grant its measure.
func TestAskApproveGrant(t *testing.T) {
	forEachStore(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		req := request()
		before, err := w.svc.Lookup(ctx, req, w.now)
		if err != nil || len(before.Measures) != 0 || !before.CanAsk {
			t.Fatalf("Lookup before any approval = %+v, %v; want nothing granted, CanAsk", before, err)
		}
		r := w.ask(t, req)
		if r.Status != approval.StatusPending || r.Holder != "acme-fr" || r.Requester != "vendor-x" || !r.Lapses.Equal(w.now.Add(12*time.Hour)) ||
			!slices.Equal(r.Rules, []string{"gdsi-7-vendor-maintenance"}) || !slices.Equal(r.Measures, []string{"customer-approval"}) ||
			r.RequestedSeconds != int64(approval.DefaultDuration/time.Second) {
			t.Fatalf("asked %+v", r)
		}
		e := w.log.last()
		if e.Kind != ledger.KindApproval || e.Outcome != "pending" || e.Refers == nil || *e.Refers != 7 || e.Subject != "crm-fr" ||
			e.Action != "modify" || e.Purpose != "maintenance" || !slices.Equal(e.Rules, r.Rules) || !slices.Equal(e.Requires, []string{"measure:customer-approval"}) ||
			e.Requester == nil || e.Requester.Role != "vendor" || e.Requester.State != "US" {
			t.Errorf("request entry %s", entryJSON(t, e))
		}
		if look, _ := w.svc.Lookup(ctx, req, w.now); look.Open != r.ID || len(look.Measures) != 0 {
			t.Errorf("Lookup while pending = %+v, want Open %s and nothing granted", look, r.ID)
		}

		w.now = w.now.Add(time.Hour)
		got := w.approve(t, r, 2*time.Hour)
		if got.Status != approval.StatusApproved || got.Answer == nil || got.Answer.Approver != "acme-fr" ||
			!got.Answer.Expires.Equal(w.now.Add(2*time.Hour)) || got.Version != 2 {
			t.Fatalf("approved %+v", got)
		}
		e = w.log.last()
		if e.Kind != ledger.KindApproval || e.Outcome != "allow" || e.Refers == nil || *e.Refers != r.LogIndex || e.Digest != got.Answer.Digest {
			t.Errorf("answer entry %s", entryJSON(t, e))
		}
		for _, entry := range w.log.entries {
			if s := entryJSON(t, entry); strings.Contains(s, "vendor-x") || strings.Contains(s, "acme-fr") {
				t.Errorf("a principal id reached the public log: %s", s)
			}
		}
		st, digest, err := approval.Verify(ctx, got.Answer.Envelope, w.svc.PublicKey())
		if err != nil || digest != e.Digest || st.Requester != "vendor-x" || st.Approver != "acme-fr" {
			t.Fatalf("Verify = %+v, %s, %v", st, digest, err)
		}

		look, err := w.svc.Lookup(ctx, req, w.now)
		if err != nil || !slices.Equal(look.Measures, []string{"customer-approval"}) || !slices.Equal(look.Used, []string{r.ID}) || look.Open != "" {
			t.Fatalf("Lookup after approval = %+v, %v", look, err)
		}
		w.now = w.now.Add(2 * time.Hour)
		if look, _ := w.svc.Lookup(ctx, req, w.now); len(look.Measures) != 0 {
			t.Errorf("an expired approval still grants %v", look.Measures)
		}
		if got, _ := w.svc.Get(ctx, r.ID); got.Status != approval.StatusExpired {
			t.Errorf("status after expiry %s, want expired", got.Status)
		}
	})
}

// TestAnswerAttacks: each attempt to answer a request by someone other
// than the holder's approver, or out of time, is refused and changes
// nothing: no log entry, the request still pending.
func TestAnswerAttacks(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, w *world, r *approval.Request)
		by    approval.Answerer
		do    approval.Answering
		want  error
	}{
		{name: "self-approval: the requester with an approver token", by: approval.Answerer{Principal: "vendor-x", Role: store.RoleApprover}, want: approval.ErrForbidden},
		{name: "the requester with its requester token", by: approval.Answerer{Principal: "vendor-x", Role: store.RoleRequester}, want: approval.ErrForbidden},
		{name: "the holder with a requester token", by: approval.Answerer{Principal: "acme-fr", Role: store.RoleRequester}, want: approval.ErrForbidden},
		{name: "an admin for the holder", by: approval.Answerer{Principal: "acme-fr", Role: store.RoleAdmin}, want: approval.ErrForbidden},
		{name: "an operator", by: approval.Answerer{Principal: "ops", Role: store.RoleOperator}, want: approval.ErrForbidden},
		{name: "another holder's approver", by: approval.Answerer{Principal: "other-de", Role: store.RoleApprover}, want: approval.ErrForbidden},
		{name: "the holder changed in the catalog since", by: holderApprover, want: approval.ErrForbidden,
			setup: func(t *testing.T, w *world, r *approval.Request) {
				ds, _ := w.st.Dataset(context.Background(), "crm-fr")
				ds.Holder = "vendor-x"
				if err := w.st.UpdateDataset(context.Background(), ds); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "a lapsed request", by: holderApprover, want: approval.ErrLapsed,
			setup: func(t *testing.T, w *world, r *approval.Request) { w.now = w.now.Add(approval.LapseAfter) }},
		{name: "a stale version", by: holderApprover, do: approval.Answering{Version: 5}, want: approval.ErrStale},
		{name: "a duration over the maximum", by: holderApprover, do: approval.Answering{Duration: approval.MaxDuration + time.Second}, want: approval.ErrBadDuration},
		{name: "a duration under the minimum", by: holderApprover, do: approval.Answering{Duration: time.Second}, want: approval.ErrBadDuration},
		{name: "an unknown request", by: holderApprover, do: approval.Answering{ID: "apr-00000000000000000000000000000000"}, want: approval.ErrNotFound},
	}
	forEachStore(t, func(t *testing.T, w *world) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				saved := w.now
				defer func() { w.now = saved }()
				r := w.ask(t, request())
				if tt.setup != nil {
					tt.setup(t, w, r)
					defer func() { // put the holder back
						ds, _ := w.st.Dataset(ctx, "crm-fr")
						if ds.Holder != "acme-fr" {
							ds.Holder = "acme-fr"
							_ = w.st.UpdateDataset(ctx, ds)
						}
					}()
				}
				n := w.log.size()
				a := tt.do
				if a.ID == "" {
					a.ID = r.ID
				}
				a.Outcome, a.By = approval.StatusApproved, tt.by
				_, err := w.svc.Answer(ctx, a)
				mustIs(t, "Answer", err, tt.want)
				if w.log.size() != n {
					t.Errorf("a refused answer was logged")
				}
				got, err := w.svc.Get(ctx, r.ID)
				if err != nil || got.Answer != nil || got.Version != 1 {
					t.Errorf("after a refused answer: %+v, %v", got, err)
				}
			})
		}
	})
}

// TestAnswerOnce: an answered request takes no second answer, whichever
// comes first; and a denial grants nothing.
func TestAnswerOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		r := w.ask(t, request())
		d, err := w.svc.Answer(ctx, approval.Answering{ID: r.ID, Outcome: approval.StatusDenied, By: holderApprover})
		if err != nil || d.Status != approval.StatusDenied || d.Answer.Expires != nil {
			t.Fatalf("deny: %+v, %v", d, err)
		}
		if e := w.log.last(); e.Outcome != "deny" || e.Digest == "" {
			t.Errorf("denial entry %s", entryJSON(t, e))
		}
		n := w.log.size()
		for _, outcome := range []string{approval.StatusApproved, approval.StatusDenied} {
			_, err := w.svc.Answer(ctx, approval.Answering{ID: r.ID, Outcome: outcome, By: holderApprover})
			mustIs(t, "second answer "+outcome, err, approval.ErrAnswered)
		}
		if w.log.size() != n {
			t.Error("a second answer was logged")
		}
		if look, _ := w.svc.Lookup(ctx, request(), w.now); len(look.Measures) != 0 {
			t.Errorf("a denial grants %v", look.Measures)
		}
		_, err = w.svc.Answer(ctx, approval.Answering{ID: r.ID, Outcome: approval.StatusDenied, By: holderApprover, Duration: time.Hour})
		mustIs(t, "a denial with a duration", err, approval.ErrBadDuration)
	})
}

// TestReplay: an approval grants only the very request it was given for;
// replayed for another requester, dataset, action, purpose, principal
// acted for, or wider categories, or once expired, it grants nothing.
func TestReplay(t *testing.T) {
	tests := []struct {
		name  string
		req   *model.Request
		after time.Duration
		grant bool
	}{
		{name: "the request approved", req: request(), grant: true},
		{name: "fewer categories", req: request(func(r *model.Request) { r.Data.Categories = nil }), grant: true},
		{name: "just before expiry", req: request(), after: time.Hour - time.Second, grant: true},
		{name: "at expiry", req: request(), after: time.Hour},
		{name: "another requester", req: request(func(r *model.Request) { r.Requester.ID = "vendor-y" })},
		{name: "another dataset", req: request(func(r *model.Request) { r.Data.Dataset = "plant-de" })},
		{name: "another action", req: request(func(r *model.Request) { r.Action = "delete" })},
		{name: "another purpose", req: request(func(r *model.Request) { r.Purpose = "commercial" })},
		{name: "a category not approved", req: request(func(r *model.Request) {
			r.Data.Categories = []string{"personal.contact", "personal.financial"}
		})},
		{name: "on behalf of someone", req: request(func(r *model.Request) {
			r.OnBehalfOf = &model.Principal{ID: "agency", Kind: "state-authority", Jurisdiction: "US"}
		})},
	}
	forEachStore(t, func(t *testing.T, w *world) {
		r := w.ask(t, request())
		w.approve(t, r, time.Hour)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				look, err := w.svc.Lookup(context.Background(), tt.req, w.now.Add(tt.after))
				if err != nil {
					t.Fatal(err)
				}
				if got := len(look.Measures) > 0; got != tt.grant {
					t.Errorf("granted %v (%+v), want %v", got, look, tt.grant)
				}
			})
		}
	})
}

// TestTamperedApproval: an approval whose stored statement was changed
// (to another requester) or signed by another key grants nothing.
func TestTamperedApproval(t *testing.T) {
	forEachStore(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		r := w.approve(t, w.ask(t, request()), time.Hour)
		// A second service with another key reads the same store: the
		// signatures are not its own.
		other := newWorldKey(t, w)
		if look, _ := other.Lookup(ctx, request(), w.now); len(look.Measures) != 0 {
			t.Errorf("an approval signed by another key grants %v", look.Measures)
		}
		// Rewrite the stored row for another requester: the signed
		// statement still names vendor-x.
		row, err := w.st.Approval(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		row.Doc = []byte(strings.ReplaceAll(string(row.Doc), `"requester":"vendor-x"`, `"requester":"vendor-y"`))
		row.Requester, row.Version = "vendor-y", row.Version+1
		if err := w.st.UpdateApproval(ctx, row, row.Version-1); err != nil {
			t.Fatal(err)
		}
		if look, _ := w.svc.Lookup(ctx, request(func(q *model.Request) { q.Requester.ID = "vendor-y" }), w.now); len(look.Measures) != 0 {
			t.Errorf("a rewritten row grants %v to vendor-y", look.Measures)
		}
	})
}

func newWorldKey(t *testing.T, w *world) *approval.Service {
	t.Helper()
	w2 := *w
	w2.key = nil
	other := &w2
	_, other.key = mustKey(t)
	return other.service(t, w.st)
}

// TestAskRefusals: a request nobody but the requester could approve, or
// for a decision that does not wait on an approval, is not made; a
// request the store refuses after it was logged is voided on the log.
func TestAskRefusals(t *testing.T) {
	tests := []struct {
		name string
		req  *model.Request
		dec  *model.Decision
		d    time.Duration
		want error
	}{
		{name: "no dataset", req: request(func(r *model.Request) { r.Data.Dataset = "" }), want: approval.ErrNoApprover},
		{name: "a dataset without a holder", req: request(func(r *model.Request) { r.Data.Dataset = "orphan" }), want: approval.ErrNoApprover},
		{name: "the requester holds the dataset", req: request(func(r *model.Request) { r.Data.Dataset = "own-data" }), want: approval.ErrNoApprover},
		{name: "acting for the holder", req: request(func(r *model.Request) {
			r.OnBehalfOf = &model.Principal{ID: "acme-fr", Kind: "company", Jurisdiction: "FR"}
		}), want: approval.ErrNoApprover},
		{name: "an unknown dataset", req: request(func(r *model.Request) { r.Data.Dataset = "nope" }), want: approval.ErrNoApprover},
		{name: "an allowing decision", req: request(), dec: func() *model.Decision { d := pending(7); d.Outcome = model.Allow; return d }(), want: approval.ErrNotAsking},
		{name: "a satisfied rule", req: request(), dec: func() *model.Decision { d := pending(7); d.Reasons[0].Satisfied = true; return d }(), want: approval.ErrNotAsking},
		{name: "another rule", req: request(), dec: func() *model.Decision { d := pending(7); d.Reasons[0].Rule = "gdsi-5-sovereignty"; return d }(), want: approval.ErrNotAsking},
		{name: "a decision not logged", req: request(), dec: func() *model.Decision { d := pending(7); d.LogIndex = nil; return d }(), want: approval.ErrNotAsking},
		{name: "too long", req: request(), d: approval.MaxDuration + time.Hour, want: approval.ErrBadDuration},
	}
	forEachStore(t, func(t *testing.T, w *world) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dec := tt.dec
				if dec == nil {
					dec = pending(7)
				}
				n := w.log.size()
				_, err := w.svc.Ask(context.Background(), approval.Ask{ID: approval.NewID(), Request: tt.req, Decision: dec, Duration: tt.d})
				mustIs(t, "Ask", err, tt.want)
				if w.log.size() != n {
					t.Error("a refused request was logged")
				}
			})
		}
		t.Run("the log refuses", func(t *testing.T) {
			w.log.fail = errors.New("log down")
			defer func() { w.log.fail = nil }()
			id := approval.NewID()
			if _, err := w.svc.Ask(context.Background(), approval.Ask{ID: id, Request: request(), Decision: pending(7)}); err == nil {
				t.Fatal("asked without a log")
			}
			if _, err := w.svc.Get(context.Background(), id); !errors.Is(err, approval.ErrNotFound) {
				t.Errorf("a request the log refused was stored: %v", err)
			}
		})
		t.Run("the store refuses", func(t *testing.T) {
			svc := w.service(t, failingStore{backend: w.st, fail: store.ErrUnavailable})
			n := w.log.size()
			if _, err := svc.Ask(context.Background(), approval.Ask{ID: approval.NewID(), Request: request(), Decision: pending(7)}); !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("Ask = %v, want the store's error", err)
			}
			if w.log.size() != n+2 || w.log.last().Kind != ledger.KindVoid || *w.log.last().Refers != uint64(n) {
				t.Errorf("the logged request was not voided: %d entries, last %s", w.log.size(), entryJSON(t, w.log.last()))
			}
		})
	})
}

// TestAnswerStoreFails: an answer logged but not stored is voided and
// grants nothing.
func TestAnswerStoreFails(t *testing.T) {
	forEachStore(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		r := w.ask(t, request())
		svc := w.service(t, failingStore{backend: w.st, fail: store.ErrUnavailable})
		n := w.log.size()
		if _, err := svc.Answer(ctx, approval.Answering{ID: r.ID, Outcome: approval.StatusApproved, By: holderApprover}); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Answer = %v, want the store's error", err)
		}
		if w.log.size() != n+2 || w.log.last().Kind != ledger.KindVoid || *w.log.last().Refers != uint64(n) {
			t.Errorf("the logged answer was not voided")
		}
		if look, _ := w.svc.Lookup(ctx, request(), w.now); len(look.Measures) != 0 {
			t.Errorf("an answer that was not stored grants %v", look.Measures)
		}
	})
}

// TestOpenRequestReused: asking again while a request is open finds it
// (Lookup.Open, AskFor) rather than asking the holder twice; once lapsed,
// it is no longer open.
func TestOpenRequestReused(t *testing.T) {
	forEachStore(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		r := w.ask(t, request())
		if look, _ := w.svc.Lookup(ctx, request(), w.now.Add(approval.LapseAfter-time.Second)); look.Open != r.ID {
			t.Errorf("Open = %q, want %s", look.Open, r.ID)
		}
		if look, _ := w.svc.Lookup(ctx, request(func(q *model.Request) { q.Action = "delete" }), w.now); look.Open != "" {
			t.Errorf("a request for another action is open as %s", look.Open)
		}
		if look, _ := w.svc.Lookup(ctx, request(), w.now.Add(approval.LapseAfter)); look.Open != "" {
			t.Errorf("a lapsed request is still open")
		}
		list, err := w.svc.List(ctx, approval.Filter{Status: approval.StatusPending})
		if err != nil || len(list) != 1 {
			t.Fatalf("List pending = %d, %v", len(list), err)
		}
		w.now = w.now.Add(approval.LapseAfter)
		if list, _ := w.svc.List(ctx, approval.Filter{Status: approval.StatusPending}); len(list) != 0 {
			t.Errorf("a lapsed request is listed as pending")
		}
		if list, _ := w.svc.List(ctx, approval.Filter{Status: approval.StatusLapsed, Dataset: "crm-fr"}); len(list) != 1 {
			t.Errorf("the lapsed request is not listed as lapsed")
		}
		if _, err := w.svc.List(ctx, approval.Filter{Status: "maybe"}); err == nil {
			t.Error("an unknown status filter was accepted")
		}
	})
}
