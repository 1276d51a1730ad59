package decide

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/store"
)

// thresholdEngine allows while the request's subjects plus the rolling
// history of its subject state stay at or under max, as a cumulative pack
// rule does.
type thresholdEngine struct{ max int64 }

func (e thresholdEngine) Evaluate(in *policy.Input, _ policy.Options) model.Decision {
	var seen int64
	if in.History != nil {
		for _, c := range in.History.Rolling12m["DE"] {
			seen += c.Subjects
		}
	}
	if seen+in.Request.Data.Subjects["DE"] > e.max {
		return model.Decision{Outcome: model.Deny, Reasons: []model.Reason{{Rule: "cumulative", Pack: "p", Effect: "deny"}}}
	}
	return model.Decision{Outcome: model.Allow}
}

// serialCounters is an in-memory Counters that holds its lock for the
// whole reservation, as the store's transaction does.
type serialCounters struct {
	mu    sync.Mutex
	total int64
	calls int
	err   error
}

func (c *serialCounters) Reserve(_ context.Context, req *model.Request, _ time.Time, judge func(*model.History) (*model.Decision, error)) (func(context.Context) error, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.err != nil {
		return nil, c.err
	}
	h := &model.History{Rolling12m: map[string]map[string]model.Count{"DE": {"personal.contact": {Subjects: c.total}}}}
	dec, err := judge(h)
	if err != nil {
		return nil, err
	}
	var n int64
	if dec.Outcome == model.Allow {
		n = req.Data.Subjects["DE"]
		c.total += n
	}
	return func(context.Context) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.total -= n
		return nil
	}, nil
}

// syncLog is a memLog safe for concurrent appends.
type syncLog struct {
	mu sync.Mutex
	memLog
}

func (l *syncLog) Append(ctx context.Context, e ledger.Entry) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.memLog.Append(ctx, e)
}

type syncRecorder struct {
	mu sync.Mutex
	recorder
}

func (r *syncRecorder) RecordDecision(ctx context.Context, rec Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recorder.RecordDecision(ctx, rec)
}

func TestDecideRefusesATime(t *testing.T) {
	for _, at := range []time.Time{clock().Add(-time.Second), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)} {
		log := &memLog{}
		req := request()
		req.Time = at
		_, err := New(&fixedEngine{outcome: model.Allow}, WithLog(log), WithClock(clock)).Decide(context.Background(), req)
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "time") {
			t.Errorf("Decide at %v: err = %v, want ErrBadInput naming time", at, err)
		}
		if len(log.entries) != 0 {
			t.Errorf("Decide at %v logged %d entries", at, len(log.entries))
		}
	}
}

// atAuthorizer remembers the time it was asked to judge at.
type atAuthorizer struct{ at time.Time }

func (a *atAuthorizer) Authorize(_ context.Context, _ *model.Request, at time.Time) ([]string, []model.Reason, error) {
	a.at = at
	return []string{"DE"}, nil, nil
}

