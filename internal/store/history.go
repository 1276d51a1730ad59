package store

import (
	"cmp"
	"slices"
	"sort"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// Counters are kept per UTC day: one row per (requesting state,
// counterparty, subject state, category, day). A window is then a sum over
// whole days, so "the preceding 12 months" is exact to the day, and no
// decision ever moves from one window to another except when a day ends.
// Rows older than 13 months are never read and may be pruned.

// DayNumber returns the number of whole UTC days between the Unix epoch and
// t's UTC date. Drivers store days in this form.
func DayNumber(t time.Time) int64 {
	u := t.UTC()
	d := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	return d.Unix() / 86400
}

// Windows returns the day numbers bounding the two history windows at t,
// inclusive on both ends:
//
//   - rolling 12 months: from the day after t's date one year earlier, to
//     t's date (365 days, or 366 when a 29 February falls inside);
//   - year to date: from 1 January of t's year (UTC), to t's date.
//
// Counts on days after t's date are in neither window.
func Windows(t time.Time) (rollingFrom, ytdFrom, to int64) {
	u := t.UTC()
	today := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	rollingFrom = DayNumber(today.AddDate(-1, 0, 1))
	ytdFrom = DayNumber(time.Date(u.Year(), 1, 1, 0, 0, 0, 0, time.UTC))
	return rollingFrom, ytdFrom, DayNumber(today)
}

// HistoryRow is one summed counter a driver read, with which windows it
// belongs to.
type HistoryRow struct {
	SubjectState, Category string
	Rolling, YTD           model.Count
}

// BuildHistory assembles driver rows into a model.History. It never returns
// nil, and leaves out zero counts.
func BuildHistory(rows []HistoryRow) *model.History {
	h := &model.History{
		Rolling12m: map[string]map[string]model.Count{},
		YearToDate: map[string]map[string]model.Count{},
	}
	add := func(m map[string]map[string]model.Count, state, cat string, c model.Count) {
		if c.Subjects == 0 && c.Devices == 0 {
			return
		}
		if m[state] == nil {
			m[state] = map[string]model.Count{}
		}
		old := m[state][cat]
		m[state][cat] = model.Count{Subjects: old.Subjects + c.Subjects, Devices: old.Devices + c.Devices}
	}
	for _, r := range rows {
		add(h.Rolling12m, r.SubjectState, r.Category, r.Rolling)
		add(h.YearToDate, r.SubjectState, r.Category, r.YTD)
	}
	return h
}

// ActingState returns the state a request is counted against: the
// jurisdiction of on_behalf_of when the requester acts for someone, else
// the requester's own.
func ActingState(req *model.Request) string {
	if req.OnBehalfOf != nil && req.OnBehalfOf.Jurisdiction != "" {
		return req.OnBehalfOf.Jurisdiction
	}
	return req.Requester.Jurisdiction
}

// CountsFor returns the counter updates a binding decision makes. Only an
// allow counts: a denied or pending request obtains no data. Every category
// of the request counts every subject state's subjects (a request on
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
	state := ActingState(req)
	if state == "" {
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
	for _, cat := range req.Data.Categories {
		seen := false
		for _, s := range states {
			d := CounterDelta{RequestingState: state, Counterparty: req.Requester.ID, SubjectState: s, Category: cat, Day: at, Subjects: req.Data.Subjects[s]}
			if s == req.Data.Location && req.Data.Devices > 0 {
				d.Devices, seen = req.Data.Devices, true
			}
			out = append(out, d)
		}
		if !seen && req.Data.Devices > 0 && req.Data.Location != "" {
			out = append(out, CounterDelta{RequestingState: state, Counterparty: req.Requester.ID, SubjectState: req.Data.Location, Category: cat, Day: at, Devices: req.Data.Devices})
		}
	}
	return out
}

// SortCounts orders counter updates by their row key (requesting state,
// counterparty, subject state, category, day). Drivers apply them in this
// order, so that concurrent transactions lock counter rows in the same
// order and cannot deadlock. It sorts a copy; counts is left as it was.
func SortCounts(counts []CounterDelta) []CounterDelta {
	out := slices.Clone(counts)
	slices.SortFunc(out, func(a, b CounterDelta) int {
		return cmp.Or(
			cmp.Compare(a.RequestingState, b.RequestingState),
			cmp.Compare(a.Counterparty, b.Counterparty),
			cmp.Compare(a.SubjectState, b.SubjectState),
			cmp.Compare(a.Category, b.Category),
			cmp.Compare(DayNumber(a.Day), DayNumber(b.Day)),
		)
	})
	return out
}

// Retention is how far back counters are kept: a rolling 12-month window
// never reaches further, and a month more leaves room for clock skew and
// late requests.
const Retention = 13 // months

// PruneBefore returns the moment before which counters may be deleted at
// now (Retention months earlier).
func PruneBefore(now time.Time) time.Time { return now.UTC().AddDate(0, -Retention, 0) }
