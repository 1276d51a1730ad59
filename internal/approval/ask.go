package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// Ask is an approval request to make for a binding decision.
type Ask struct {
	// ID is the request's id (NewID), drawn before the decision was
	// logged so that the decision's reasons can name it.
	ID string
	// Request and Decision are the binding decision, as judged and
	// logged (Decision.LogIndex set).
	Request  *model.Request
	Decision *model.Decision
	// Duration is how long the approval is asked for (0:
	// DefaultDuration).
	Duration time.Duration
}

// Waits returns the approval measures a decision waits on, and the ids of
// the rules that wait on them: the approval rules that fired and are not
// satisfied. A decision that allows waits on nothing.
func Waits(measures map[string][]string, dec *model.Decision) (ms, rules []string) {
	if dec.Outcome == model.Allow {
		return nil, nil
	}
	for m, ids := range measures {
		for _, r := range dec.Reasons {
			if !r.Satisfied && slices.Contains(ids, r.Rule) {
				ms = append(ms, m)
				rules = append(rules, r.Rule)
			}
		}
	}
	return sortedSet(ms), sortedSet(rules)
}

// Ask makes the approval request a, logs it (an approval entry with outcome
// pending, referring to the decision) and stores it. The decision must be
// binding, logged, waiting on an approval measure (Waits), and on a
// catalogued dataset whose holder is neither the requester nor whom it
// acts for (ErrNoApprover otherwise). If the request cannot be stored
// after it was logged, its entry is voided.
func (s *Service) Ask(ctx context.Context, a Ask) (*Request, error) {
	req, dec := a.Request, a.Decision
	if !dec.Binding || dec.LogIndex == nil || dec.ID == "" {
		return nil, fmt.Errorf("%w: only a logged binding decision can ask for an approval", ErrNotAsking)
	}
	measures, rules := Waits(s.cfg.Measures(), dec)
	if len(measures) == 0 {
		return nil, fmt.Errorf("%w: decision %s", ErrNotAsking, dec.ID)
	}
	d := a.Duration
	if d == 0 {
		d = DefaultDuration
	}
	if err := checkDuration(d); err != nil {
		return nil, err
	}
	if req.Data.Dataset == "" {
		return nil, fmt.Errorf("%w: the request names no catalogued dataset", ErrNoApprover)
	}
	ds, err := s.cfg.Catalog.Dataset(ctx, req.Data.Dataset)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: dataset %s is not in the catalog", ErrNoApprover, req.Data.Dataset)
	}
	if err != nil {
		return nil, fmt.Errorf("approval request: dataset %s: %w", req.Data.Dataset, err)
	}
	obo := onBehalfOf(req)
	switch ds.Holder {
	case "":
		return nil, fmt.Errorf("%w: dataset %s has no catalogued holder", ErrNoApprover, ds.ID)
	case req.Requester.ID, obo:
		return nil, fmt.Errorf("%w: dataset %s is held by %s, who asks: it cannot approve itself", ErrNoApprover, ds.ID, ds.Holder)
	}
	now := s.now()
	r := &Request{
		ID: a.ID, Requester: req.Requester.ID, OnBehalfOf: obo, Holder: ds.Holder,
		Dataset: ds.ID, Action: string(req.Action), Purpose: string(req.Purpose), Categories: nonNil(sortedSet(req.Data.Categories)),
		Measures: measures, Rules: rules, Decision: dec.ID, DecisionIndex: *dec.LogIndex,
		RequestedSeconds: int64(d / time.Second), Created: now, Lapses: now.Add(LapseAfter), Version: 1,
		party:    ledger.Party{Kind: req.Requester.Kind, Role: req.Requester.Role, State: req.Requester.Jurisdiction},
		location: req.Data.Location,
	}
	e, p, err := r.askEntry(now)
	if err != nil {
		return nil, err
	}
	r.salts[0] = p.Salt
	idx, err := s.cfg.Log.Append(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("approval request %s: append to log: %w", r.ID, err)
	}
	r.LogIndex = idx
	row, err := r.row()
	if err != nil {
		s.void(ctx, idx, now)
		return nil, err
	}
	if err := s.cfg.Store.CreateApproval(ctx, row); err != nil {
		s.void(ctx, idx, now)
		return nil, fmt.Errorf("approval request %s (log index %d, voided): store: %w", r.ID, idx, err)
	}
	r.Status = StatusPending
	return r, nil
}

