// Package decide turns a request into a decision and, for a binding
// decision, into a log entry and a stored record. It is the one place where
// the policy engine, the transparency log and the store meet; none of them
// knows about the others.
//
// A binding decision (Decide) cannot be steered by the party it judges:
//
//   - its time is the server's clock: a request that names a time is
//     refused (ErrBadInput naming "time"); only Check evaluates at another
//     time, and its decisions are marked non-binding;
//   - the counters it is judged with are read, and its own counts reserved,
//     in one short transaction (Counters.Reserve): for any set of
//     concurrent decisions, the allowed set is one some serial order of
//     them would allow. No database lock is held while the log is written;
//   - it acts only once it is both on the log and stored, and a decision
//     entry that was never stored is voided, at once when the store fails
//     and otherwise by the Reconciler, at start and while running.
//
// The order of a binding decision is fixed and documented in
// docs/operations.md:
//
//  1. gather what the packs need: the states whose signed authorizations
//     verify and cover the request at the server's time;
//  2. in one transaction holding every counter key of the request (acting
//     state, exporter and importer, exporter): evaluate the packs, reading
//     the counter sums they ask for, build the log entry, add the
//     decision's counts;
//  3. append the public summary to the log and wait until its index is
//     durable;
//  4. store the private record;
//  5. if step 4 fails, append a void entry naming the index of step 3, and
//     answer with an error: nothing may act on a decision that was not
//     committed.
//
// Counts reserved in step 2 are taken back when the log refused the entry
// before queueing it (ledger.ErrNotQueued: it can never be on the log), and
// kept when step 3 failed otherwise or step 4 failed: an append that failed
// late may still have been sequenced, and a count that overstates can only
// make later decisions stricter, never looser.
//
// A dry run (Check) does steps 1 and 2 without writing anything.
//
// Approvals (WithApprovals) are server-owned. A measure a pack marks as an
// approval (policy.Rule.Approval, such as GDSI's "customer-approval") may
// not be named in a binding request's basis.measures (ErrBadInput naming
// basis.measures): in step 1 the server adds it only while a signed,
// logged, unexpired approval of the dataset's holder covers the request
// (approval.Service.Lookup), and the decision then cites it (reason
// accord.approval). A binding decision left pending on such a measure asks
// the holder for one after step 4 (approval.Service.Ask), and its reasons
// name the request (reason accord.approval-requested). Check still takes
// the measure as a what-if.
package decide

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
)

// ErrBadInput marks an error caused by the request itself (a signed
// authorization that does not parse or verify, history given where the
// server keeps its own). Callers answer 400 or exit with code 2.
var ErrBadInput = errors.New("bad input")

// ErrNoLog is returned by Decide on a Decider built without a log: a
// binding decision must be logged.
var ErrNoLog = errors.New("binding decisions need a transparency log")

// ErrNotCommitted is returned by Decide when the decision was logged but
// could not be stored; a void entry was appended. The caller must not act on
// the decision; retrying is safe.
var ErrNotCommitted = errors.New("decision logged but not committed; a void entry was appended")

// ErrVoided is what a Recorder returns (wrapped) when the decision's log
// index was voided before it could be stored, by the Reconciler: the
// decision is not committed, and no second void entry is needed.
var ErrVoided = errors.New("log index already voided")

// Evaluator is the policy engine as decide uses it.
type Evaluator interface {
	Evaluate(in *policy.Input, opts policy.Options) model.Decision
}

// Authorizer verifies the signed authorizations a request carries and
// returns the states whose authorization covers it, with one finding per
// authorization that does not (for the decision's reasons). An envelope that
// does not parse or whose signature fails is an error.
type Authorizer interface {
	Authorize(ctx context.Context, req *model.Request, at time.Time) (states []string, findings []model.Reason, err error)
}

// HistorySource gives the cumulative counters a request is judged with.
type HistorySource interface {
	History(ctx context.Context, req *model.Request, at time.Time) (*model.History, error)
}

// Counters reserves the counts of binding decisions.
type Counters interface {
	// Reserve calls judge with the counters req is judged with at at and,
	// in the same short transaction, adds the counts of the decision judge
	// returns; an error from judge writes nothing. judge may be called more
	// than once; only its last answer counts. undo takes the counts back;
	// Decide calls it only when the decision provably never reached the
	// log.
	Reserve(ctx context.Context, req *model.Request, at time.Time, judge func(*model.History) (*model.Decision, error)) (undo func(context.Context) error, err error)
}