func TestDecideJudgesAtTheServersClock(t *testing.T) {
	az, log, rec, ctr := &atAuthorizer{}, &memLog{}, &recorder{}, &serialCounters{}
	now := clock().Add(1500 * time.Millisecond)
	d := New(&fixedEngine{outcome: model.Allow}, WithLog(log), WithRecorder(rec), WithAuthorizer(az), WithCounters(ctr),
		WithClock(func() time.Time { return now }))
	req := request()
	req.Basis.Authorizations = []model.Envelope{{PayloadType: "x", Payload: "e30="}}
	dec, err := d.Decide(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := now.Truncate(time.Second)
	if !az.at.Equal(want) || !dec.Time.Equal(want) || !log.entries[0].Time.Equal(want) || !req.Time.Equal(want) {
		t.Errorf("authorizations judged at %v, decision at %v, entry at %v, request at %v; want all %v",
			az.at, dec.Time, log.entries[0].Time, req.Time, want)
	}
	if !rec.got[0].Counted || ctr.calls != 1 {
		t.Errorf("counted = %v, reservations = %d; want the counts reserved once and the recorder told", rec.got[0].Counted, ctr.calls)
	}
}

// TestDecideReservesInParallel: 64 requests of 9,000 people each under a
// cap of 100,000, all at once: exactly the 11 that a serial order allows
// are allowed, and no more are counted.
func TestDecideReservesInParallel(t *testing.T) {
	ctr, log, rec := &serialCounters{}, &syncLog{}, &syncRecorder{}
	d := New(thresholdEngine{max: 100_000}, WithLog(log), WithRecorder(rec), WithCounters(ctr), WithClock(clock))
	var wg sync.WaitGroup
	outcomes := make([]model.Outcome, 64)
	for i := range outcomes {
		wg.Go(func() {
			req := request()
			req.Data.Subjects = map[string]int64{"DE": 9000}
			dec, err := d.Decide(context.Background(), req)
			if err != nil {
				t.Error(err)
				return
			}
			outcomes[i] = dec.Outcome
		})
	}
	wg.Wait()
	allowed := 0
	for _, o := range outcomes {
		if o == model.Allow {
			allowed++
		}
	}
	if allowed != 11 || ctr.total != 99_000 {
		t.Errorf("allowed %d, counted %d; want 11 and 99000", allowed, ctr.total)
	}
	if len(log.entries) != 64 || len(rec.got) != 64 {
		t.Errorf("logged %d, recorded %d; want 64 each", len(log.entries), len(rec.got))
	}
}

func TestDecideReservationFailures(t *testing.T) {
	t.Run("reservation fails: nothing logged", func(t *testing.T) {
		log := &memLog{}
		_, err := New(&fixedEngine{outcome: model.Allow}, WithLog(log), WithCounters(&serialCounters{err: errors.New("database unavailable")})).
			Decide(context.Background(), request())
		if err == nil || len(log.entries) != 0 {
			t.Errorf("err = %v, entries = %d; want an error and nothing logged", err, len(log.entries))
		}
	})
	t.Run("entry too large: refused inside the reservation, nothing counted", func(t *testing.T) {
		log, ctr := &memLog{}, &serialCounters{}
		req := request()
		for i := range 5000 {
			req.Data.Subjects[fmt.Sprintf("X%d", i)] = 1
		}
		_, err := New(thresholdEngine{max: 1 << 40}, WithLog(log), WithCounters(ctr)).Decide(context.Background(), req)
		if err == nil || ctr.total != 0 || len(log.entries) != 0 {
			t.Errorf("err = %v, counted %d, logged %d; want an error, nothing counted or logged", err, ctr.total, len(log.entries))
		}
	})
	t.Run("log refuses before queueing: counts taken back", func(t *testing.T) {
		ctr := &serialCounters{}
		log := &memLog{fail: fmt.Errorf("append: %w: %w", ledger.ErrNotQueued, ledger.ErrClosed)}
		_, err := New(thresholdEngine{max: 1 << 40}, WithLog(log), WithCounters(ctr)).Decide(context.Background(), request())
		if err == nil || ctr.total != 0 {
			t.Errorf("err = %v, counted %d; want an error and nothing counted", err, ctr.total)
		}
	})
	t.Run("log fails after queueing: counts kept", func(t *testing.T) {
		ctr := &serialCounters{}
		log := &memLog{fail: errors.New("integration failed: disk full")}
		_, err := New(thresholdEngine{max: 1 << 40}, WithLog(log), WithCounters(ctr)).Decide(context.Background(), request())
		if err == nil || ctr.total != 3 {
			t.Errorf("err = %v, counted %d; want an error and the 3 reserved kept", err, ctr.total)
		}
	})
	t.Run("voided by the reconciler before the record: no second void", func(t *testing.T) {
		log := &memLog{}
		rec := &recorder{fail: fmt.Errorf("record: %w", ErrVoided)}
		_, err := New(&fixedEngine{outcome: model.Allow}, WithLog(log), WithRecorder(rec)).Decide(context.Background(), request())
		if !errors.Is(err, ErrNotCommitted) || len(log.entries) != 1 {
			t.Errorf("err = %v, entries %d; want ErrNotCommitted and only the decision entry", err, len(log.entries))
		}
	})
}

// reconLog is a published log in memory for the reconciler.
type reconLog struct {
	syncLog
	published uint64
}

func (l *reconLog) PublishedSize(context.Context) (uint64, error) { return l.published, nil }

func (l *reconLog) Entries(_ context.Context, from, to uint64, fn func(uint64, ledger.Entry) error) error {
	for i := from; i < to; i++ {
		if err := fn(i, l.entries[i]); err != nil {
			return err
		}
	}
	return nil
}

func (l *reconLog) publish() { l.published = uint64(len(l.entries)) }

func TestReconcilerVoidsUnrecordedDecisions(t *testing.T) {
	ctx := context.Background()
	log, st := &reconLog{}, newMemVoids()
	old := clock().Add(-time.Hour)
	// 0: recorded; 1: never recorded (crash); 2: an authorization;
	// 3: voided on the log by 4; 5: too young to judge.
	for _, e := range []ledger.Entry{
		{Kind: ledger.KindDecision, Time: old}, {Kind: ledger.KindDecision, Time: old}, {Kind: ledger.KindAuthorization, Time: old},
		{Kind: ledger.KindDecision, Time: old}, ledger.VoidEntry(3, old), {Kind: ledger.KindDecision, Time: clock()},
	} {
		log.Append(ctx, e)
	}
	log.publish()
	st.recorded[0] = true
	r := &Reconciler{Log: log, Store: st, Grace: time.Minute, Now: clock}
	rep, err := r.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Voided, []uint64{1}) || rep.Deferred != 1 || rep.Decisions != 4 {
		t.Fatalf("report %+v; want decision 1 voided, 1 deferred, 4 decisions read", rep)
	}
	last := log.entries[len(log.entries)-1]
	if last.Kind != ledger.KindVoid || *last.Refers != 1 {
		t.Errorf("last entry %+v; want a void of 1", last)
	}
	if st.voids[1] != uint64(len(log.entries)-1) || st.voids[3] != 4 {
		t.Errorf("store voids %v; want 1 voided at its entry and 3 at 4", st.voids)
	}
	if st.mark != 5 {
		t.Errorf("watermark %d; want 5 (the deferred decision is read again)", st.mark)
	}

	// The next pass, once the young decision is old enough: it was
	// recorded meanwhile, so nothing is voided; the pass's own void entry
	// is not read as a decision.
	st.recorded[5] = true
	log.publish()
	r.Now = func() time.Time { return clock().Add(time.Hour) }
	rep, err = r.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Voided) != 0 || st.mark != log.published {
		t.Errorf("second pass %+v, watermark %d; want nothing voided and the watermark at %d", rep, st.mark, log.published)
	}
}