// void appends a void entry for the entry at idx, which was logged but not
// stored: nothing may rely on it. A failure is left to the log's reader:
// the entry names a request the store does not know.
func (s *Service) void(ctx context.Context, idx uint64, at time.Time) {
	_, _ = s.cfg.Log.Append(context.WithoutCancel(ctx), ledger.VoidEntry(idx, at))
}

// Decisions gives the stored record of a binding decision.
type Decisions interface {
	Decision(ctx context.Context, id string) (store.DecisionRecord, error)
}

// AskFor makes an approval request for the caller's own decision id,
// stored in decisions: the requester asks the holder explicitly, for
// example after a decision denied for want of the approval (a vendor's
// modification without it is a forced upgrade). The decision must be the
// caller's (principal) and wait on an approval measure. An open request
// for the same thing is returned instead of a new one (created false).
func (s *Service) AskFor(ctx context.Context, decisions Decisions, principal, decisionID string, d time.Duration) (r *Request, created bool, err error) {
	rec, err := decisions.Decision(ctx, decisionID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Principal != principal) {
		return nil, false, fmt.Errorf("%w: no decision %s of %s", ErrNotAsking, decisionID, principal)
	}
	if err != nil {
		return nil, false, err
	}
	var full struct {
		Request  *model.Request  `json:"request"`
		Decision *model.Decision `json:"decision"`
	}
	if err := json.Unmarshal(rec.Private, &full); err != nil {
		return nil, false, fmt.Errorf("decision %s: stored record: %w", decisionID, err)
	}
	if full.Request == nil || full.Decision == nil {
		return nil, false, fmt.Errorf("decision %s: stored record has no request or no decision", decisionID)
	}
	if full.Decision.LogIndex == nil {
		idx := rec.LogIndex
		full.Decision.LogIndex = &idx
	}
	if open, err := s.open(ctx, full.Request, s.now()); err != nil {
		return nil, false, err
	} else if open != nil {
		return open, false, nil
	}
	r, err = s.Ask(ctx, Ask{ID: NewID(), Request: full.Request, Decision: full.Decision, Duration: d})
	return r, err == nil, err
}

// open returns the pending, unlapsed request of the same requester for
// the same thing as req, or nil.
func (s *Service) open(ctx context.Context, req *model.Request, now time.Time) (*Request, error) {
	if req.Data.Dataset == "" {
		return nil, nil
	}
	rows, err := s.cfg.Store.ListApprovals(ctx, store.ApprovalQuery{Requester: req.Requester.ID, Dataset: req.Data.Dataset, Status: StatusPending})
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		r, err := decode(row)
		if err != nil {
			return nil, err
		}
		if r.StatusAt(now) == StatusPending && r.sameAs(req) {
			r.Status = StatusPending
			return r, nil
		}
	}
	return nil, nil
}

// sameAs reports whether req asks for what r asked for.
func (r *Request) sameAs(req *model.Request) bool {
	return r.Requester == req.Requester.ID && r.OnBehalfOf == onBehalfOf(req) && r.Dataset == req.Data.Dataset &&
		r.Action == string(req.Action) && r.Purpose == string(req.Purpose) && slices.Equal(r.Categories, nonNil(sortedSet(req.Data.Categories)))
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// onBehalfOf is the id of the principal req acts for, or "".
func onBehalfOf(req *model.Request) string {
	if req.OnBehalfOf == nil {
		return ""
	}
	return req.OnBehalfOf.ID
}

// checkDuration refuses (ErrBadDuration) a duration asked or granted that
// is not whole seconds from MinDuration to MaxDuration.
func checkDuration(d time.Duration) error {
	if d < MinDuration || d > MaxDuration || d%time.Second != 0 {
		return fmt.Errorf("%w: %s is not whole seconds from %s to %s", ErrBadDuration, d, MinDuration, MaxDuration)
	}
	return nil
}