// Log is the transparency log as decide uses it.
type Log interface {
	// Append returns once the entry's index is durable.
	Append(ctx context.Context, e ledger.Entry) (uint64, error)
}

// leafAppender is a Log that takes an entry already encoded
// (*ledger.Log does), so that a decision's entry is encoded once, inside
// the reservation, where its size is checked.
type leafAppender interface {
	AppendLeaf(ctx context.Context, leaf ledger.Leaf) (uint64, error)
}

// Recorder stores a binding decision: its private record and the counter
// updates, in one transaction.
type Recorder interface {
	RecordDecision(ctx context.Context, r Record) error
}

// Record is what a Recorder stores for one binding decision.
type Record struct {
	Request  *model.Request
	Decision model.Decision
	// Private is the full record behind the public log entry, and its salt.
	Private ledger.Private
	// Counted says that the decision's counts were already added by
	// Counters.Reserve: the recorder must not add them again.
	Counted bool
}

// Agreements gives the parties of a registry agreement, for third-state
// exclusion.
type Agreements interface {
	AgreementParties(id string) []string
}

// Approvals is the data holders' approvals as decide uses them;
// *approval.Service implements it.
type Approvals interface {
	// Measures returns the approval measures in force, each with the rules
	// that require it.
	Measures() map[string][]string
	// Lookup says which approval measures the approvals on file grant req
	// at at, and whether a request for it is open already.
	Lookup(ctx context.Context, req *model.Request, at time.Time) (approval.Lookup, error)
	// Ask makes, logs and stores an approval request for a logged
	// decision.
	Ask(ctx context.Context, a approval.Ask) (*approval.Request, error)
}

// approvalMeasurer is an Evaluator that knows which measures its packs
// mark as approvals (*policy.Engine).
type approvalMeasurer interface {
	ApprovalMeasures() map[string][]string
}

// The reasons decide adds about approvals.
const (
	// RuleApprovalUsed cites the approvals that granted a measure.
	RuleApprovalUsed = "accord.approval"
	// RuleApprovalRequested names the approval request a pending decision
	// made.
	RuleApprovalRequested = "accord.approval-requested"
)

// Decider makes decisions. Build one with New; it is safe for concurrent
// use.
type Decider struct {
	engine  Evaluator
	log     Log
	authz   Authorizer
	history HistorySource
	counter Counters
	records Recorder
	parties Agreements
	packs   []string
	lang    string
	now     func() time.Time
	// approvals grants and asks for the holders' approvals; askFailed
	// hears of an approval request that could not be made.
	approvals Approvals
	askFailed func(error)
	// maxEntry bounds a decision's log entry, checked before anything is
	// counted.
	maxEntry int
}

// Option configures a Decider.
type Option func(*Decider)

// WithLog makes binding decisions possible, appending each to l.
func WithLog(l Log) Option { return func(d *Decider) { d.log = l } }

// WithAuthorizer verifies basis.authorizations with a. Without one, a
// request that carries authorizations is refused as bad input: unverified
// authorizations must never count.
func WithAuthorizer(a Authorizer) Option { return func(d *Decider) { d.authz = a } }

// WithHistory takes counters from h. A request that carries its own
// history is then refused: only the server's counters count.
func WithHistory(h HistorySource) Option { return func(d *Decider) { d.history = h } }

// WithCounters reserves the counts of every binding decision with c, in
// the transaction that reads them; binding decisions then read their
// history from c, not from WithHistory's source (which Check keeps using).
func WithCounters(c Counters) Option { return func(d *Decider) { d.counter = c } }

// WithRecorder stores every binding decision with r.
func WithRecorder(r Recorder) Option { return func(d *Decider) { d.records = r } }

// WithThirdStateExclusion turns on GDSI commitment 6 for requests executed
// under mutual legal assistance (basis.kind mla: the parties are the
// seeking state and the state where the data is located) or a bilateral
// agreement (basis.kind agreement: the agreement's parties, from a): the
// subjects of any other state that has not authorized are left out before
// the packs see the request, and the decision lists them in counts. When
// nothing but third-state data remains, the decision is pending on those
// states.
func WithThirdStateExclusion(a Agreements) Option { return func(d *Decider) { d.parties = a } }

// WithPacks restricts evaluation to the named packs; nil selects every pack
// that applies to the request.
func WithPacks(names []string) Option { return func(d *Decider) { d.packs = names } }

// WithLanguage sets the language of the reasons' messages (a BCP 47 tag,
// see policy.Options.Lang); a rule without a translation in it keeps its
// English message. Outcomes and rule ids do not depend on it.
func WithLanguage(lang string) Option { return func(d *Decider) { d.lang = lang } }

