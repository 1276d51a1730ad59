package store

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// Counters are kept by scope (model.CounterScope: per acting state, per
// exporter and importer, per exporter), key (the scope's party: a state
// code, a principal id, a pair of ids), subject state, category prefix
// and day, the day in the scope's calendar (model.DayIn). Each count is
// rolled up when it is written: a count of (FR, personal.health) adds to
// the rows of FR and of "*" (every subject state), each for the prefixes
// "" (every category), "personal" and "personal.health". A pack's window
// sum, cumulative("12m", "FR", "personal"), is then one index range of at
// most 366 rows, whatever else the history holds: the read cost of a
// decision is bounded by what its packs ask, not by the history's size.
// Rows older than Retention months are never read and are pruned.

// DayNumber returns the number of whole UTC days between the Unix epoch and
// t's UTC date.
func DayNumber(t time.Time) int64 { return model.DayIn(model.ScopeState, t) }

// ActingState returns the state a request is counted against under
// model.ScopeState (model.ActingState).
func ActingState(req *model.Request) string { return model.ActingState(req) }

// QueryFor returns the query of the counters req is judged with and
// counted under at at: its key in every scope it names parties for.
func QueryFor(req *model.Request, at time.Time) HistoryQuery {
	return HistoryQuery{
		RequestingState: req.CounterKey(model.ScopeState),
		Pair:            req.CounterKey(model.ScopePair),
		Exporter:        req.CounterKey(model.ScopeExporter),
		At:              at,
	}
}

// Key returns q's key in scope s ("" when q holds none there).
func (q HistoryQuery) Key(s model.CounterScope) string {
	if f := q.keyField(s); f != nil {
		return *f
	}
	return ""
}

// keyField is the field of q that holds its key in scope s (nil for an
// unknown scope).
func (q *HistoryQuery) keyField(s model.CounterScope) *string {
	switch s {
	case model.ScopeState, "":
		return &q.RequestingState
	case model.ScopePair:
		return &q.Pair
	case model.ScopeExporter:
		return &q.Exporter
	}
	return nil
}

// ScopeKey is one counter key: a scope and the key in it.
type ScopeKey struct {
	Scope model.CounterScope
	Key   string
}

// Keys returns the keys q holds (those not empty), in the order of
// model.CounterScopes.
func (q HistoryQuery) Keys() []ScopeKey {
	out := make([]ScopeKey, 0, 3)
	for _, s := range model.CounterScopes {
		if k := q.Key(s); k != "" {
			out = append(out, ScopeKey{s, k})
		}
	}
	return out
}

// QueryOf returns the query holding the keys of counts, for Unreserve:
// counts may name one key per scope, else ErrInvalid.
func QueryOf(counts []CounterDelta) (HistoryQuery, error) {
	var q HistoryQuery
	for i, c := range counts {
		f := q.keyField(c.scope())
		if f == nil {
			return q, fmt.Errorf("%w: count %d: unknown scope %q", ErrInvalid, i, c.Scope)
		}
		if *f != "" && *f != c.Key {
			return q, fmt.Errorf("%w: count %d: scope %s key %q is not %q, the key of the counts before it", ErrInvalid, i, c.scope(), c.Key, *f)
		}
		*f = c.Key
	}
	return q, nil
}

// CountsFor returns the counter updates a binding decision makes. Only an
// allow counts: a denied or pending request obtains no data. The counts
// go to every scope the request has a key in (Request.CounterKey). Each
// category of the request counts its subjects of each state (a request on
// personal.health of 10 FR subjects adds 10 to (FR, personal.health));
// devices are counted under the data's location, since a device has no
// nationality. The day is the request's time (the decision's when zero).
func CountsFor(req *model.Request, dec *model.Decision) []CounterDelta {
	if dec.Outcome != model.Allow || req == nil {
		return nil
	}
	at := req.Time
	if at.IsZero() {
		at = dec.Time
	}
	q := QueryFor(req, at)
	if q.RequestingState == "" {
		return nil
	}
	states := make([]string, 0, len(req.Data.Subjects))
	for s, n := range req.Data.Subjects {
		if n > 0 {
			states = append(states, s)
		}
	}
	sort.Strings(states)
	var out []CounterDelta
	for _, k := range q.Keys() {
		for _, cat := range req.Data.Categories {
			seen := false
			for _, s := range states {
				n := req.Data.SubjectsIn(s, cat)
				d := CounterDelta{Scope: k.Scope, Key: k.Key, SubjectState: s, Category: cat, Day: at, Subjects: n}
				if s == req.Data.Location && req.Data.Devices > 0 {
					d.Devices, seen = req.Data.Devices, true
				}
				if d.Subjects > 0 || d.Devices > 0 {
					out = append(out, d)
				}
			}
			if !seen && req.Data.Devices > 0 && req.Data.Location != "" {
				out = append(out, CounterDelta{Scope: k.Scope, Key: k.Key, SubjectState: req.Data.Location, Category: cat, Day: at, Devices: req.Data.Devices})
			}
		}
	}
	return out
}

