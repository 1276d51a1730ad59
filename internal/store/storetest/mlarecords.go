package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

func mlaRecord(idx uint64, caseID, to string) store.MLARecord {
	return store.MLARecord{
		LogIndex: idx,
		Case:     caseID,
		Entry:    fmt.Appendf(nil, `{"kind":"mla-transition","subject":"%s:%s"}`, caseID, to),
		Record:   fmt.Appendf(nil, `{"kind":"mla.%s","summary":{"case":"%s"}}`, to, caseID),
		Salt:     []byte{byte(idx), 1, 2, 3},
		Created:  day0.Add(time.Duration(idx) * time.Second),
	}
}

func testMLARecords(t *testing.T, s store.Store) {
	ctx := context.Background()
	all, err := s.ListMLARecords(ctx, "")
	must(t, "ListMLARecords of none", err)
	if len(all) != 0 {
		t.Fatalf("fresh store lists %d mla records", len(all))
	}
	a0, a1, b2 := mlaRecord(0, "MLA-A", "opened"), mlaRecord(1, "MLA-A", "received"), mlaRecord(2, "MLA-B", "opened")
	must(t, "RecordMLA a1", s.RecordMLA(ctx, a1))
	must(t, "RecordMLA a1 again", s.RecordMLA(ctx, a1))
	other := a1
	other.Salt = []byte{9}
	mustIs(t, "RecordMLA of another record at a taken index", s.RecordMLA(ctx, other), store.ErrConflict)

	// An import adds what is new, accepts what is stored already, and
	// writes nothing at all when one record conflicts.
	_, err = s.ImportMLARecords(ctx, []store.MLARecord{a0, b2, other})
	mustIs(t, "ImportMLARecords with a conflict", err, store.ErrConflict)
	all, err = s.ListMLARecords(ctx, "")
	must(t, "ListMLARecords", err)
	if len(all) != 1 {
		t.Fatalf("a refused import left %d records, want the 1 stored before", len(all))
	}
	n, err := s.ImportMLARecords(ctx, []store.MLARecord{a0, a1, b2})
	must(t, "ImportMLARecords", err)
	if n != 2 {
		t.Fatalf("import added %d, want 2 (a1 was stored)", n)
	}
	n, err = s.ImportMLARecords(ctx, []store.MLARecord{a0, a1, b2})
	must(t, "ImportMLARecords again", err)
	if n != 0 {
		t.Fatalf("a repeated import added %d, want 0", n)
	}
	bad := a0
	bad.Case = ""
	_, err = s.ImportMLARecords(ctx, []store.MLARecord{mlaRecord(7, "MLA-C", "opened"), bad})
	mustIs(t, "ImportMLARecords with an invalid record", err, store.ErrInvalid)

	for _, tc := range []struct {
		caseID string
		want   []store.MLARecord
	}{
		{"", []store.MLARecord{a0, a1, b2}},
		{"MLA-A", []store.MLARecord{a0, a1}},
		{"MLA-B", []store.MLARecord{b2}},
		{"MLA-none", nil},
	} {
		got, err := s.ListMLARecords(ctx, tc.caseID)
		must(t, "ListMLARecords "+tc.caseID, err)
		if len(got) != len(tc.want) {
			t.Fatalf("ListMLARecords(%q): %d records, want %d", tc.caseID, len(got), len(tc.want))
		}
		for i := range got {
			if !got[i].SameAs(tc.want[i]) || !got[i].Created.Equal(tc.want[i].Created) {
				t.Errorf("ListMLARecords(%q)[%d] = %+v, want %+v", tc.caseID, i, got[i], tc.want[i])
			}
		}
	}
}

// countingLog is an mla.Appender that numbers the events it is given.
type countingLog struct {
	mu     sync.Mutex
	events []string
}

func (l *countingLog) Append(_ context.Context, kind string, summary map[string]any) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, fmt.Sprint(summary["case"], ":", kind))
	return uint64(len(l.events) - 1), nil
}

// MLAAcrossStores is the test of two servers (replicas) moving the same
// case at once, each through its own store: a and b must be two
// connections to one database. For every round, both try the same
// transition at the same instant: exactly one wins; the other is refused
// with mla.ErrConflict (the version check; mla.ErrBusy wraps it) or
// mla.ErrState (it read the case after the winner moved it), which the API
// answers 409 (412 with a stale If-Match). The log gets one event per
// step, and the stored history has no step twice.
func MLAAcrossStores(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	lg := &countingLog{}
	now := func() time.Time { return day0 }
	svcs := []*mla.Service{
		{Cases: a.MLACases(), Log: lg, Now: now},
		{Cases: b.MLACases(), Log: lg, Now: now},
	}
	opener := model.Principal{ID: "fr-bepi", Kind: model.KindStateAuthority, Role: "law-enforcement", Jurisdiction: "FR"}
	central := model.Principal{ID: "cn-moj", Kind: model.KindStateAuthority, Role: "central-authority", Jurisdiction: "CN"}
	const rounds = 20
	var wins [2]atomic.Int64
	for i := range rounds {
		id := fmt.Sprintf("MLA-X-%d", i)
		spec := mla.OpenSpec{ID: id, RequestedState: "CN", Provider: "mailco-cn",
			Scope: openCase(t, id).Requested}
		// Both open the same case id: one creates it.
		var (
			wg   sync.WaitGroup
			errs [2]error
		)
		start := make(chan struct{})
		for k, svc := range svcs {
			wg.Go(func() {
				<-start
				_, errs[k] = svc.Open(ctx, opener, spec)
			})
		}
		close(start)
		wg.Wait()
		oneWins(t, id+" open", errs, mla.ErrExists, &wins)

		start = make(chan struct{})
		for k, svc := range svcs {
			wg.Go(func() {
				<-start
				_, errs[k] = svc.Receive(ctx, id, central)
			})
		}
		close(start)
		wg.Wait()
		oneWins(t, id+" receive", errs, nil, &wins)

		c, err := svcs[i%2].Get(ctx, id)
		must(t, "Get", err)
		if c.State != mla.Received || len(c.History) != 2 {
			t.Fatalf("%s: state %s with %d steps, want received with 2", id, c.State, len(c.History))
		}
		for j, st := range c.History {
			if st.LogIndex == nil {
				t.Fatalf("%s: step %d unlogged", id, j+1)
			}
		}
	}
	lg.mu.Lock()
	defer lg.mu.Unlock()
	if len(lg.events) != 2*rounds {
		t.Fatalf("%d events logged for %d cases of 2 steps: %v", len(lg.events), rounds, lg.events)
	}
	t.Logf("wins: a %d, b %d", wins[0].Load(), wins[1].Load())
}

// oneWins checks that exactly one of errs is nil and the other a refusal:
// extra (if not nil), mla.ErrConflict or mla.ErrState.
func oneWins(t *testing.T, what string, errs [2]error, extra error, wins *[2]atomic.Int64) {
	t.Helper()
	ok := 0
	for k, err := range errs {
		switch {
		case err == nil:
			ok++
			wins[k].Add(1)
		case extra != nil && errors.Is(err, extra), errors.Is(err, mla.ErrConflict), errors.Is(err, mla.ErrState):
		default:
			t.Fatalf("%s: replica %d: %v", what, k, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%s: %d replicas won (%v), want exactly 1", what, ok, errs)
	}
}
