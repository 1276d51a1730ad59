package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// This file is the listing of decisions (GET /v1/decisions): the summary
// kept beside each private record, the filters, and how drivers index
// them.
//
// A summary holds codes and counts only (states, pack and rule ids,
// action and purpose verbs), never free text or personal data, so that it
// can be shown to every role that may see the decision exists. It is
// derived from the request and decision at record time (SummaryFor), or,
// for a record stored before summaries existed, from the private record
// itself (SummaryFromPrivate).
//
// Each filterable value is also written as a facet row (DecisionFacet:
// name, value, time, log index) with an index on (facet, value, time, log
// index). A listing drives from the first facet of its query (ordered by
// DecisionQuery.Facets) and checks the others by primary key, newest
// first, so a page costs the page size times the other filters'
// selectivity, whatever the number of decisions stored.

// Decision listing limits.
const (
	// MaxListLimit bounds DecisionQuery.Limit.
	MaxListLimit = 10000
)

// DecisionSummary is what a listing shows of one decision: codes and
// counts, never free text or personal data.
type DecisionSummary struct {
	// ID is the decision id.
	ID string `json:"id"`
	// Time is when the decision was made (the server's clock).
	Time time.Time `json:"time"`
	// LogIndex is the index of the decision's entry in the log.
	LogIndex uint64 `json:"log_index"`
	// Outcome is allow, deny or pending.
	Outcome model.Outcome `json:"outcome"`
	// Action and Purpose are the request's verbs.
	Action  string `json:"action"`
	Purpose string `json:"purpose"`
	// RequestingState is the state the request is counted against
	// (ActingState: on_behalf_of's jurisdiction, else the requester's).
	RequestingState string `json:"requesting_state"`
	// Location is where the data is stored.
	Location string `json:"location"`
	// Origin lists where the data was generated, sorted.
	Origin []string `json:"origin"`
	// SubjectStates lists the states whose data subjects the request
	// counts (more than zero), sorted.
	SubjectStates []string `json:"subject_states"`
	// Packs lists the packs evaluated, in decision order.
	Packs []string `json:"packs"`
	// Rules lists the ids of the rules that fired, in decision order.
	Rules []string `json:"rules"`
	// PendingOn says, for a pending decision, what it waits for.
	PendingOn PendingOn `json:"pending_on"`
	// Binding is true: only binding decisions are recorded.
	Binding bool `json:"binding"`
	// Principal is the id of the principal that asked. It is not shown in
	// a listing (json "-"); the store filters on it for requesters.
	Principal string `json:"-"`
	// RequesterState is the requester's own jurisdiction, when it differs
	// from RequestingState (it acted for another state's principal). Not
	// shown; an authority of that state sees the decision.
	RequesterState string `json:"-"`
}

// PendingOn is what a pending decision waits for: signed authorizations
// of states, and measures to attest.
type PendingOn struct {
	States   []string `json:"states"`
	Measures []string `json:"measures"`
}

// SummaryFor returns the summary of a binding decision on req. Lists are
// never nil.
func SummaryFor(req *model.Request, dec *model.Decision) DecisionSummary {
	s := DecisionSummary{ID: dec.ID, Time: dec.Time.UTC(), Outcome: dec.Outcome, Binding: true,
		Origin: []string{}, SubjectStates: []string{}, Packs: []string{}, Rules: []string{},
		PendingOn: PendingOn{States: []string{}, Measures: []string{}}}
	if dec.LogIndex != nil {
		s.LogIndex = *dec.LogIndex
	}
	if req != nil {
		s.Action, s.Purpose = string(req.Action), string(req.Purpose)
		s.RequestingState = ActingState(req)
		s.Principal = req.Requester.ID
		if req.Requester.Jurisdiction != s.RequestingState {
			s.RequesterState = req.Requester.Jurisdiction
		}
		s.Location = req.Data.Location
		s.Origin = sortedSet(req.Data.Origin)
		for st, n := range req.Data.Subjects {
			if n > 0 {
				s.SubjectStates = append(s.SubjectStates, st)
			}
		}
		s.SubjectStates = sortedSet(s.SubjectStates)
	}
	for _, p := range dec.Packs {
		s.Packs = appendNew(s.Packs, p.Pack)
	}
	for _, r := range dec.Reasons {
		s.Rules = appendNew(s.Rules, r.Rule)
		s.Packs = appendNew(s.Packs, r.Pack)
	}
	if dec.Outcome == model.Pending {
		for _, r := range dec.Requires {
			s.PendingOn.States = appendNew(s.PendingOn.States, r.AuthorizationFrom)
			s.PendingOn.Measures = appendNew(s.PendingOn.Measures, r.Measure)
		}
		slices.Sort(s.PendingOn.States)
		slices.Sort(s.PendingOn.Measures)
	}
	return s
}

