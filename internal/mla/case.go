// Package mla runs mutual-legal-assistance cases: a state's authority asks
// another state for data located there, the requested state's central
// authority answers, the provider holding the data executes the answer.
//
// A case moves through these states; every move is checked (only the right
// authority may make it), timestamped, and yields an Event for the
// transparency log:
//
//		opened ──► received ──► accepted ──┬──► executed ──► closed
//		   (requesting        │  narrowed ──┘
//		    authority)        └► refused ─────────────────► closed
//
//	  - opened: by an authority of the requesting state, against the
//	    requested state, for a scope (authz.Scope) and a provider;
//	  - received, accepted, narrowed, refused: by a central authority of the
//	    requested state. Narrowed is an acceptance with a narrower scope;
//	  - executed: by the provider named in the case, once, within the scope
//	    granted (a narrowed case executed beyond its narrowing is refused);
//	  - closed: by the requesting authority (at any time: withdrawal), or by
//	    the requested state's central authority after execution or refusal.
//
// An accepted or narrowed case yields an authorization statement
// (Case.Authorization) for the requested state's authority to sign; the
// provider's request carries it, and the decision checks it like any other.
//
// This is the channel the Global Data Security Initiative names for law
// enforcement access to data abroad: "dans le cadre de l'assistance
// judiciaire" (commitment 6: GDSI letter of 18 September 2020, annex, paragraph 6),
// and the Strategy's call to perfect mutual legal assistance against
// cybercrime (International Strategy of Cooperation on Cyberspace, 1 March 2017, chapter IV, section 5).
package mla

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// State is where a case stands.
type State string

// The case states.
const (
	Opened   State = "opened"
	Received State = "received"
	Accepted State = "accepted"
	Narrowed State = "narrowed"
	Refused  State = "refused"
	Executed State = "executed"
	Closed   State = "closed"
)

// Errors the transitions return, wrapped with the case id and details.
var (
	// ErrForbidden: the actor may not make this transition (wrong state,
	// wrong role, not the provider named). Answer 403.
	ErrForbidden = locale.Errorf("not allowed to act on this case")
	// ErrState: the case is not in a state that allows the transition.
	// Answer 409.
	ErrState = locale.Errorf("transition not allowed from the case's state")
	// ErrBeyondScope: an execution goes beyond the scope granted, or a
	// narrowing is wider than what was requested. Answer 422.
	ErrBeyondScope = locale.Errorf("beyond the scope granted")
	// ErrInvalid: the input is malformed (bad id, unknown state code,
	// unknown refusal ground). Answer 400.
	ErrInvalid = locale.Errorf("invalid case input")
)

// RefusalGrounds are the grounds a requested state may give for refusing,
// as codes (a case holds no free text). They follow the grounds common to
// mutual legal assistance treaties.
var RefusalGrounds = []string{
	"sovereignty-security-public-order", // the request would prejudice sovereignty, security or public order
	"political-offence",
	"military-offence",
	"dual-criminality", // the conduct is not an offence in the requested state
	"ne-bis-in-idem",
	"insufficient-information",
	"data-not-held",
	"third-state-data", // only third states' data would be disclosed
	"other",
}

