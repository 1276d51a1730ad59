package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/accord-dev/accord/internal/store"
)

// testVoidUnrecorded: a void and a record of one log index exclude each
// other, in both orders, and a failed RecordDecision writes no counts.
func testVoidUnrecorded(t *testing.T, s store.Store) {
	ctx := context.Background()
	ok, err := s.VoidUnrecorded(ctx, 5, day0)
	must(t, "void 5", err)
	if !ok {
		t.Fatal("VoidUnrecorded(5) on an unrecorded index = false")
	}
	ok, err = s.VoidUnrecorded(ctx, 5, day0.Add(1))
	must(t, "void 5 again", err)
	if !ok {
		t.Error("VoidUnrecorded(5) again = false, want true (voided by an earlier call)")
	}
	err = s.RecordDecision(ctx, record("late", 5), []store.CounterDelta{delta("FR", 7)})
	mustIs(t, "record at a voided index", err, store.ErrVoided)
	if _, err := s.Decision(ctx, "late"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record at a voided index left a row: %v", err)
	}
	if r, _ := subjects(t, s, day0, "FR"); r != 0 {
		t.Errorf("record at a voided index added %d to the counters", r)
	}

	must(t, "record 6", s.RecordDecision(ctx, record("on-time", 6), []store.CounterDelta{delta("FR", 3)}))
	ok, err = s.VoidUnrecorded(ctx, 6, day0)
	must(t, "void a recorded index", err)
	if ok {
		t.Error("VoidUnrecorded(6) on a recorded index = true")
	}
	for i, want := range map[uint64]bool{5: true, 6: false, 7: false} {
		got, err := s.Voided(ctx, i)
		must(t, "Voided", err)
		if got != want {
			t.Errorf("Voided(%d) = %v, want %v", i, got, want)
		}
	}
	if _, err := s.Decision(ctx, "on-time"); err != nil {
		t.Errorf("the recorded decision went away: %v", err)
	}
	// A void entry found on the log wins over a record (a commit whose
	// answer was lost, then voided): the decision is no longer one.
	must(t, "RecordVoid of a recorded index", s.RecordVoid(ctx, store.Void{LogIndex: 6, VoidIndex: 9, DecisionID: "on-time", Created: day0}))
	if got, _ := s.Voided(ctx, 6); !got {
		t.Error("RecordVoid of a recorded index: not voided")
	}
	if _, err := s.Decision(ctx, "on-time"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a recorded, then voided decision is still found: %v", err)
	}
	if r, _ := subjects(t, s, day0, "FR"); r != 3 {
		t.Errorf("FR = %d, want 3", r)
	}
}

// testVoidIndex: a void's index stays unset until SetVoidIndex, and
// UnloggedVoids lists exactly the voids without one.
func testVoidIndex(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, i := range []uint64{9, 3, 4} {
		if ok, err := s.VoidUnrecorded(ctx, i, day0); err != nil || !ok {
			t.Fatalf("VoidUnrecorded(%d) = %v, %v", i, ok, err)
		}
	}
	must(t, "RecordVoid with its index", s.RecordVoid(ctx, store.Void{LogIndex: 20, VoidIndex: 21, DecisionID: "d-20", Created: day0}))
	unlogged := func() []uint64 {
		vs, err := s.UnloggedVoids(ctx)
		must(t, "UnloggedVoids", err)
		var out []uint64
		for _, v := range vs {
			if v.VoidIndex != 0 {
				t.Errorf("unlogged void %d has void index %d", v.LogIndex, v.VoidIndex)
			}
			if !v.Created.Equal(day0) {
				t.Errorf("unlogged void %d created %v, want %v", v.LogIndex, v.Created, day0)
			}
			out = append(out, v.LogIndex)
		}
		return out
	}
	if got := unlogged(); !slices.Equal(got, []uint64{3, 4, 9}) {
		t.Fatalf("UnloggedVoids = %v, want [3 4 9]", got)
	}
	must(t, "SetVoidIndex 4", s.SetVoidIndex(ctx, 4, 10))
	must(t, "SetVoidIndex 4 again keeps the first", s.SetVoidIndex(ctx, 4, 11))
	// RecordVoid on a void left unset by VoidUnrecorded fills in its index.
	must(t, "RecordVoid of 9", s.RecordVoid(ctx, store.Void{LogIndex: 9, VoidIndex: 12, DecisionID: "d-9", Created: day0}))
	mustIs(t, "SetVoidIndex of an index not voided", s.SetVoidIndex(ctx, 7, 13), store.ErrNotFound)
	if got := unlogged(); !slices.Equal(got, []uint64{3}) {
		t.Fatalf("UnloggedVoids after SetVoidIndex = %v, want [3]", got)
	}
	all, err := s.ListVoids(ctx)
	must(t, "ListVoids", err)
	var got []string
	for _, v := range all {
		got = append(got, fmt.Sprintf("%d:%d", v.LogIndex, v.VoidIndex))
	}
	if want := []string{"3:0", "4:10", "9:12", "20:21"}; !slices.Equal(got, want) {
		t.Errorf("ListVoids = %v, want %v", got, want)
	}
	if v, _ := s.Voided(ctx, 7); v {
		t.Error("SetVoidIndex of an unvoided index voided it")
	}
}