// SummaryFromPrivate returns the summary of a record from its private
// record ({"request": ..., "decision": ...}, as ledger writes it) and its
// stored columns, which win over the private record's. A private record
// that does not decode gives a summary of the columns alone.
func SummaryFromPrivate(r DecisionRecord) DecisionSummary {
	var p struct {
		Request  *model.Request `json:"request"`
		Decision model.Decision `json:"decision"`
	}
	if json.Unmarshal(r.Private, &p) != nil {
		p.Request, p.Decision = nil, model.Decision{}
	}
	s := r.withColumns(SummaryFor(p.Request, &p.Decision))
	if s.Outcome != model.Pending {
		s.PendingOn = PendingOn{States: []string{}, Measures: []string{}}
	}
	return s
}

func sortedSet(in []string) []string {
	out := []string{}
	for _, v := range in {
		out = appendNew(out, v)
	}
	slices.Sort(out)
	return out
}

// appendNew appends v to list unless it is empty or there already.
func appendNew(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// Facet names: one per filter of DecisionQuery, and the two role scopes.
const (
	FacetOutcome         = "outcome"
	FacetAction          = "action"
	FacetPurpose         = "purpose"
	FacetRequestingState = "requesting_state"
	FacetLocation        = "location"
	FacetSubjectState    = "subject_state"
	FacetPack            = "pack"
	FacetRule            = "rule"
	// FacetPendingOn holds both the states and the measures a pending
	// decision waits for (state codes are upper case, measures lower).
	FacetPendingOn = "pending_on"
	// FacetPrincipal is the requester's principal id (a requester's scope).
	FacetPrincipal = "principal"
	// FacetState is every state the decision involves: location, origin,
	// subject states, requesting state and the requester's own state (an
	// authority's scope).
	FacetState = "state"
)

// DecisionFacet is one indexed (name, value) of a decision.
type DecisionFacet struct {
	Name, Value string
}

// Facets returns the indexed values of s, without duplicates.
func (s DecisionSummary) Facets() []DecisionFacet {
	var out []DecisionFacet
	seen := map[DecisionFacet]bool{}
	add := func(name string, values ...string) {
		for _, v := range values {
			f := DecisionFacet{name, v}
			if v == "" || seen[f] {
				continue
			}
			seen[f] = true
			out = append(out, f)
		}
	}
	add(FacetOutcome, string(s.Outcome))
	add(FacetAction, s.Action)
	add(FacetPurpose, s.Purpose)
	add(FacetRequestingState, s.RequestingState)
	add(FacetLocation, s.Location)
	add(FacetSubjectState, s.SubjectStates...)
	add(FacetPack, s.Packs...)
	add(FacetRule, s.Rules...)
	add(FacetPendingOn, s.PendingOn.States...)
	add(FacetPendingOn, s.PendingOn.Measures...)
	add(FacetPrincipal, s.Principal)
	add(FacetState, s.Location, s.RequestingState, s.RequesterState)
	add(FacetState, s.Origin...)
	add(FacetState, s.SubjectStates...)
	return out
}

// DecisionCursor is the position of a decision in a listing: newest
// first, by time then log index.
type DecisionCursor struct {
	Time     time.Time
	LogIndex uint64
}

// String encodes c for a page token.
func (c DecisionCursor) String() string {
	return fmt.Sprintf("%d.%d", c.Time.UnixNano(), c.LogIndex)
}

// ParseDecisionCursor decodes what DecisionCursor.String wrote.
func ParseDecisionCursor(s string) (DecisionCursor, error) {
	a, b, ok := strings.Cut(s, ".")
	ns, err1 := strconv.ParseInt(a, 10, 64)
	idx, err2 := strconv.ParseUint(b, 10, 63)
	if !ok || err1 != nil || err2 != nil {
		return DecisionCursor{}, fmt.Errorf("%w: cursor %q", ErrInvalid, s)
	}
	return DecisionCursor{Time: time.Unix(0, ns).UTC(), LogIndex: idx}, nil
}

// DecisionQuery selects decisions to list. An empty field matches every
// value; every field given must match.
type DecisionQuery struct {
	Outcome         string
	Pack            string
	Rule            string
	RequestingState string
	Location        string
	SubjectState    string
	Action          string
	Purpose         string
	// PendingOn is a state code or a measure name a pending decision waits
	// for.
	PendingOn string
	// Since (inclusive) and Until (exclusive) bound the decision time;
	// zero: no bound.
	Since, Until time.Time
	// Principal restricts to one requester's decisions (its scope).
	Principal string
	// State restricts to decisions that involve one state (an authority's
	// scope, FacetState).
	State string
	// After, when set, lists only decisions after that position (older,
	// or as old with a lower log index).
	After *DecisionCursor
	// Limit is the most decisions to return, 1 to MaxListLimit.
	Limit int
}

// Facets returns the facet filters of q, the one a listing should drive
// from first: the filters a user chose, roughly rarest first, then the
// role's scope.
func (q DecisionQuery) Facets() []DecisionFacet {
	var out []DecisionFacet
	for _, f := range []DecisionFacet{
		{FacetPendingOn, q.PendingOn}, {FacetRule, q.Rule}, {FacetSubjectState, q.SubjectState},
		{FacetLocation, q.Location}, {FacetRequestingState, q.RequestingState}, {FacetPack, q.Pack},
		{FacetPurpose, q.Purpose}, {FacetAction, q.Action}, {FacetOutcome, q.Outcome},
		{FacetPrincipal, q.Principal}, {FacetState, q.State},
	} {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}

// Validate checks the limit and the time range.
func (q DecisionQuery) Validate() error {
	switch {
	case q.Limit < 1 || q.Limit > MaxListLimit:
		return fmt.Errorf("%w: limit %d is not between 1 and %d", ErrInvalid, q.Limit, MaxListLimit)
	case !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until):
		return fmt.Errorf("%w: since %s is not before until %s", ErrInvalid, q.Since.Format(time.RFC3339), q.Until.Format(time.RFC3339))
	}
	return nil
}

// DecisionLister lists decisions' summaries.
type DecisionLister interface {
	// ListDecisions returns at most q.Limit summaries of the recorded (not
	// voided) decisions matching q, newest first (by time, then log
	// index). Ask for one more than a page to know whether another
	// follows.
	ListDecisions(ctx context.Context, q DecisionQuery) ([]DecisionSummary, error)
}

// SQLDialect is what ListSQL needs to know of a driver's SQL.
type SQLDialect struct {
	// Arg returns the placeholder of the n-th argument (1-based: "?" for
	// SQLite, "$n" for PostgreSQL).
	Arg func(n int) string
	// Time converts a time to the driver's value of a created column.
	Time func(time.Time) any
	// Fence, appended to each EXISTS subquery of the other filters, keeps
	// it a per-row probe by primary key ("OFFSET 0" for PostgreSQL, whose
	// planner would otherwise turn it into a hash semi-join reading every
	// row of that filter once its statistics or a generic plan say so).
	Fence string
}

// ListSQL is the query of a listing, for drivers: it selects id,
// log_index, principal_id, outcome, created, summary and (only when
// summary is NULL) private of the decisions matching q, newest first,
// driving from the first facet of q (DecisionQuery.Facets) when there is
// one and probing the others by primary key. It returns the query and its
// arguments; q must be valid.
func ListSQL(q DecisionQuery, d SQLDialect) (string, []any) {
	arg, at := d.Arg, d.Time
	var args []any
	p := func(v any) string {
		args = append(args, v)
		return arg(len(args))
	}
	facets := q.Facets()
	var b strings.Builder
	// t is the table whose created and log_index order the listing.
	t := "d"
	b.WriteString("SELECT d.id, d.log_index, d.principal_id, d.outcome, d.created, d.summary, CASE WHEN d.summary IS NULL THEN d.private END FROM ")
	var where []string
	if len(facets) > 0 {
		t = "f"
		b.WriteString("decision_facets f JOIN decisions d ON d.log_index = f.log_index")
		where = append(where, "f.facet = "+p(facets[0].Name), "f.value = "+p(facets[0].Value))
	} else {
		b.WriteString("decisions d")
	}
	if !q.Since.IsZero() {
		where = append(where, t+".created >= "+p(at(q.Since)))
	}
	if !q.Until.IsZero() {
		where = append(where, t+".created < "+p(at(q.Until)))
	}
	if q.After != nil {
		where = append(where, fmt.Sprintf("(%s.created, %s.log_index) < (%s, %s)", t, t, p(at(q.After.Time)), p(int64(q.After.LogIndex))))
	}
	for i, f := range facets[min(1, len(facets)):] {
		g := fmt.Sprintf("g%d", i+1)
		where = append(where, fmt.Sprintf("EXISTS (SELECT 1 FROM decision_facets %s WHERE %s.log_index = %s.log_index AND %s.facet = %s AND %s.value = %s%s)",
			g, g, t, g, p(f.Name), g, p(f.Value), d.Fence))
	}
	where = append(where, "NOT EXISTS (SELECT 1 FROM voids v WHERE v.log_index = d.log_index)")
	b.WriteString(" WHERE " + strings.Join(where, " AND "))
	fmt.Fprintf(&b, " ORDER BY %s.created DESC, %s.log_index DESC LIMIT %s", t, t, p(q.Limit))
	return b.String(), args
}

// ScanSummary builds a listed decision's summary from its row (see
// ListSQL): the summary column's JSON, or the private record's when that
// is NULL, with the row's own columns winning.
func ScanSummary(id string, logIndex uint64, principal, outcome string, created time.Time, summary, private []byte) (DecisionSummary, error) {
	r := DecisionRecord{ID: id, LogIndex: logIndex, Principal: principal, Outcome: model.Outcome(outcome), Created: created, Private: private}
	if summary != nil {
		var s DecisionSummary
		if err := json.Unmarshal(summary, &s); err != nil {
			return DecisionSummary{}, fmt.Errorf("decode summary of decision %s: %w", id, err)
		}
		r.Summary = &s
	}
	s := SummaryOf(r)
	s.Binding = true
	return s, nil
}

// EncodeSummary is the JSON a driver keeps in the summary column.
func EncodeSummary(s DecisionSummary) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("%w: summary of decision %s: %v", ErrInvalid, s.ID, err)
	}
	return string(b), nil
}