// Case is one mutual-legal-assistance case. It holds identifiers, codes,
// counts and times, never personal data or free text, so that its events
// can go to the public log as they are.
type Case struct {
	// ID is the case reference (e.g. MLA-2026-0042), chosen by the
	// requesting authority; the provider's request names it in basis.ref.
	ID string `json:"id"`
	// Version increases by one with every stored change (optimistic
	// concurrency: see Cases).
	Version uint64 `json:"version"`
	// State is where the case stands.
	State State `json:"state"`
	// Agreement is the registry id of the treaty or convention relied on,
	// or "" for a request on the basis of reciprocity.
	Agreement string `json:"agreement,omitempty"`
	// RequestingState and RequestedState are the two states of the case.
	RequestingState string `json:"requesting_state"`
	RequestedState  string `json:"requested_state"`
	// RequestingAuthority is the authority that opened the case.
	RequestingAuthority string `json:"requesting_authority"`
	// Grantee is the principal the data is for: the authorization names
	// it. Defaults to RequestingAuthority.
	Grantee string `json:"grantee"`
	// Provider is the principal holding the data, who executes.
	Provider string `json:"provider"`
	// Requested is the scope asked for.
	Requested authz.Scope `json:"requested"`
	// Granted is the scope accepted (equal to Requested) or narrowed to.
	Granted *authz.Scope `json:"granted,omitempty"`
	// CentralAuthority is the requested state's central authority that
	// answered (received, accepted, narrowed or refused).
	CentralAuthority string `json:"central_authority,omitempty"`
	// RefusalGround is one of RefusalGrounds, for a refused case.
	RefusalGround string `json:"refusal_ground,omitempty"`
	// Terms are the deadlines and validity that apply (see Deadlines).
	Terms Terms `json:"terms"`
	// OpenedAt is when the case was opened; AnswerBy is the deadline for
	// the requested state's answer; AnsweredAt is when it answered.
	OpenedAt   time.Time `json:"opened_at"`
	AnswerBy   time.Time `json:"answer_by"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	// ExecuteBy is the deadline for execution once accepted; ValidTo is
	// when the resulting authorization lapses.
	ExecuteBy time.Time `json:"execute_by,omitzero"`
	ValidTo   time.Time `json:"valid_to,omitzero"`
	// Execution records what was executed, in counts.
	Execution *Execution `json:"execution,omitempty"`
	// History lists every transition, oldest first.
	History []Step `json:"history"`
}

// Execution is what the provider executed, in counts only.
type Execution struct {
	// Decision is the id of the binding decision the execution ran under.
	Decision string `json:"decision,omitempty"`
	// Subjects counts the subjects disclosed, per state, after exclusion.
	Subjects map[string]int64 `json:"subjects,omitempty"`
	// Records counts the records disclosed.
	Records int64 `json:"records"`
	// Excluded lists what third-state exclusion removed.
	Excluded []Excluded `json:"excluded,omitempty"`
}

// Step is one transition of a case.
type Step struct {
	// From and To are the states before and after ("" before opening).
	From State `json:"from"`
	To   State `json:"to"`
	// By is the id of the principal who made it; ByState its state.
	By      string `json:"by"`
	ByState string `json:"by_state"`
	// At is when it was made.
	At time.Time `json:"at"`
	// Event is what was (or is to be) appended to the log for it.
	Event Event `json:"event"`
	// LogIndex is the event's index in the log, once appended.
	LogIndex *uint64 `json:"log_index,omitempty"`
	// LogAttempt is when a writer last claimed the step to append its
	// event; LogFailed says that attempt failed. While a step is unlogged,
	// its claim holds for LogGrace unless it failed (see Service).
	LogAttempt time.Time `json:"log_attempt,omitzero"`
	LogFailed  bool      `json:"log_failed,omitempty"`
}

// Event is a transition as the transparency log records it: a kind
// ("mla.opened", ...) and a summary of ids, codes, counts and times.
type Event struct {
	Kind    string         `json:"kind"`
	Summary map[string]any `json:"summary"`
}

// OpenSpec is what a requesting authority gives to open a case.
type OpenSpec struct {
	// ID is the case reference: 1-48 letters, digits and ._:/-.
	ID string
	// RequestedState is the state asked.
	RequestedState string
	// Agreement is the registry agreement relied on ("" = reciprocity).
	Agreement string
	// Grantee receives the data; "" = the opening authority.
	Grantee string
	// Provider holds the data and will execute.
	Provider string
	// Scope is what is asked for.
	Scope authz.Scope
}

var (
	// idPattern is the form of case, principal and decision ids: short
	// codes, so that a case id and its state fit a log entry's 64-byte
	// subject field.
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,47}$`)
	statePattern = regexp.MustCompile(`^[A-Z]{2}$`)
)

// OpenerRoles are the roles of authority that may open a case.
var OpenerRoles = []string{"law-enforcement", "judicial", "central-authority"}

