package model

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/jsonstrict"
	"github.com/accord-dev/accord/internal/locale"
)

// CounterScope names how a regime aggregates the counts it thresholds:
// whose transfers are added together, and in which calendar the days of
// its windows run. Every allowed binding decision is counted under each
// scope whose key the request has (Request.CounterKey); a pack reads the
// scope its regime's text names (cumulative, cumulativeByPair,
// cumulativeByExporter in packs).
type CounterScope string

// The counter scopes.
const (
	// ScopeState counts per acting state (the state on whose behalf data
	// is obtained, whichever counterparty obtains it): GDSI commitment 3,
	// no mass collection of another state's people. Days are UTC days.
	ScopeState CounterScope = "state"
	// ScopePair counts per exporter and importer together: the US Data
	// Security Program counts "by a U.S. person" with "the same foreign
	// person or covered person" over the preceding 12 months (28 CFR
	// 202.205). Days are UTC days.
	ScopePair CounterScope = "exporter-importer"
	// ScopeExporter counts per exporter, whatever the recipient: China's
	// Provisions on Promoting and Regulating Cross-Border Data Flows (2024)
	// art. 7–8 count what a personal information processor has provided
	// abroad since 1 January. Days are days of China Standard Time
	// (Asia/Shanghai, UTC+8), so the year starts at 16:00 UTC on 31
	// December.
	ScopeExporter CounterScope = "exporter"
)

// CounterScopes lists every scope, in the order their keys are locked.
var CounterScopes = []CounterScope{ScopeState, ScopePair, ScopeExporter}

// chinaStandardTime is Asia/Shanghai: UTC+8 all year (China has kept no
// daylight saving time since 1991), fixed so that no tzdata is needed.
var chinaStandardTime = time.FixedZone("CST", 8*3600)

// Zone is the time zone whose calendar days the scope's windows count.
func (s CounterScope) Zone() *time.Location {
	if s == ScopeExporter {
		return chinaStandardTime
	}
	return time.UTC
}

// The windows a pack may sum a counter over.
const (
	// WindowRolling12m is the preceding 12 months: from the day after the
	// same date a year earlier to today, in the scope's calendar.
	WindowRolling12m = "12m"
	// WindowYearToDate runs from 1 January of the current year to today,
	// in the scope's calendar.
	WindowYearToDate = "ytd"
)

// ErrUnknownWindow is returned for a window name other than "12m" and
// "ytd".
var ErrUnknownWindow = errors.New(`unknown window: want "12m" or "ytd"`)

// unknownWindow returns ErrUnknownWindow naming w.
func unknownWindow(w string) error {
	return fmt.Errorf("%w (got %q)", ErrUnknownWindow, w)
}

// DayIn returns the number of whole days between 1 January 1970 and t's
// date in the scope's calendar.
func DayIn(s CounterScope, t time.Time) int64 {
	return dateIn(s, t).Unix() / 86400
}

// dateIn returns t's date in the scope's calendar, as midnight UTC of
// that date.
func dateIn(s CounterScope, t time.Time) time.Time {
	u := t.In(s.Zone())
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
}

// WindowDays returns the first and last day (DayIn numbers, both
// included) of window w at t in the scope's calendar. Counts of days after
// t's date are in no window.
func WindowDays(s CounterScope, w string, t time.Time) (from, to int64, err error) {
	today := dateIn(s, t)
	to = today.Unix() / 86400
	switch w {
	case WindowRolling12m:
		return today.AddDate(-1, 0, 1).Unix() / 86400, to, nil
	case WindowYearToDate:
		return time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400, to, nil
	}
	return 0, 0, unknownWindow(w)
}

// ActingState returns the state a request is counted against under
// ScopeState: the jurisdiction of on_behalf_of when the requester acts for
// someone, else the requester's own.
func ActingState(r *Request) string {
	if r.OnBehalfOf != nil && r.OnBehalfOf.Jurisdiction != "" {
		return r.OnBehalfOf.Jurisdiction
	}
	return r.Requester.Jurisdiction
}

// pairSeparator joins an exporter's and an importer's id in a pair key.
// Two pairs that join to the same key share one counter, which can only
// make a threshold stricter.
const pairSeparator = "\x1f"

// CounterKey returns the key r is counted under in scope s: the acting
// state (ScopeState); the exporter's id, else the requester's, which
// stands for the exporter in a request without parties (ScopeExporter);
// the exporter's and importer's ids (ScopePair). It is "" when r does not
// name the parties the scope needs (a pair without both, any scope
// without an acting state); r is then not counted there, and a pack
// reading that scope for r reads ScopeState instead (what every regime
// read before requests named their parties: the acting state's pool of
// every counterparty, no looser than any one pair of it).
func (r *Request) CounterKey(s CounterScope) string {
	switch s {
	case ScopeState:
		return ActingState(r)
	case ScopeExporter:
		if ActingState(r) == "" {
			return ""
		}
		if r.Exporter != nil && r.Exporter.ID != "" {
			return r.Exporter.ID
		}
		return r.Requester.ID
	case ScopePair:
		if ActingState(r) != "" && r.Exporter != nil && r.Importer != nil && r.Exporter.ID != "" && r.Importer.ID != "" {
			return r.Exporter.ID + pairSeparator + r.Importer.ID
		}
	}
	return ""
}

// CounterSource answers window sums from the server's counters. The
// server's History carries one, read inside the transaction that reserves
// the decision's counts, so a pack reads only the counters it asks for.
type CounterSource interface {
	// Sum returns the counts of scope's counter for this request, subjects
	// of subjectState (AllSubjectStates: every state) in categories under
	// prefix ("" for every category), over window.
	Sum(scope CounterScope, window, subjectState, prefix string) (Count, error)
}