// WithMaxEntrySize bounds a decision's public log entry (canonical JSON,
// bytes) as the log does (ledger.Options.MaxEntrySize); the default is
// ledger.DefaultMaxEntrySize. A decision whose entry is larger is refused
// as bad input before anything is counted or logged.
func WithMaxEntrySize(n int) Option { return func(d *Decider) { d.maxEntry = n } }

// WithApprovals makes approval measures granted by the data holders'
// approvals (see the package doc); failed, when not nil, hears of an
// approval request that could not be made for a pending decision (the
// decision stands; asking again makes another).
func WithApprovals(a Approvals, failed func(error)) Option {
	return func(d *Decider) { d.approvals, d.askFailed = a, failed }
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(d *Decider) { d.now = now } }

// New returns a Decider that evaluates with e.
func New(e Evaluator, opts ...Option) *Decider {
	d := &Decider{engine: e, now: time.Now, maxEntry: ledger.DefaultMaxEntrySize}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Check evaluates req without logging it. The decision is marked
// non-binding. With explain, every rule evaluated is listed. req.Time, when
// set, is the time to evaluate at (a what-if run); a zero req.Time is set to
// the current time, so that the packs and the decision see one time.
func (d *Decider) Check(ctx context.Context, req *model.Request, explain bool) (model.Decision, error) {
	if req.Time.IsZero() {
		req.Time = d.now().UTC()
	}
	in, extra, err := d.input(ctx, req)
	if err != nil {
		return model.Decision{}, err
	}
	if err := d.readHistory(ctx, in); err != nil {
		return model.Decision{}, err
	}
	dec := d.evaluate(in, extra, explain)
	dec.Binding = false
	return dec, nil
}

// Decide evaluates req at the server's clock, appends the decision to the
// log, and stores it. The returned decision carries its ID and log index.
// A request that names a time is refused (ErrBadInput): a binding decision
// is made now. On ErrNotCommitted the decision must not be acted on.
func (d *Decider) Decide(ctx context.Context, req *model.Request) (model.Decision, error) {
	if d.log == nil {
		return model.Decision{}, ErrNoLog
	}
	if !req.Time.IsZero() {
		return model.Decision{}, fmt.Errorf("%w: time: a binding decision is made at the server's clock; to evaluate at another time, use a non-binding check (POST /v1/check, accord check)", ErrBadInput)
	}
	if err := d.serverOwned(req); err != nil {
		return model.Decision{}, err
	}
	req.Time = d.now().UTC().Truncate(time.Second)
	var look approval.Lookup
	if d.approvals != nil {
		var err error
		if look, err = d.approvals.Lookup(ctx, req, req.Time); err != nil {
			return model.Decision{}, err
		}
		if len(look.Measures) > 0 {
			req.Basis.Measures = append(slices.Clone(req.Basis.Measures), look.Measures...)
		}
	}
	in, extra, err := d.input(ctx, req)
	if err != nil {
		return model.Decision{}, err
	}
	id := newID()
	var (
		dec     model.Decision
		leaf    ledger.Leaf
		private ledger.Private
		ask     string // the approval request to make, once committed
	)
	judge := func(h *model.History) (*model.Decision, error) {
		in.History = h
		dec = d.evaluate(in, extra, false)
		ask = d.approvalReasons(&dec, look)
		dec.Binding, dec.ID, dec.Time = true, id, req.Time
		var err error
		leaf, private, err = ledger.DecisionLeaf(req, &dec)
		if err != nil {
			return nil, fmt.Errorf("build log entry: %w", err)
		}
		if leaf.Len() > d.maxEntry {
			return nil, fmt.Errorf("%w: the decision's public log entry would be %d bytes, more than the log's %d (%w): ask for fewer subject states, categories or origins at once", ErrBadInput, leaf.Len(), d.maxEntry, ledger.ErrEntryTooLarge)
		}
		return &dec, nil
	}
	counted := d.counter != nil
	var undo func(context.Context) error
	if counted {
		if undo, err = d.counter.Reserve(ctx, req, req.Time, judge); err != nil {
			return model.Decision{}, fmt.Errorf("reserve counters: %w", err)
		}
	} else {
		if err := d.readHistory(ctx, in); err != nil {
			return model.Decision{}, err
		}
		if _, err := judge(in.History); err != nil {
			return model.Decision{}, err
		}
	}

	var idx uint64
	if la, ok := d.log.(leafAppender); ok {
		idx, err = la.AppendLeaf(ctx, leaf)
	} else {
		idx, err = d.log.Append(ctx, leaf.Entry())
	}
	if err != nil {
		if undo != nil && errors.Is(err, ledger.ErrNotQueued) {
			// Never on the log: its counts must not weigh on the next
			// decisions. If taking them back fails, they stay (stricter).
			if uerr := undo(context.WithoutCancel(ctx)); uerr != nil {
				return model.Decision{}, fmt.Errorf("append decision to log: %w (its reserved counts stay: %v)", err, uerr)
			}
		}
		return model.Decision{}, fmt.Errorf("append decision to log: %w", err)
	}
	dec.LogIndex = &idx

	if d.records != nil {
		if err := d.records.RecordDecision(ctx, Record{Request: req, Decision: dec, Private: private, Counted: counted}); err != nil {
			if errors.Is(err, ErrVoided) {
				return model.Decision{}, fmt.Errorf("%w (index %d, voided by the reconciler): %v", ErrNotCommitted, idx, err)
			}
			if verr := d.void(ctx, idx, dec.Time); verr != nil {
				return model.Decision{}, fmt.Errorf("%w: store: %v; void entry for index %d failed too (the reconciler will append it): %v", ErrNotCommitted, err, idx, verr)
			}
			return model.Decision{}, fmt.Errorf("%w (index %d): %v", ErrNotCommitted, idx, err)
		}
	}
	if ask != "" && ask != look.Open {
		if _, err := d.approvals.Ask(ctx, approval.Ask{ID: ask, Request: req, Decision: &dec}); err != nil && d.askFailed != nil {
			d.askFailed(fmt.Errorf("decision %s: approval request %s: %w", dec.ID, ask, err))
		}
	}
	return dec, nil
}

// serverOwned refuses a binding request that names an approval measure
// in basis.measures: only the data holder's approval puts it there.
func (d *Decider) serverOwned(req *model.Request) error {
	var byPack, byApprovals map[string][]string
	if am, ok := d.engine.(approvalMeasurer); ok {
		byPack = am.ApprovalMeasures()
	}
	if d.approvals != nil {
		byApprovals = d.approvals.Measures()
	}
	for i, m := range req.Basis.Measures {
		_, owned := byPack[m]
		if _, ok := byApprovals[m]; ok {
			owned = true
		}
		if owned {
			return fmt.Errorf("%w: %w", ErrBadInput, model.NewInputError("basis.measures",
				locale.Errorf("[%s] %s is the data holder's approval: a binding request cannot attest it. The holder's approver grants it through /v1/approvals (accord approvals approve); ask again once approved, without it. A non-binding check (POST /v1/check) still takes it as a what-if", strconv.Itoa(i), strconv.Quote(m))))
		}
	}
	return nil
}

// approvalReasons adds to dec the reasons about approvals: the approvals
// that granted a measure, and the approval request a decision left pending
// on one makes (whose id it returns; "" when none is to be made).
func (d *Decider) approvalReasons(dec *model.Decision, look approval.Lookup) string {
	if d.approvals == nil {
		return ""
	}
	if len(look.Used) > 0 {
		dec.Reasons = append(dec.Reasons, model.Reason{Rule: RuleApprovalUsed, Pack: "accord", Effect: model.EffectRequire, Satisfied: true,
			Message:  fmt.Sprintf("%s granted by the data holder's approval %s, until %s", strings.Join(look.Measures, ", "), strings.Join(look.Used, ", "), look.Until.UTC().Format(time.RFC3339)),
			Citation: "Accord approvals: the data holder's approval, signed and logged before it counts (GDSI (2020), commitment 7)"})
	}
	if dec.Outcome != model.Pending || !look.CanAsk {
		return ""
	}
	ms, _ := approval.Waits(d.approvals.Measures(), dec)
	if len(ms) == 0 {
		return ""
	}
	id := look.Open
	if id == "" {
		id = approval.NewID()
	}
	dec.Reasons = append(dec.Reasons, model.Reason{Rule: RuleApprovalRequested, Pack: "accord", Effect: model.EffectRequire,
		Message:  fmt.Sprintf("approval request %s asks the data holder for %s (GET /v1/approvals/%s); ask again once it is approved", id, strings.Join(ms, ", "), id),
		Citation: "Accord approvals: a request lapses 12 hours after it is made without an answer"})
	return id
}

// void appends an entry saying that the decision at index idx was not
// committed and must be disregarded. It runs even if ctx was cancelled: the
// log must not keep a decision that nothing stored.
func (d *Decider) void(ctx context.Context, idx uint64, at time.Time) error {
	_, err := d.log.Append(context.WithoutCancel(ctx), ledger.VoidEntry(idx, at))
	return err
}

// extras is what decide adds to the packs' verdict: findings on
// authorizations that did not count, and third-state exclusion.
type extras struct {
	findings  []model.Reason
	exclusion *mla.Exclusion
	parties   []string
}

// readHistory reads the counters in is judged with from the history
// source, when there is one.
func (d *Decider) readHistory(ctx context.Context, in *policy.Input) error {
	if d.history == nil {
		return nil
	}
	h, err := d.history.History(ctx, in.Request, in.Request.Time)
	if err != nil {
		return fmt.Errorf("read history counters: %w", err)
	}
	in.History = h
	return nil
}

// input gathers what the packs see, but the counters (read by the caller:
// in a reservation for a binding decision). req.Time is set.
func (d *Decider) input(ctx context.Context, req *model.Request) (*policy.Input, extras, error) {
	var x extras
	in := &policy.Input{Request: req, History: req.History}
	if req.History != nil && (d.history != nil || d.counter != nil) {
		return nil, x, fmt.Errorf("%w: history: counters are kept by the server and cannot be given in a request", ErrBadInput)
	}
	if len(req.Basis.Authorizations) > 0 {
		if d.authz == nil {
			return nil, x, fmt.Errorf("%w: basis.authorizations: this Accord cannot verify signed authorizations (no authority keys configured)", ErrBadInput)
		}
		states, findings, err := d.authz.Authorize(ctx, req, req.Time)
		if err != nil {
			return nil, x, fmt.Errorf("%w: %v", ErrBadInput, err)
		}
		in.Authorized = states
		x.findings = findings
	}
	if parties := d.partiesOf(req); len(parties) > 0 {
		// A third state that authorized the whole request stays in; the
		// others are left out, and the authorizations are then judged on
		// what remains (a case narrowed to its two states covers the
		// request once the third state's subjects are gone).
		ex := mla.Exclude(req, parties, in.Authorized)
		if len(ex.Excluded) > 0 {
			x.exclusion, x.parties = &ex, parties
			in.Request = ex.Apply(req)
			if len(req.Basis.Authorizations) > 0 {
				states, findings, err := d.authz.Authorize(ctx, in.Request, req.Time)
				if err != nil {
					return nil, x, fmt.Errorf("%w: %v", ErrBadInput, err)
				}
				in.Authorized, x.findings = states, findings
			}
		}
	}
	return in, x, nil
}

// partiesOf returns the states a request executed under MLA or a
// bilateral agreement may reach, or nil when exclusion does not apply.
func (d *Decider) partiesOf(req *model.Request) []string {
	if d.parties == nil {
		return nil
	}
	switch req.Basis.Kind {
	case "mla":
		seeking := seekingState(req)
		if seeking == "" || seeking == req.Data.Location {
			return nil
		}
		return []string{seeking, req.Data.Location}
	case "agreement":
		if req.Basis.Agreement == "" {
			return nil
		}
		return d.parties.AgreementParties(req.Basis.Agreement)
	}
	return nil
}

// seekingState is the state that seeks the data: the state authority that
// asks or is acted for, else the destination.
func seekingState(req *model.Request) string {
	if req.Requester.Kind == model.KindStateAuthority {
		return req.Requester.Jurisdiction
	}
	if req.OnBehalfOf != nil && req.OnBehalfOf.Kind == model.KindStateAuthority {
		return req.OnBehalfOf.Jurisdiction
	}
	return req.Destination
}

func (d *Decider) evaluate(in *policy.Input, x extras, explain bool) model.Decision {
	dec := d.engine.Evaluate(in, policy.Options{Packs: d.packs, Explain: explain, Lang: d.lang})
	if dec.Time.IsZero() {
		dec.Time = d.now().UTC()
	}
	if ex := x.exclusion; ex != nil {
		dec.Excluded = ex.Excluded
		dec.Reasons = append(dec.Reasons, ex.Reasons(x.parties)...)
		if ex.OnlyThirdState {
			if dec.Outcome == model.Allow {
				dec.Outcome = model.Pending
				dec.Obligations = nil
			}
			dec.Requires = append(dec.Requires, ex.Requirements()...)
		}
	}
	if dec.Outcome != model.Allow && len(x.findings) > 0 {
		// Say why the attached authorizations did not count.
		dec.Reasons = append(dec.Reasons, x.findings...)
	}
	return dec
}

// newID returns a random decision identifier.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "dec-" + hex.EncodeToString(b[:])
}
