package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/decide"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/store"
)

func init() { buildServeDecider = newServeDecider }

// newServeDecider wires decide as every deciding command does
// (decideOptions: packs, authorizations against the registry's keys,
// third-state exclusion) and, for serve, to the store (history counters
// in, decision records and counter updates out) and the log, with timers
// on evaluation and appends.
func newServeDecider(d serveDeps) (api.Decider, *registry.Registry, func(error) int, error) {
	ef := engineFlags{packs: d.packs, registry: d.registryDirs}
	reg, eng, names, err := ef.build()
	if err != nil {
		return nil, nil, nil, err
	}
	revs := d.revocations
	if revs == nil {
		revs = &api.Revocations{}
	}
	opts := append(decideOptions(reg, names),
		// The same authorizer as decideOptions', reading the revocations
		// lodged with this server (this later option replaces it).
		decide.WithAuthorizer(&authz.Authorizer{Keys: registryKeys{reg}, Revocations: revs}),
		decide.WithLog(&timedLog{log: d.log, metrics: d.metrics, store: d.store}),
		decide.WithHistory(storeHistory{d.store}),
		decide.WithCounters(storeCounters{d.store}),
		decide.WithRecorder(storeRecorder{st: d.store, stall: d.stallBeforeRecord}),
	)
	if d.approvals != nil {
		m := eng.ApprovalMeasures()
		d.approvalMeasures.Store(&m)
		logger := d.logger
		if logger == nil {
			logger = slog.New(slog.DiscardHandler)
		}
		opts = append(opts, decide.WithApprovals(d.approvals, askFailedLogger(logger)))
	}
	dec := decide.New(timedEvaluator{eng, d.metrics}, opts...)
	return dec, reg, decideStatus, nil
}

// decideStatus maps decide's errors to HTTP statuses (0: the API's
// default).
func decideStatus(err error) int {
	switch {
	case errors.Is(err, decide.ErrBadInput):
		return http.StatusBadRequest
	case errors.Is(err, decide.ErrNotCommitted):
		return http.StatusInternalServerError
	case errors.Is(err, ledger.ErrClosed), errors.Is(err, ledger.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return 0
}

// timedEvaluator times each policy evaluation.
type timedEvaluator struct {
	eng     *policy.Engine
	metrics *api.Metrics
}

func (t timedEvaluator) Evaluate(in *policy.Input, opts policy.Options) model.Decision {
	start := time.Now()
	d := t.eng.Evaluate(in, opts)
	t.metrics.ObserveEvaluation(time.Since(start))
	return d
}

// ApprovalMeasures passes on the packs' approval measures, which decide
// treats as server-owned.
func (t timedEvaluator) ApprovalMeasures() map[string][]string { return t.eng.ApprovalMeasures() }

// timedLog times each append, tracks the log's size, and notes voids in
// the store (best effort: the log's void entry is what counts).
type timedLog struct {
	log     *ledger.Log
	metrics *api.Metrics
	store   store.Store
}

// AppendLeaf appends an entry already encoded, timed as Append is.
func (t *timedLog) AppendLeaf(ctx context.Context, leaf ledger.Leaf) (uint64, error) {
	start := time.Now()
	idx, err := t.log.AppendLeaf(ctx, leaf)
	t.metrics.ObserveAppend(time.Since(start), idx, err == nil)
	return idx, err
}

func (t *timedLog) Append(ctx context.Context, e ledger.Entry) (uint64, error) {
	start := time.Now()
	idx, err := t.log.Append(ctx, e)
	t.metrics.ObserveAppend(time.Since(start), idx, err == nil)
	if err == nil && e.Kind == ledger.KindVoid && e.Refers != nil {
		vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_ = t.store.RecordVoid(vctx, store.Void{LogIndex: *e.Refers, VoidIndex: idx, Created: e.Time})
		cancel()
	}
	return idx, err
}

// storeHistory reads the counters a request is judged with: those of its
// key in every scope (store.QueryFor: the acting state, the exporter and
// importer, the exporter).
type storeHistory struct{ st store.Store }

func (h storeHistory) History(ctx context.Context, req *model.Request, at time.Time) (*model.History, error) {
	return h.st.History(ctx, store.QueryFor(req, at))
}

// storeCounters reserves a binding decision's counts in the transaction
// that reads the counters it is judged with, holding its key in every
// scope (store.QueryFor).
type storeCounters struct{ st store.Store }

func (c storeCounters) Reserve(ctx context.Context, req *model.Request, at time.Time, judge func(*model.History) (*model.Decision, error)) (func(context.Context) error, error) {
	var counts []store.CounterDelta
	err := c.st.Reserve(ctx, store.QueryFor(req, at), func(h *model.History) ([]store.CounterDelta, error) {
		dec, err := judge(h)
		if err != nil {
			return nil, err
		}
		counts = store.CountsFor(req, dec)
		return counts, nil
	})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return c.st.Unreserve(ctx, counts) }, nil
}

// storeRecorder stores a binding decision and, unless they were reserved,
// its counter updates in one transaction.
type storeRecorder struct {
	st store.Store
	// stall waits for the request to end before storing (--fault).
	stall bool
}

func (r storeRecorder) RecordDecision(ctx context.Context, rec decide.Record) error {
	if r.stall {
		<-ctx.Done()
	}
	var idx uint64
	if rec.Decision.LogIndex != nil {
		idx = *rec.Decision.LogIndex
	}
	var counts []store.CounterDelta
	if !rec.Counted {
		counts = store.CountsFor(rec.Request, &rec.Decision)
	}
	sum := store.SummaryFor(rec.Request, &rec.Decision)
	err := r.st.RecordDecision(ctx, store.DecisionRecord{
		Summary:   &sum,
		ID:        rec.Decision.ID,
		LogIndex:  idx,
		Principal: rec.Request.Requester.ID,
		Outcome:   rec.Decision.Outcome,
		Private:   rec.Private.Record,
		Salt:      rec.Private.Salt,
		Created:   rec.Decision.Time,
	}, counts)
	if errors.Is(err, store.ErrVoided) {
		return locale.Errorf("%v: %v", decide.ErrVoided, err)
	}
	return err
}