// AllSubjectStates, as a subject state, counts data subjects of every
// jurisdiction.
const AllSubjectStates = "*"

// CategoryUnder reports whether category c is prefix or under it
// ("personal.health" is under "personal"; every category is under "").
func CategoryUnder(c, prefix string) bool {
	if prefix == "" {
		return true
	}
	return c == prefix || (len(c) > len(prefix) && c[len(prefix)] == '.' && strings.HasPrefix(c, prefix))
}

// Sum returns h's counts of scope for subjects of subjectState
// (AllSubjectStates: every state) in categories under prefix, over
// window. With a Source it asks the source; otherwise (a request file's
// history, for `accord check`) it sums the maps, which stand for the
// counters of every scope. A nil h counts nothing.
func (h *History) Sum(scope CounterScope, window, subjectState, prefix string) (Count, error) {
	if h == nil {
		if window != WindowRolling12m && window != WindowYearToDate {
			return Count{}, unknownWindow(window)
		}
		return Count{}, nil
	}
	if h.Source != nil {
		return h.Source.Sum(scope, window, subjectState, prefix)
	}
	var m map[string]map[string]Count
	switch window {
	case WindowRolling12m:
		m = h.Rolling12m
	case WindowYearToDate:
		m = h.YearToDate
	default:
		return Count{}, unknownWindow(window)
	}
	var n Count
	add := func(cats map[string]Count) {
		for cat, c := range cats {
			if CategoryUnder(cat, prefix) {
				n.Subjects += c.Subjects
				n.Devices += c.Devices
			}
		}
	}
	if subjectState == AllSubjectStates {
		for _, cats := range m {
			add(cats)
		}
	} else {
		add(m[subjectState])
	}
	return n, nil
}

// SubjectsIn returns the data subjects of state counted in category cat:
// the category's own count when SubjectsByCategory gives one for state,
// else the state's plain count, which every other category holds.
func (d *Data) SubjectsIn(state, cat string) int64 {
	if n, ok := d.SubjectsByCategory[cat][state]; ok {
		return n
	}
	return d.Subjects[state]
}

// SubjectsUnder returns the data subjects of state (AllSubjectStates:
// every state) in the categories of d that match reports true for.
// Without SubjectsByCategory, the people are the same whichever category
// they are in: the plain count, once, when any category matches. With
// it, the matching categories' counts (SubjectsIn) are added, as the
// request does not say whether they hold the same people (the stricter
// reading), but never beyond the state's plain count, which is the
// number of distinct people of the state.
func (d *Data) SubjectsUnder(state string, match func(cat string) bool) int64 {
	if state == AllSubjectStates {
		var n int64
		for s := range d.Subjects {
			n = addCount(n, d.SubjectsUnder(s, match))
		}
		return n
	}
	if len(d.SubjectsByCategory) == 0 {
		if slices.ContainsFunc(d.Categories, match) {
			return d.Subjects[state]
		}
		return 0
	}
	var n int64
	for i, cat := range d.Categories {
		if match(cat) && !slices.Contains(d.Categories[:i], cat) {
			n = addCount(n, d.SubjectsIn(state, cat))
		}
	}
	if total, ok := d.Subjects[state]; ok && n > total {
		n = total
	}
	return n
}

// addCount adds two non-negative counts, saturating at math.MaxInt64.
func addCount(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// CheckSubjects checks SubjectsByCategory against the rest of d and
// completes Subjects from it; DecodeRequest calls it. Every category it
// names must be one of Categories; a plain count it gives for a state
// must be at least each category's count of that state (people in several
// categories may be the same people, so the plain count, the number of
// distinct people, lies between the largest category and the sum); a
// state it counts with no plain count gets the sum over categories, the
// stricter reading, since the request does not say how the categories
// overlap (give the plain count to say). Errors are *InputError naming
// the member at fault; on error d is unchanged.
func (d *Data) CheckSubjects() error {
	if len(d.SubjectsByCategory) == 0 {
		return nil
	}
	cats := slices.Sorted(maps.Keys(d.SubjectsByCategory))
	sums := map[string]int64{}
	for _, cat := range cats {
		if !slices.Contains(d.Categories, cat) {
			return NewInputError(jsonstrict.Member("data.subjects_by_category", cat),
				locale.Errorf("category %s is not one of data.categories; add it there, or remove its counts", strconv.Quote(cat)))
		}
		for _, state := range slices.Sorted(maps.Keys(d.SubjectsByCategory[cat])) {
			n := d.SubjectsByCategory[cat][state]
			if n > math.MaxInt64-sums[state] {
				return NewInputError(jsonstrict.Member(jsonstrict.Member("data.subjects_by_category", cat), state), locale.Errorf("the counts of %s add up beyond the largest count", state))
			}
			sums[state] += n
			if total, ok := d.Subjects[state]; ok && total < n {
				return NewInputError(jsonstrict.Member("data.subjects", state),
					locale.Errorf("%s is fewer than the %s people of %s counted in category %s: the plain count is the number of distinct people in all categories",
						strconv.FormatInt(total, 10), strconv.FormatInt(n, 10), state, strconv.Quote(cat)))
			}
		}
	}
	for _, state := range slices.Sorted(maps.Keys(sums)) {
		if _, ok := d.Subjects[state]; !ok {
			if d.Subjects == nil {
				d.Subjects = make(map[string]int64, len(sums))
			}
			d.Subjects[state] = sums[state]
		}
	}
	return nil
}