// CounterRow is one stored counter row: a count rolled up to one subject
// state (or "*") and one category prefix (or "") on one day of its
// scope's calendar.
type CounterRow struct {
	Scope        model.CounterScope
	Key          string
	SubjectState string
	Prefix       string
	Day          int64
	Subjects     int64
	Devices      int64
}

// prefixesOf returns "" and every dotted prefix of c, c included.
func prefixesOf(c string) []string {
	out := []string{""}
	for i := 0; i < len(c); i++ {
		if c[i] == '.' {
			out = append(out, c[:i])
		}
	}
	return append(out, c)
}

// RollUp returns the rows counts add to, summed per row and ordered by
// row key (scope, key, subject state, prefix, day). Drivers write them in
// this order, so that concurrent transactions lock rows in one order and
// cannot deadlock.
func RollUp(counts []CounterDelta) []CounterRow {
	type rowKey struct {
		scope                model.CounterScope
		key, subject, prefix string
		day                  int64
	}
	sum := map[rowKey]*CounterRow{}
	for _, c := range counts {
		day := model.DayIn(c.scope(), c.Day)
		for _, st := range []string{c.SubjectState, model.AllSubjectStates} {
			for _, p := range prefixesOf(c.Category) {
				k := rowKey{c.scope(), c.Key, st, p, day}
				r := sum[k]
				if r == nil {
					r = &CounterRow{Scope: k.scope, Key: k.key, SubjectState: st, Prefix: p, Day: day}
					sum[k] = r
				}
				r.Subjects += c.Subjects
				r.Devices += c.Devices
			}
		}
	}
	out := make([]CounterRow, 0, len(sum))
	for _, r := range sum {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b CounterRow) int {
		return cmp.Or(cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Key, b.Key),
			cmp.Compare(a.SubjectState, b.SubjectState), cmp.Compare(a.Prefix, b.Prefix), cmp.Compare(a.Day, b.Day))
	})
	return out
}

// SumFunc reads one window sum from a driver: the rows of (scope, key,
// subject state, prefix) from day from to day to, both included. An
// empty key sums every key of the scope.
type SumFunc func(scope model.CounterScope, key, subjectState, prefix string, from, to int64) (model.Count, error)

// CounterReader is the model.CounterSource of one reservation batch (or
// one History read): it asks its driver for each window sum a pack needs
// at most once, and adds the counts of the batch's earlier judges. A
// scope q holds no key in is read as model.ScopeState. The first error of
// the driver is kept (Err): a judge that saw one must not be trusted.
// It is not safe for concurrent use.
type CounterReader struct {
	q       HistoryQuery
	sum     SumFunc
	many    SumsFunc
	plan    *SumPlan
	planned bool
	memo    map[SumRequest]model.Count
	pending []CounterDelta
	err     error
}

// SumRequest is one window sum for SumsFunc.
type SumRequest struct {
	Scope                     model.CounterScope
	Key, SubjectState, Prefix string
	From, To                  int64
}

// SumsFunc reads several window sums at once (one round trip): out[i]
// answers reqs[i]. Keys are never empty.
type SumsFunc func(reqs []SumRequest) ([]model.Count, error)

// SumPlan remembers the window sums recent decisions asked for (scope,
// window, subject state, prefix: what the packs ask, whatever the keys
// and days), so that a reader can read them all in one round trip before
// its first judge asks (WithPlan). Sums asked that the plan lacks are read
// one by one, and added to it. It holds at most MaxPlan sums, the oldest
// dropped first. Safe for concurrent use.
type SumPlan struct {
	mu      sync.Mutex
	entries []planEntry
}

// MaxPlan bounds a SumPlan: a prefetch reads at most this many sums, each
// one primary-key range.
const MaxPlan = 64

type planEntry struct {
	scope                   model.CounterScope
	window, subject, prefix string
}

