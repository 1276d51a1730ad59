package storetest

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

// RunApprovals runs the suite of store.Approvals, each test against its
// own store from open.
func RunApprovals(t *testing.T, open func(t *testing.T) store.Approvals) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Approvals)
	}{
		{"CreateGet", testApprovalCreateGet},
		{"Invalid", testApprovalInvalid},
		{"List", testApprovalList},
		{"UpdateVersion", testApprovalUpdateVersion},
		{"UpdateRace", testApprovalUpdateRace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func approvalRow(id, requester, holder, dataset string, at time.Time) store.Approval {
	return store.Approval{ID: id, Requester: requester, Holder: holder, Dataset: dataset, Status: "pending",
		Created: at, Version: 1, Doc: []byte(`{"id":"` + id + `"}`)}
}

func testApprovalCreateGet(t *testing.T, s store.Approvals) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a := approvalRow("apr-1", "vendor-a", "acme-fr", "crm-eu", at)
	if err := s.CreateApproval(ctx, a); err != nil {
		t.Fatalf("CreateApproval: %v", err)
	}
	mustIs(t, "CreateApproval twice", s.CreateApproval(ctx, a), store.ErrConflict)
	got, err := s.Approval(ctx, "apr-1")
	if err != nil {
		t.Fatalf("Approval: %v", err)
	}
	if got.ID != a.ID || got.Requester != a.Requester || got.Holder != a.Holder || got.Dataset != a.Dataset ||
		got.Status != a.Status || !got.Created.Equal(at) || got.Version != 1 || string(got.Doc) != string(a.Doc) {
		t.Errorf("Approval = %+v, want %+v", got, a)
	}
	_, err = s.Approval(ctx, "apr-none")
	mustIs(t, "Approval of an unknown id", err, store.ErrNotFound)
}

func testApprovalInvalid(t *testing.T, s store.Approvals) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for name, mutate := range map[string]func(*store.Approval){
		"no id":        func(a *store.Approval) { a.ID = "" },
		"no requester": func(a *store.Approval) { a.Requester = "" },
		"no holder":    func(a *store.Approval) { a.Holder = "" },
		"no dataset":   func(a *store.Approval) { a.Dataset = "" },
		"bad status":   func(a *store.Approval) { a.Status = "lapsed" },
		"no time":      func(a *store.Approval) { a.Created = time.Time{} },
		"version 0":    func(a *store.Approval) { a.Version = 0 },
		"version 2^63": func(a *store.Approval) { a.Version = math.MaxInt64 + 1 },
		"no doc":       func(a *store.Approval) { a.Doc = nil },
	} {
		a := approvalRow("apr-x", "r", "h", "d", at)
		mutate(&a)
		mustIs(t, name, s.CreateApproval(ctx, a), store.ErrInvalid)
	}
	if _, err := s.Approval(ctx, "apr-x"); err == nil {
		t.Error("an invalid approval was stored")
	}
}

func testApprovalList(t *testing.T, s store.Approvals) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	rows := []store.Approval{
		approvalRow("apr-b", "vendor-a", "acme-fr", "crm-eu", at),
		approvalRow("apr-a", "vendor-a", "acme-fr", "crm-eu", at), // same time: ordered by id
		approvalRow("apr-c", "vendor-b", "acme-fr", "hr-fr", at.Add(time.Minute)),
		approvalRow("apr-d", "vendor-a", "other-de", "plant-de", at.Add(2*time.Minute)),
	}
	rows[3].Status = "denied"
	for _, a := range rows {
		if err := s.CreateApproval(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		q    store.ApprovalQuery
		want []string
	}{
		{"all", store.ApprovalQuery{}, []string{"apr-a", "apr-b", "apr-c", "apr-d"}},
		{"requester", store.ApprovalQuery{Requester: "vendor-a"}, []string{"apr-a", "apr-b", "apr-d"}},
		{"holder", store.ApprovalQuery{Holder: "acme-fr"}, []string{"apr-a", "apr-b", "apr-c"}},
		{"dataset", store.ApprovalQuery{Dataset: "hr-fr"}, []string{"apr-c"}},
		{"status", store.ApprovalQuery{Status: "denied"}, []string{"apr-d"}},
		{"requester and dataset and status", store.ApprovalQuery{Requester: "vendor-a", Dataset: "crm-eu", Status: "pending"}, []string{"apr-a", "apr-b"}},
		{"none", store.ApprovalQuery{Requester: "nobody"}, nil},
	}
	for _, tt := range tests {
		got, err := s.ListApprovals(ctx, tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var ids []string
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		if !slices.Equal(ids, tt.want) {
			t.Errorf("%s: ListApprovals = %v, want %v", tt.name, ids, tt.want)
		}
	}
}

func testApprovalUpdateVersion(t *testing.T, s store.Approvals) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a := approvalRow("apr-1", "vendor-a", "acme-fr", "crm-eu", at)
	if err := s.CreateApproval(ctx, a); err != nil {
		t.Fatal(err)
	}
	next := a
	next.Status, next.Version, next.Doc = "approved", 2, []byte(`{"id":"apr-1","status":"approved"}`)
	if err := s.UpdateApproval(ctx, next, 1); err != nil {
		t.Fatalf("UpdateApproval: %v", err)
	}
	stale := a
	stale.Status, stale.Version = "denied", 2
	mustIs(t, "UpdateApproval at a stale version", s.UpdateApproval(ctx, stale, 1), store.ErrPrecondition)
	mustIs(t, "UpdateApproval skipping a version", s.UpdateApproval(ctx, approvalWith(next, 4), 2), store.ErrInvalid)
	missing := approvalRow("apr-none", "r", "h", "d", at)
	missing.Version = 2
	mustIs(t, "UpdateApproval of an unknown id", s.UpdateApproval(ctx, missing, 1), store.ErrNotFound)
	got, err := s.Approval(ctx, "apr-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "approved" || got.Version != 2 || string(got.Doc) != string(next.Doc) {
		t.Errorf("after updates: %+v, want the first update only", got)
	}
}

func approvalWith(a store.Approval, version uint64) store.Approval {
	a.Version = version
	return a
}

// testApprovalUpdateRace: of two answers written concurrently at the same
// version, exactly one is stored (an approval and a denial cannot both
// take effect).
func testApprovalUpdateRace(t *testing.T, s store.Approvals) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if err := s.CreateApproval(ctx, approvalRow("apr-1", "vendor-a", "acme-fr", "crm-eu", at)); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []string
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := approvalRow("apr-1", "vendor-a", "acme-fr", "crm-eu", at)
			a.Version = 2
			a.Status = []string{"approved", "denied"}[i%2]
			err := s.UpdateApproval(ctx, a, 1)
			if err == nil {
				mu.Lock()
				wins = append(wins, a.Status)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d concurrent answers were stored (%v), want exactly 1", len(wins), wins)
	}
	got, err := s.Approval(ctx, "apr-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != wins[0] || got.Version != 2 {
		t.Errorf("stored %s at version %d, the winner wrote %s at 2", got.Status, got.Version, wins[0])
	}
}