// CasePurposes are the purposes a case may ask for: assistance in criminal
// matters, and emergencies.
var CasePurposes = []string{string(model.PurposeLawEnforcement), string(model.PurposeEmergency)}

// Open opens a case: by must be a state authority with one of OpenerRoles;
// its jurisdiction is the requesting state.
func Open(spec OpenSpec, by model.Principal, at time.Time, terms Terms) (*Case, Event, error) {
	switch {
	case !idPattern.MatchString(spec.ID):
		return nil, Event{}, locale.Errorf("%v: case id %q: use 1-48 letters, digits or ._:/-", ErrInvalid, spec.ID)
	case !statePattern.MatchString(spec.RequestedState):
		return nil, Event{}, locale.Errorf("%v: requested state %q is not an ISO 3166-1 alpha-2 code", ErrInvalid, spec.RequestedState)
	case spec.Agreement != "" && !idPattern.MatchString(spec.Agreement):
		return nil, Event{}, locale.Errorf("%v: agreement %q is not an id", ErrInvalid, spec.Agreement)
	case !idPattern.MatchString(spec.Provider):
		return nil, Event{}, locale.Errorf("%v: provider %q: name the principal holding the data", ErrInvalid, spec.Provider)
	case spec.Grantee != "" && !idPattern.MatchString(spec.Grantee):
		return nil, Event{}, locale.Errorf("%v: grantee %q is not an id", ErrInvalid, spec.Grantee)
	}
	if err := validScope(&spec.Scope); err != nil {
		return nil, Event{}, err
	}
	if by.Kind != model.KindStateAuthority || !slices.Contains(OpenerRoles, by.Role) || !idPattern.MatchString(by.ID) {
		return nil, Event{}, locale.Errorf("%v: case %s: only a state authority (%v) may open a case; %s is %s/%s", ErrForbidden, spec.ID, OpenerRoles, by.ID, by.Kind, by.Role)
	}
	if !statePattern.MatchString(by.Jurisdiction) {
		return nil, Event{}, locale.Errorf("%v: opener's jurisdiction %q", ErrInvalid, by.Jurisdiction)
	}
	if by.Jurisdiction == spec.RequestedState {
		return nil, Event{}, locale.Errorf("%v: case %s: %s cannot ask its own state %s for mutual legal assistance", ErrInvalid, spec.ID, by.ID, by.Jurisdiction)
	}
	c := &Case{
		ID:                  spec.ID,
		State:               Opened,
		Agreement:           spec.Agreement,
		RequestingState:     by.Jurisdiction,
		RequestedState:      spec.RequestedState,
		RequestingAuthority: by.ID,
		Grantee:             spec.Grantee,
		Provider:            spec.Provider,
		Requested:           cloneScope(spec.Scope),
		Terms:               terms,
		OpenedAt:            at.UTC(),
		AnswerBy:            at.UTC().Add(terms.Answer),
	}
	if c.Grantee == "" {
		c.Grantee = by.ID
	}
	ev := c.step("", Opened, by, at, map[string]any{
		"answer_by": c.AnswerBy.Format(time.RFC3339),
		"requested": scopeSummary(&c.Requested),
	})
	return c, ev, nil
}

// Receive records that the requested state's central authority received
// the case.
func (c *Case) Receive(by model.Principal, at time.Time) (Event, error) {
	if err := c.mustBeCentral(by, "receive"); err != nil {
		return Event{}, err
	}
	if err := c.mustBeIn("receive", Opened); err != nil {
		return Event{}, err
	}
	c.CentralAuthority = by.ID
	return c.step(Opened, Received, by, at, nil), nil
}

// Accept grants the scope requested.
func (c *Case) Accept(by model.Principal, at time.Time) (Event, error) {
	return c.answer(by, at, Accepted, cloneScope(c.Requested))
}

// Narrow grants a narrower scope than requested: every bound at most what
// was asked (authz.Scope.Within). The case counts as accepted.
func (c *Case) Narrow(by model.Principal, at time.Time, scope authz.Scope) (Event, error) {
	if err := validScope(&scope); err != nil {
		return Event{}, err
	}
	if sf := scope.Within(&c.Requested); len(sf) > 0 {
		return Event{}, locale.Errorf("%v: case %s: a narrowing cannot grant more than was requested: %v", ErrBeyondScope, c.ID, shortfalls(sf))
	}
	return c.answer(by, at, Narrowed, scope)
}