func (p *SumPlan) snapshot() []planEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.entries)
}

func (p *SumPlan) add(e planEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if slices.Contains(p.entries, e) {
		return
	}
	p.entries = append(p.entries, e)
	if len(p.entries) > MaxPlan {
		p.entries = slices.Delete(p.entries, 0, len(p.entries)-MaxPlan)
	}
}

// WithPlan makes r read the sums of plan through many in one round trip
// before its first sum, and teach plan the sums it then lacked. It
// returns r.
func (r *CounterReader) WithPlan(plan *SumPlan, many SumsFunc) *CounterReader {
	r.plan, r.many = plan, many
	return r
}

// resolve returns the scope and key a sum of scope reads for r's query,
// and its window's days.
func (r *CounterReader) resolve(scope model.CounterScope, window string) (model.CounterScope, string, int64, int64, error) {
	key := r.q.Key(scope)
	if key == "" || scope == "" {
		scope, key = model.ScopeState, r.q.RequestingState
	}
	from, to, err := model.WindowDays(scope, window, r.q.At)
	return scope, key, from, to, err
}

// prefetch reads the plan's sums in one round trip into the memo.
func (r *CounterReader) prefetch() error {
	r.planned = true
	var reqs []SumRequest
	for _, e := range r.plan.snapshot() {
		scope, key, from, to, err := r.resolve(e.scope, e.window)
		if err != nil || key == "" {
			continue
		}
		k := SumRequest{scope, key, e.subject, e.prefix, from, to}
		if _, ok := r.memo[k]; ok || slices.Contains(reqs, k) {
			continue
		}
		reqs = append(reqs, k)
	}
	if len(reqs) == 0 {
		return nil
	}
	out, err := r.many(reqs)
	if err != nil {
		return err
	}
	if len(out) != len(reqs) {
		return fmt.Errorf("read counters: %d sums for %d asked", len(out), len(reqs))
	}
	for i, k := range reqs {
		r.memo[k] = out[i]
	}
	return nil
}

// NewCounterReader returns a reader of q's counters through sum.
func NewCounterReader(q HistoryQuery, sum SumFunc) *CounterReader {
	return &CounterReader{q: q, sum: sum, memo: map[SumRequest]model.Count{}}
}

// Sum implements model.CounterSource.
func (r *CounterReader) Sum(scope model.CounterScope, window, subjectState, prefix string) (model.Count, error) {
	asked := planEntry{scope, window, subjectState, prefix}
	scope, key, from, to, err := r.resolve(scope, window)
	if err != nil {
		return model.Count{}, err
	}
	if r.plan != nil && !r.planned {
		if err := r.prefetch(); err != nil {
			return model.Count{}, r.fail(err)
		}
	}
	k := SumRequest{scope, key, subjectState, prefix, from, to}
	n, ok := r.memo[k]
	if !ok {
		if r.plan != nil && key != "" {
			r.plan.add(asked)
		}
		if n, err = r.sum(scope, key, subjectState, prefix, from, to); err != nil {
			return model.Count{}, r.fail(err)
		}
		r.memo[k] = n
	}
	for _, d := range r.pending {
		if d.scope() != scope || (key != "" && d.Key != key) ||
			(subjectState != model.AllSubjectStates && d.SubjectState != subjectState) || !model.CategoryUnder(d.Category, prefix) {
			continue
		}
		if day := model.DayIn(scope, d.Day); day >= from && day <= to {
			n.Subjects += d.Subjects
			n.Devices += d.Devices
		}
	}
	return n, nil
}

// Add makes counts part of what later sums see (a judge's counts, before
// they are written).
func (r *CounterReader) Add(counts []CounterDelta) { r.pending = append(r.pending, counts...) }

// fail keeps err as r's error unless one came first, and returns it.
func (r *CounterReader) fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	return err
}

// Err returns the first error the driver returned, if any.
func (r *CounterReader) Err() error { return r.err }

// History returns a history whose sums come from r.
func (r *CounterReader) History() *model.History { return &model.History{Source: r} }

// Retention is how far back counters are kept: a rolling 12-month window
// never reaches further, and a month more leaves room for clock skew and
// late requests.
const Retention = 13 // months

// PruneBefore returns the moment before which counters may be deleted at
// now (Retention months earlier).
func PruneBefore(now time.Time) time.Time { return now.UTC().AddDate(0, -Retention, 0) }