func testRecordedIndexes(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, i := range []uint64{0, 2, 3, 10, 11} {
		must(t, "record", s.RecordDecision(ctx, record(fmt.Sprintf("d-%d", i), i), nil))
	}
	if ok, err := s.VoidUnrecorded(ctx, 4, day0); err != nil || !ok {
		t.Fatalf("VoidUnrecorded(4) = %v, %v", ok, err)
	}
	cases := []struct {
		from, to uint64
		want     []uint64
	}{
		{0, 12, []uint64{0, 2, 3, 10, 11}},
		{0, 11, []uint64{0, 2, 3, 10}}, // to is excluded
		{2, 4, []uint64{2, 3}},
		{4, 10, nil}, // a void is not a record
		{11, 11, nil},
		{12, 2, nil},
		{1, math.MaxUint64, []uint64{2, 3, 10, 11}},
		{math.MaxUint64 - 1, math.MaxUint64, nil},
	}
	for _, c := range cases {
		got, err := s.RecordedIndexes(ctx, c.from, c.to)
		must(t, "RecordedIndexes", err)
		if got == nil || !slices.Equal(got, c.want) {
			t.Errorf("RecordedIndexes(%d, %d) = %v, want %v (never nil)", c.from, c.to, got, c.want)
		}
	}
}

func testReconciledThrough(t *testing.T, s store.Store) {
	ctx := context.Background()
	n, err := s.ReconciledThrough(ctx)
	must(t, "ReconciledThrough", err)
	if n != 0 {
		t.Fatalf("ReconciledThrough at first = %d, want 0", n)
	}
	for _, step := range []struct{ set, want uint64 }{{10, 10}, {5, 10}, {10, 10}, {0, 10}, {1 << 40, 1 << 40}} {
		must(t, "SetReconciledThrough", s.SetReconciledThrough(ctx, step.set))
		n, err := s.ReconciledThrough(ctx)
		must(t, "ReconciledThrough", err)
		if n != step.want {
			t.Errorf("after SetReconciledThrough(%d): %d, want %d (the watermark never moves back)", step.set, n, step.want)
		}
	}
}

// testRecordVoidRace races RecordDecision against VoidUnrecorded on the
// same log indexes: 16 goroutines record, 16 void, each over every index.
// For every index exactly one of the record and the void exists, and what
// each call returned agrees with it.
func testRecordVoidRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	const (
		workers = 32
		indexes = 40
	)
	var (
		wg              sync.WaitGroup
		mu              sync.Mutex
		recorded, voids = map[uint64]int{}, map[uint64]int{}
	)
	start := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for k := range indexes {
				i := uint64((k*7 + w*3) % indexes) // each goroutine in its own order
				if w%2 == 0 {
					err := s.RecordDecision(ctx, record(fmt.Sprintf("race-%d-%d", w, i), i), []store.CounterDelta{delta("FR", 1)})
					switch {
					case err == nil:
						mu.Lock()
						recorded[i]++
						mu.Unlock()
					case errors.Is(err, store.ErrVoided), errors.Is(err, store.ErrConflict):
					default:
						t.Errorf("RecordDecision(%d): %v", i, err)
					}
					continue
				}
				ok, err := s.VoidUnrecorded(ctx, i, day0)
				if err != nil {
					t.Errorf("VoidUnrecorded(%d): %v", i, err)
					continue
				}
				if ok {
					mu.Lock()
					voids[i]++
					mu.Unlock()
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	rec, err := s.RecordedIndexes(ctx, 0, indexes)
	must(t, "RecordedIndexes", err)
	var total int64
	for i := range uint64(indexes) {
		isRec := slices.Contains(rec, i)
		isVoid, err := s.Voided(ctx, i)
		must(t, "Voided", err)
		if isRec == isVoid {
			t.Errorf("index %d: recorded %v, voided %v; want exactly one", i, isRec, isVoid)
		}
		if recorded[i] > 1 {
			t.Errorf("index %d recorded %d times", i, recorded[i])
		}
		if isRec != (recorded[i] == 1) || isVoid != (voids[i] > 0) {
			t.Errorf("index %d: calls said recorded %d, voided %d times; store says recorded %v, voided %v", i, recorded[i], voids[i], isRec, isVoid)
		}
		if isRec {
			total++
		}
	}
	if r, _ := subjects(t, s, day0, "FR"); r != total {
		t.Errorf("counters = %d, want %d (one per recorded index; a voided record wrote counts)", r, total)
	}
}