func (c *Case) answer(by model.Principal, at time.Time, to State, granted authz.Scope) (Event, error) {
	verb := map[State]string{Accepted: "accept", Narrowed: "narrow"}[to]
	if err := c.mustBeCentral(by, verb); err != nil {
		return Event{}, err
	}
	if err := c.mustBeIn(verb, Received); err != nil {
		return Event{}, err
	}
	c.Granted = &granted
	c.CentralAuthority = by.ID
	c.AnsweredAt = at.UTC()
	c.ExecuteBy = at.UTC().Add(c.Terms.Execute)
	c.ValidTo = at.UTC().Add(c.Terms.Validity)
	return c.step(Received, to, by, at, map[string]any{
		"granted":    scopeSummary(c.Granted),
		"execute_by": c.ExecuteBy.Format(time.RFC3339),
		"valid_to":   c.ValidTo.Format(time.RFC3339),
	}), nil
}

// Refuse refuses the case on one of RefusalGrounds.
func (c *Case) Refuse(by model.Principal, at time.Time, ground string) (Event, error) {
	if !slices.Contains(RefusalGrounds, ground) {
		return Event{}, locale.Errorf("%v: refusal ground %q is not one of %v", ErrInvalid, ground, RefusalGrounds)
	}
	if err := c.mustBeCentral(by, "refuse"); err != nil {
		return Event{}, err
	}
	if err := c.mustBeIn("refuse", Received); err != nil {
		return Event{}, err
	}
	c.RefusalGround = ground
	c.CentralAuthority = by.ID
	c.AnsweredAt = at.UTC()
	return c.step(Received, Refused, by, at, map[string]any{"ground": ground}), nil
}

// Execute records the provider's execution of an accepted or narrowed case.
// req is the provider's request, as decided: it must name the case in
// basis (kind mla, ref = case id), concern data located in the requested
// state, and stay within the scope granted once third-state subjects are
// excluded. x is the third-state exclusion computed for req (see Exclude);
// the case records its counts. decision is the binding decision's id.
func (c *Case) Execute(by model.Principal, at time.Time, req *model.Request, x Exclusion, decision string) (Event, error) {
	if by.ID != c.Provider {
		return Event{}, locale.Errorf("%v: case %s: only the provider %s may execute it, not %s", ErrForbidden, c.ID, c.Provider, by.ID)
	}
	if err := c.mustBeIn("execute", Accepted, Narrowed); err != nil {
		return Event{}, err
	}
	if !at.Before(c.ValidTo) {
		return Event{}, locale.Errorf("%v: case %s: the authorization lapsed at %s", ErrState, c.ID, c.ValidTo.Format(time.RFC3339))
	}
	if decision != "" && !idPattern.MatchString(decision) {
		return Event{}, locale.Errorf("%v: decision id %q", ErrInvalid, decision)
	}
	if req.Basis.Kind != "mla" || req.Basis.Ref != c.ID {
		return Event{}, locale.Errorf("%v: case %s: the request's basis must be {kind: mla, ref: %s}, got {kind: %q, ref: %q}", ErrInvalid, c.ID, c.ID, req.Basis.Kind, req.Basis.Ref)
	}
	if req.Data.Location != c.RequestedState {
		return Event{}, locale.Errorf("%v: case %s: the case is for data located in %s, the request's is in %s", ErrBeyondScope, c.ID, c.RequestedState, req.Data.Location)
	}
	if x.OnlyThirdState {
		return Event{}, locale.Errorf("%v: case %s: only third-state data would be disclosed (pending on %v)", ErrBeyondScope, c.ID, x.PendingOn)
	}
	kept := x.Apply(req)
	if sf := c.Granted.Covers(kept); len(sf) > 0 {
		if c.State == Narrowed {
			return Event{}, locale.Errorf("%v: case %s was narrowed to a scope the execution exceeds: %v", ErrBeyondScope, c.ID, shortfalls(sf))
		}
		return Event{}, locale.Errorf("%v: case %s was granted a scope the execution exceeds: %v", ErrBeyondScope, c.ID, shortfalls(sf))
	}
	from := c.State
	c.Execution = &Execution{Decision: decision, Subjects: kept.Data.Subjects, Records: kept.Data.Records, Excluded: x.Excluded}
	summary := map[string]any{"subjects": countsSummary(kept.Data.Subjects), "records": kept.Data.Records}
	if decision != "" {
		summary["decision"] = decision
	}
	if len(x.Excluded) > 0 {
		summary["excluded"] = excludedSummary(x.Excluded)
	}
	if !at.Before(c.ExecuteBy) {
		summary["late"] = true
	}
	return c.step(from, Executed, by, at, summary), nil
}