func TestReconcilerLogsVoidsTheStoreHolds(t *testing.T) {
	ctx := context.Background()
	log, st := &reconLog{}, newMemVoids()
	log.Append(ctx, ledger.Entry{Kind: ledger.KindDecision, Time: clock()})
	log.publish()
	st.voids[0] = 0 // voided in the store, its void entry never appended
	st.unlogged = []uint64{0}
	rep, err := (&Reconciler{Log: log, Store: st, Now: clock}).Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.VoidsLogged != 1 || len(log.entries) != 2 || *log.entries[1].Refers != 0 || st.voids[0] != 1 {
		t.Errorf("report %+v, log %d entries, voids %v; want the void appended at 1", rep, len(log.entries), st.voids)
	}
}

func TestReconcilerAtStartVoidsEverythingUnrecorded(t *testing.T) {
	ctx := context.Background()
	log, st := &reconLog{}, newMemVoids()
	log.Append(ctx, ledger.Entry{Kind: ledger.KindDecision, Time: clock()})
	log.publish()
	rep, err := (&Reconciler{Log: log, Store: st, Now: clock}).Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Voided, []uint64{0}) {
		t.Errorf("report %+v; with no grace, the unrecorded decision is voided at once", rep)
	}
}

// TestReconcilerVoidsWhatAnEarlierProcessLeft: an unrecorded decision made
// before this process started is voided however young; one made since is
// left to its own commit for Grace.
func TestReconcilerVoidsWhatAnEarlierProcessLeft(t *testing.T) {
	ctx := context.Background()
	log, st := &reconLog{}, newMemVoids()
	log.Append(ctx, ledger.Entry{Kind: ledger.KindDecision, Time: clock().Add(-2 * time.Second)})
	log.Append(ctx, ledger.Entry{Kind: ledger.KindDecision, Time: clock()})
	log.publish()
	r := &Reconciler{Log: log, Store: st, Grace: time.Minute, Before: clock().Add(-time.Second), Now: clock}
	rep, err := r.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Voided, []uint64{0}) || rep.Deferred != 1 {
		t.Errorf("report %+v; want the earlier process's decision voided and this one's deferred", rep)
	}
}

// TestReconcilerVoidsUnstoredChanges: a registry or pack change on the log
// that the store never took (a crash between the two) is voided; a stored
// one is left alone.
func TestReconcilerVoidsUnstoredChanges(t *testing.T) {
	ctx := context.Background()
	log, st := &reconLog{}, newMemVoids()
	old := clock().Add(-time.Hour)
	log.Append(ctx, ledger.Entry{Kind: ledger.KindRegistryChange, Time: old, Subject: "fr-anssi"})
	log.Append(ctx, ledger.Entry{Kind: ledger.KindPackChange, Time: old, Subject: "gdsi"})
	log.publish()
	st.changes = []store.RegistryChange{{LogIndex: 1, Kind: "pack", ID: "gdsi", Action: "put", Created: old}}
	rep, err := (&Reconciler{Log: log, Store: st, Grace: time.Minute, Now: clock}).Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.VoidedChanges, []uint64{0}) || len(log.entries) != 3 || *log.entries[2].Refers != 0 {
		t.Errorf("report %+v, %d entries; want change 0 voided by entry 2", rep, len(log.entries))
	}
}
