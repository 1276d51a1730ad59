package model

import "time"

// Outcome is the verdict of a decision.
type Outcome string

// The outcomes. Deny wins over pending; pending wins over allow.
const (
	Allow   Outcome = "allow"
	Deny    Outcome = "deny"
	Pending Outcome = "pending"
)

// Rule effects, as written in packs.
const (
	EffectDeny     = "deny"
	EffectRequire  = "require"
	EffectObligate = "obligate"
)

// Decision is Accord's answer to a Request.
type Decision struct {
	// ID identifies a binding decision; empty for a dry run.
	ID string `json:"id,omitempty"`
	// Outcome is allow, deny or pending.
	Outcome Outcome `json:"outcome"`
	// Reasons lists every rule that fired, in pack order.
	Reasons []Reason `json:"reasons"`
	// Requires lists what would turn a pending decision into allow.
	Requires []Requirement `json:"requires,omitempty"`
	// Obligations apply when the decision allows.
	Obligations []Obligation `json:"obligations,omitempty"`
	// Packs gives each applicable pack's own outcome beside the combined
	// one, so a user sees which regime decided.
	Packs []PackOutcome `json:"packs,omitempty"`
	// Binding is false for a dry run (accord check, POST /v1/check): such a
	// decision was not logged and authorises nothing.
	Binding bool `json:"binding"`
	// LogIndex is the decision's index in the transparency log, once
	// durable.
	LogIndex *uint64 `json:"log_index,omitempty"`
	// Time is when the decision was made.
	Time time.Time `json:"time"`
	// Explain, when asked for, lists every rule evaluated with its result.
	Explain []Trace `json:"explain,omitempty"`
	// Excluded lists, in counts, the data of third states left out of a
	// request executed under a case or a bilateral agreement that does not
	// reach them (GDSI commitment 6). Never identities.
	Excluded []Excluded `json:"excluded,omitempty"`
}

// ExclusionReasons lists the values of Excluded.Reason.
var ExclusionReasons = []string{"subjects-third-state", "location-third-state"}

// Excluded is what third-state exclusion left out for one state.
type Excluded struct {
	// State is the third state.
	State string `json:"state"`
	// Subjects counts its data subjects left out (0 when the whole request
	// is held because the data is located there).
	Subjects int64 `json:"subjects"`
	// Reason is subjects-third-state or location-third-state.
	Reason string `json:"reason"`
}

// Reason is one rule that fired.
type Reason struct {
	Rule     string `json:"rule"`
	Pack     string `json:"pack"`
	Effect   string `json:"effect"`
	Message  string `json:"message"`
	Citation string `json:"citation"`
	// Satisfied is true for a require rule whose requirement was met.
	Satisfied bool `json:"satisfied,omitempty"`
}

// Requirement is something that would turn a pending decision into allow,
// for example {"authorization_from": "FR"}.
type Requirement struct {
	// AuthorizationFrom names the state whose signed authorization is needed.
	AuthorizationFrom string `json:"authorization_from,omitempty"`
	// Basis names a basis kind that would satisfy the rule (mla, agreement).
	Basis string `json:"basis,omitempty"`
	// Measure names a measure to attest in basis.measures.
	Measure string `json:"measure,omitempty"`
	// Rule and Pack name the rule that requires it.
	Rule string `json:"rule"`
	Pack string `json:"pack"`
}

// Obligation is a duty that comes with an allow.
type Obligation struct {
	Rule     string `json:"rule"`
	Pack     string `json:"pack"`
	Message  string `json:"message"`
	Citation string `json:"citation"`
}

// PackOutcome is one pack's verdict on a request.
type PackOutcome struct {
	Pack    string   `json:"pack"`
	Version string   `json:"version"`
	Outcome Outcome  `json:"outcome"`
	Rules   []string `json:"rules,omitempty"`
}

// Trace is one rule's evaluation, for --explain.
type Trace struct {
	Rule   string `json:"rule"`
	Pack   string `json:"pack"`
	Fired  bool   `json:"fired"`
	Result string `json:"result"`
}