// Close closes the case. The requesting authority may close (withdraw) it
// at any time; the requested state's central authority once it is executed
// or refused.
func (c *Case) Close(by model.Principal, at time.Time) (Event, error) {
	if c.State == Closed {
		return Event{}, locale.Errorf("%v: case %s is already closed", ErrState, c.ID)
	}
	switch {
	case by.ID == c.RequestingAuthority && by.Jurisdiction == c.RequestingState:
	case c.isCentral(by):
		if c.State != Executed && c.State != Refused {
			return Event{}, locale.Errorf("%v: case %s is %s; the requested state closes it once executed or refused", ErrState, c.ID, c.State)
		}
	default:
		return Event{}, locale.Errorf("%v: case %s: only %s or a central authority of %s may close it, not %s", ErrForbidden, c.ID, c.RequestingAuthority, c.RequestedState, by.ID)
	}
	return c.step(c.State, Closed, by, at, nil), nil
}

// Authorization returns the authorization statement an accepted or
// narrowed case yields, unsigned: the requested state's central authority
// that answered signs it (accord authz sign). Its id is the case id with
// "-A"; it names the grantee, the scope granted, and is valid from the
// answer until the case's ValidTo.
func (c *Case) Authorization() (*authz.Statement, error) {
	if c.Granted == nil || (c.State != Accepted && c.State != Narrowed && c.State != Executed) {
		return nil, locale.Errorf("%v: case %s is %s; only an accepted or narrowed case yields an authorization", ErrState, c.ID, c.State)
	}
	st := &authz.Statement{
		ID:                 c.ID + "-A",
		Type:               authz.TypeAuthorization,
		Issuer:             c.CentralAuthority,
		IssuerJurisdiction: c.RequestedState,
		Grantee:            c.Grantee,
		Scope:              ptr(cloneScope(*c.Granted)),
		ValidFrom:          c.AnsweredAt,
		ValidTo:            c.ValidTo,
		Conditions:         []string{"specialty"},
		Ref:                c.ID,
	}
	if err := st.Validate(); err != nil {
		return nil, locale.Errorf("case %s: authorization: %v", c.ID, err)
	}
	return st, nil
}

// Parties returns the two states of the case, sorted: the states whose
// subjects an execution may disclose without another state's authorization.
func (c *Case) Parties() []string {
	p := []string{c.RequestingState, c.RequestedState}
	sort.Strings(p)
	return p
}

func (c *Case) isCentral(by model.Principal) bool {
	return by.Kind == model.KindStateAuthority && by.Role == "central-authority" && by.Jurisdiction == c.RequestedState
}

func (c *Case) mustBeCentral(by model.Principal, verb string) error {
	if !c.isCentral(by) {
		return locale.Errorf("%v: case %s: only a central authority of %s may %s it; %s is %s/%s of %s", ErrForbidden, c.ID, c.RequestedState, verb, by.ID, by.Kind, by.Role, by.Jurisdiction)
	}
	return nil
}

func (c *Case) mustBeIn(verb string, states ...State) error {
	if !slices.Contains(states, c.State) {
		return locale.Errorf("%v: case %s is %s; cannot %s it", ErrState, c.ID, c.State, verb)
	}
	return nil
}

// step moves the case, records the step and returns its event.
func (c *Case) step(from, to State, by model.Principal, at time.Time, extra map[string]any) Event {
	at = at.UTC()
	summary := map[string]any{
		"case":             c.ID,
		"from":             string(from),
		"to":               string(to),
		"requesting_state": c.RequestingState,
		"requested_state":  c.RequestedState,
		"by":               by.ID,
		"by_state":         by.Jurisdiction,
		"by_kind":          by.Kind,
		"at":               at.Format(time.RFC3339Nano),
		"step":             len(c.History) + 1,
	}
	if c.Agreement != "" {
		summary["agreement"] = c.Agreement
	}
	if by.Role != "" {
		summary["by_role"] = by.Role
	}
	for k, v := range extra {
		summary[k] = v
	}
	ev := Event{Kind: "mla." + string(to), Summary: summary}
	c.State = to
	c.History = append(c.History, Step{From: from, To: to, By: by.ID, ByState: by.Jurisdiction, At: at, Event: ev})
	return ev
}

func validScope(sc *authz.Scope) error {
	st := authz.Statement{ID: "x", Type: authz.TypeAuthorization, Issuer: "x", IssuerJurisdiction: "XX", Grantee: "x",
		Scope: sc, ValidFrom: time.Unix(0, 0), ValidTo: time.Unix(1, 0)}
	if err := st.Validate(); err != nil {
		return locale.Errorf("%v: %v", ErrInvalid, err)
	}
	for _, p := range sc.Purposes {
		if !slices.Contains(CasePurposes, p) {
			return locale.Errorf("%v: scope.purposes: a mutual legal assistance case is for %v, not %s", ErrInvalid, CasePurposes, p)
		}
	}
	return nil
}

// shortfalls is the list of ways a scope falls short, as an error argument
// of a catalog message: its details joined with "; ", each in the
// reader's language.
type shortfalls []authz.Shortfall

// Error returns the details in English.
func (sf shortfalls) Error() string { return sf.Text(nil) }

// Text returns the details in p's language (English when p is nil).
func (sf shortfalls) Text(p *locale.Printer) string {
	texts := make([]string, len(sf))
	for i, f := range sf {
		texts[i] = f.Detail
		if p != nil {
			texts[i] = f.Text(p)
		}
	}
	if p == nil {
		return strings.Join(texts, "; ")
	}
	return strings.Join(texts, p.Sprintf("clause separator: ; "))
}

// scopeSummary renders a scope for an event: lists and counts only.
func scopeSummary(sc *authz.Scope) map[string]any {
	m := map[string]any{"purposes": slices.Clone(sc.Purposes)}
	if len(sc.Categories) > 0 {
		m["categories"] = slices.Clone(sc.Categories)
	}
	if len(sc.Datasets) > 0 {
		m["datasets"] = slices.Clone(sc.Datasets)
	}
	if len(sc.SubjectStates) > 0 {
		m["subject_states"] = slices.Clone(sc.SubjectStates)
	}
	if sc.Selectors != nil {
		m["selectors"] = map[string]any{"kind": sc.Selectors.Kind, "count": sc.Selectors.Count}
	}
	if sc.MaxSubjects > 0 {
		m["max_subjects"] = sc.MaxSubjects
	}
	if sc.MaxRecords > 0 {
		m["max_records"] = sc.MaxRecords
	}
	return m
}

func countsSummary(m map[string]int64) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func excludedSummary(xs []Excluded) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = map[string]any{"state": x.State, "subjects": x.Subjects, "reason": x.Reason}
	}
	return out
}

func cloneScope(sc authz.Scope) authz.Scope {
	out := sc
	out.Datasets = slices.Clone(sc.Datasets)
	out.Purposes = slices.Clone(sc.Purposes)
	out.Categories = slices.Clone(sc.Categories)
	out.SubjectStates = slices.Clone(sc.SubjectStates)
	if sc.Selectors != nil {
		s := *sc.Selectors
		out.Selectors = &s
	}
	return out
}

func ptr[T any](v T) *T { return &v }
