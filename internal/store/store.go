// Package store keeps Accord's state: the catalog of datasets and their
// sovereignty labels, operator overrides of the registry, principals and
// their API tokens, the private records behind log entries, and the history
// counters that threshold rules read.
//
// The interfaces here are what decide and api need; two drivers implement
// them: store/sqlite (embedded default, one file under the data directory)
// and store/postgres (for several `accord serve` processes sharing one
// database). Both pass the one suite in store/storetest.
//
// Every driver applies the migrations embedded in it when it opens, and
// refuses to open a database whose schema is newer than it knows
// (*SchemaError): an older binary must not write into a newer schema.
package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/model"
)

// Sentinel errors. Drivers wrap them with context; test with errors.Is.
var (
	// ErrNotFound means the thing asked for does not exist. An API answers
	// 404.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the thing to create exists already (a dataset id, a
	// decision id or log index, a token hash). An API answers 409.
	ErrConflict = errors.New("already exists")
	// ErrUnavailable means the database could not be reached. Nothing was
	// written; the caller may retry later. An API answers 503.
	ErrUnavailable = errors.New("database unavailable")
	// ErrUnauthorized means a token is unknown, expired or revoked. An API
	// answers 401 and says no more.
	ErrUnauthorized = errors.New("invalid, expired or revoked token")
	// ErrInvalid means a value given to the store breaks one of its rules
	// (an empty id, a negative counter). Nothing was written.
	ErrInvalid = errors.New("invalid value")
	// ErrVoided means a decision cannot be recorded because its log index
	// was voided first (by the reconciler, or by a failed commit). Nothing
	// was written; the decision must not be acted on.
	ErrVoided = errors.New("log index voided")
)

// Store is everything Accord keeps, in one database. Implementations are
// safe for concurrent use.
type Store interface {
	Datasets
	Overrides
	Principals
	Tokens
	Decisions
	DecisionLister
	Counters
	Statements
	Reconciliation
	RegistryChanges
	Idempotency
	CatalogChanges
	MLARecords
	// MLACases returns the store of mutual-legal-assistance cases, with the
	// optimistic version check mla.Cases documents.
	MLACases() mla.Cases
	// RecordDecision writes a binding decision's private record and adds
	// counts to the history counters in one transaction: either all of it
	// is written or none of it is.
	RecordDecision(ctx context.Context, rec DecisionRecord, counts []CounterDelta) error
	// Ping reports whether the database answers (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Datasets is the catalog: the sovereignty labels of datasets, by id.
type Datasets interface {
	// CreateDataset adds d; ErrConflict if its id exists.
	CreateDataset(ctx context.Context, d Dataset) error
	// UpdateDataset replaces the labels of an existing dataset;
	// ErrNotFound if there is none.
	UpdateDataset(ctx context.Context, d Dataset) error
	// Dataset returns one dataset; ErrNotFound if there is none.
	Dataset(ctx context.Context, id string) (Dataset, error)
	// ListDatasets returns every dataset, ordered by id.
	ListDatasets(ctx context.Context) ([]Dataset, error)
	// DeleteDataset removes one dataset; ErrNotFound if there is none.
	DeleteDataset(ctx context.Context, id string) error
}

// Overrides holds operators' additions to and replacements of the embedded
// registry (jurisdictions, blocs, agreements, authorities), as the JSON
// document an operator submitted.
type Overrides interface {
	// PutOverride creates or replaces the override o.Kind/o.ID.
	PutOverride(ctx context.Context, o Override) error
	// Override returns one override; ErrNotFound if there is none.
	Override(ctx context.Context, kind, id string) (Override, error)
	// ListOverrides returns the overrides of one kind ("" for every kind),
	// ordered by kind then id.
	ListOverrides(ctx context.Context, kind string) ([]Override, error)
	// DeleteOverride removes one override; ErrNotFound if there is none.
	DeleteOverride(ctx context.Context, kind, id string) error
}

// Principals are the parties that hold tokens.
type Principals interface {
	// PutPrincipal creates or replaces a principal.
	PutPrincipal(ctx context.Context, p Principal) error
	// Principal returns one principal; ErrNotFound if there is none.
	Principal(ctx context.Context, id string) (Principal, error)
	// ListPrincipals returns every principal, ordered by id.
	ListPrincipals(ctx context.Context) ([]Principal, error)
}

// Tokens are API bearer tokens. Only their SHA-256 hash is stored; the
// secret is shown once, when created (see NewToken).
type Tokens interface {
	// CreateToken stores t; ErrConflict if its id or hash exists,
	// ErrNotFound if its principal does not exist.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token whose secret hashes to hash, revoked
	// and expired ones included (Authenticate judges them); ErrNotFound if
	// there is none.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// RevokeToken marks a token revoked from at on; ErrNotFound if there is
	// none. Revoking twice keeps the first time.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// ListTokens returns the tokens of one principal ("" for all), ordered
	// by id. Hashes are included; secrets are never stored.
	ListTokens(ctx context.Context, principalID string) ([]Token, error)
}

// Decisions are the private records behind the public log entries.
type Decisions interface {
	// Decision returns one record by decision id; ErrNotFound if there is
	// none (never committed, or voided).
	Decision(ctx context.Context, id string) (DecisionRecord, error)
	// RecordVoid notes that the log entry at v.LogIndex was voided (a void
	// entry on the log names it). Recording the same index twice is not an
	// error. A void on the log wins over a record (a commit whose answer
	// was lost): Decision then answers ErrNotFound for it.
	RecordVoid(ctx context.Context, v Void) error
	// ListVoids returns every void, ordered by log index.
	ListVoids(ctx context.Context) ([]Void, error)
}

// Counters are the history counters threshold rules read.
type Counters interface {
	// History returns the counters of q's keys at q.At: a history whose
	// Source answers each window sum a pack asks for (model.History.Sum)
	// with a bounded read, outside any transaction (for a non-binding
	// check). It never returns nil.
	History(ctx context.Context, q HistoryQuery) (*model.History, error)
	// PruneHistory deletes the counters of days before the UTC day of
	// before, which no window can reach once it is more than a year ago,
	// and returns how many rows it deleted.
	PruneHistory(ctx context.Context, before time.Time) (int64, error)
	// Reserve reads the counters of q and, in the same short write
	// transaction, adds the counts judge returns for them, so that
	// concurrent reservations on the same counters are serializable: the
	// set of reservations committed is one some serial order of them
	// would commit. The transaction holds every key of q (SQLite: BEGIN
	// IMMEDIATE; PostgreSQL: transaction-scoped advisory locks, one per
	// key, in sorted order) for as long as judge runs, so judge must be
	// pure and fast (no I/O, no waiting); the sums it asks the history for
	// are read in the transaction. It may be called more than once when
	// the database asks for a retry. Only the counts it returns for its
	// last call are written. An error from judge is returned as is and
	// nothing is written. The counts returned must be keyed by keys of q
	// (else ErrInvalid), since only those are held.
	Reserve(ctx context.Context, q HistoryQuery, judge func(*model.History) ([]CounterDelta, error)) error
	// Unreserve takes back counts a Reserve added, for a decision that is
	// provably not on the log (its append was refused before it was
	// queued), in one transaction holding the same keys. A counter never
	// goes below zero. The counts must be those Reserve wrote, with one
	// key per scope (QueryOf; else ErrInvalid, nothing written).
	Unreserve(ctx context.Context, counts []CounterDelta) error
}

// Reconciliation is what the reconciler needs to make sure that every
// decision entry of the log is either recorded in the store or voided.
// A record and a void for the same log index exclude each other: whichever
// is committed first wins, and the other fails (RecordDecision with
// ErrVoided, VoidUnrecorded with false).
type Reconciliation interface {
	// VoidUnrecorded marks the decision entry at logIndex voided, unless a
	// decision is recorded at that index (then it returns false and writes
	// nothing). It returns true when the index is voided, by this call or
	// an earlier one. The void's VoidIndex stays unset until SetVoidIndex.
	VoidUnrecorded(ctx context.Context, logIndex uint64, at time.Time) (bool, error)
	// SetVoidIndex notes where the void entry for logIndex landed in the
	// log; ErrNotFound if logIndex is not voided.
	SetVoidIndex(ctx context.Context, logIndex, voidIndex uint64) error
	// UnloggedVoids returns the voids whose void entry is not on the log yet
	// (VoidIndex unset), ordered by log index.
	UnloggedVoids(ctx context.Context) ([]Void, error)
	// Voided reports whether logIndex is voided.
	Voided(ctx context.Context, logIndex uint64) (bool, error)
	// RecordedIndexes returns the log indexes in [from, to) at which a
	// decision is recorded, ascending.
	RecordedIndexes(ctx context.Context, from, to uint64) ([]uint64, error)
	// ReconciledThrough returns the log size up to which the reconciler has
	// checked every entry (0 at first).
	ReconciledThrough(ctx context.Context) (uint64, error)
	// SetReconciledThrough stores n; a value lower than the one stored is
	// ignored (the watermark never moves back).
	SetReconciledThrough(ctx context.Context, n uint64) error
}

// RegistryChanges is the record of changes to the registry and to the
// packs, each appended to the log before it took effect.
type RegistryChanges interface {
	// ApplyRegistryChange stores c and, in the same transaction, applies
	// it to the overrides: for a registry kind (jurisdiction, bloc,
	// agreement, authority), action "put" puts c.Body as the override
	// c.Kind/c.ID and action "delete" deletes that override (ErrNotFound
	// if there is none, and then nothing is written). A change of kind
	// "pack" touches no override.
	ApplyRegistryChange(ctx context.Context, c RegistryChange) error
	// ListRegistryChanges returns the changes whose log index is >= from,
	// oldest first, at most limit of them (0: no limit).
	ListRegistryChanges(ctx context.Context, from uint64, limit int) ([]RegistryChange, error)
}

// RegistryChange is one change to the registry or to a pack, as logged.
type RegistryChange struct {
	// LogIndex is the index of the change's registry-change or
	// pack-change entry in the log.
	LogIndex uint64 `json:"log_index"`
	// Kind is jurisdiction, bloc, agreement or authority (an override), or
	// pack, registry-files or authority-key (RecordKinds: no override).
	Kind string `json:"kind"`
	// ID names what changed (an authority id, a pack name).
	ID string `json:"id"`
	// Action is put or delete (for a pack: put means added or updated).
	Action string `json:"action"`
	// Digest is the hex SHA-256 of Body (of the pack's source for a pack).
	Digest string `json:"digest"`
	// KeyFingerprint is, for an authority, the hex SHA-256 of its public
	// key as now registered ("" when deleted or without a key).
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
	// Principal is the id of who made the change ("" for a pack loaded at
	// start).
	Principal string `json:"principal,omitempty"`
	// Body is the override document put (JSON), or for a pack its version;
	// empty for a delete.
	Body []byte `json:"body,omitempty"`
	// Salt is the random salt hashed with the change's private record into
	// its log entry's record_hash, so that an auditor can check the entry
	// (the record is rebuilt from the fields above: api.RegistryChangeRecord).
	// Keep it verbatim.
	Salt []byte `json:"salt,omitempty"`
	// Created is when the change was logged.
	Created time.Time `json:"created"`
}

// Validate reports the first rule c breaks, naming the field.
func (c RegistryChange) Validate() error {
	switch {
	case c.Kind == "":
		return fmt.Errorf("%w: registry change kind is empty", ErrInvalid)
	case c.ID == "":
		return fmt.Errorf("%w: registry change %s: id is empty", ErrInvalid, c.Kind)
	case c.Action != "put" && c.Action != "delete":
		return fmt.Errorf("%w: registry change %s/%s: action %q is not put or delete", ErrInvalid, c.Kind, c.ID, c.Action)
	case c.Created.IsZero():
		return fmt.Errorf("%w: registry change %s/%s: created is zero", ErrInvalid, c.Kind, c.ID)
	}
	return nil
}

// Dataset is a catalogued dataset and its sovereignty labels. The label
// fields mean what the same fields of model.Data mean; a request that names
// the dataset takes them from here.
type Dataset struct {
	// ID names the dataset, as in a request's data.dataset.
	ID string `json:"id"`
	// Location is where the data is stored (ISO 3166-1 alpha-2).
	Location string `json:"location"`
	// Origin lists where the data was generated or collected.
	Origin []string `json:"origin,omitempty"`
	// Categories are dotted taxonomy names (model.Categories).
	Categories []string `json:"categories,omitempty"`
	// Subjects counts data subjects by jurisdiction.
	Subjects map[string]int64 `json:"subjects,omitempty"`
	// SubjectsByCategory counts data subjects per category, then per
	// jurisdiction (model.Data.SubjectsByCategory). The API stores Subjects
	// completed from it, so that a request cannot claim fewer distinct
	// people than the catalog counts.
	SubjectsByCategory map[string]map[string]int64 `json:"subjects_by_category,omitempty"`
	// Records counts records.
	Records int64 `json:"records,omitempty"`
	// Devices counts devices, for data counted by device.
	Devices int64 `json:"devices,omitempty"`
	// Classification is general, important or core.
	Classification string `json:"classification,omitempty"`
	// CII marks critical-infrastructure data, or is nil.
	CII *model.CII `json:"cii,omitempty"`
	// Holder is the registered principal that holds the data, or empty. A
	// request naming the dataset has it as its exporter.
	Holder string `json:"holder,omitempty"`
	// Created and Updated are set by the store.
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Override is an operator's registry entry of one kind ("jurisdiction",
// "bloc", "agreement", "authority") and id, kept as submitted.
type Override struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// Body is the entry as a JSON document.
	Body []byte `json:"body"`
	// Updated is set by the store.
	Updated time.Time `json:"updated"`
}

// Principal is a party that can hold tokens: a company, a state authority,
// an auditor. Its fields become the requester of the decisions it asks for.
type Principal struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Kind is a model principal kind (state-authority, company, ...).
	Kind string `json:"kind"`
	// Role is what the principal does (law-enforcement, vendor, ...), as in
	// model.Principal.Role. It is not an API role; tokens carry those.
	Role string `json:"role,omitempty"`
	// Jurisdiction is the state the principal is organised under.
	Jurisdiction string `json:"jurisdiction"`
	// MayActFor lists the ids of principals this one may name in a
	// request's on_behalf_of.
	MayActFor []string `json:"may_act_for,omitempty"`
	// Attributes are the facts about the principal that packs read, as in
	// model.Principal: headquarters, owners, residence, employer, ciio.
	Attributes PrincipalAttributes `json:"attributes,omitzero"`
	// Created is set by the store.
	Created time.Time `json:"created"`
}

// PrincipalAttributes are a principal's registered facts beyond its
// identity; the fields mean what model.Principal's mean.
type PrincipalAttributes struct {
	Headquarters string             `json:"headquarters,omitempty"`
	Owners       map[string]float64 `json:"owners,omitempty"`
	Residence    string             `json:"residence,omitempty"`
	Employer     string             `json:"employer,omitempty"`
	CIIO         bool               `json:"ciio,omitempty"`
}

// Model returns the principal as a request's requester.
func (p Principal) Model() model.Principal {
	a := p.Attributes
	return model.Principal{ID: p.ID, Kind: p.Kind, Role: p.Role, Jurisdiction: p.Jurisdiction,
		Headquarters: a.Headquarters, Owners: a.Owners, Residence: a.Residence, Employer: a.Employer, CIIO: a.CIIO}
}

// MayActForID reports whether p may name id in on_behalf_of.
func (p Principal) MayActForID(id string) bool {
	for _, x := range p.MayActFor {
		if x == id {
			return true
		}
	}
	return false
}

// DecisionRecord is the private record behind one decision's log entry.
type DecisionRecord struct {
	// ID is the decision id (model.Decision.ID).
	ID string `json:"id"`
	// LogIndex is the index of the decision's entry in the log.
	LogIndex uint64 `json:"log_index"`
	// Principal is the id of the principal that asked.
	Principal string `json:"principal"`
	// Outcome is the decision's outcome.
	Outcome model.Outcome `json:"outcome"`
	// Private is the full record (JSON) whose salted hash is in the log.
	Private []byte `json:"private"`
	// Salt is the random salt hashed with Private.
	Salt []byte `json:"salt"`
	// Created is when the decision was made.
	Created time.Time `json:"created"`
	// Summary is what listings show of the decision and filter on
	// (SummaryFor of its request and decision). Nil: the store derives it
	// from Private (SummaryFromPrivate).
	Summary *DecisionSummary `json:"-"`
}

// SummaryOf returns the summary a driver stores for r: r.Summary, or one
// derived from the private record, with r's own id, index, outcome, time
// and principal.
func SummaryOf(r DecisionRecord) DecisionSummary {
	if r.Summary == nil {
		return SummaryFromPrivate(r)
	}
	return r.withColumns(*r.Summary)
}

// withColumns returns s with r's own id, index, outcome, time and
// principal: the stored columns win over what s was derived from.
func (r DecisionRecord) withColumns(s DecisionSummary) DecisionSummary {
	s.ID, s.LogIndex, s.Outcome, s.Time, s.Principal = r.ID, r.LogIndex, r.Outcome, r.Created.UTC(), r.Principal
	return s
}

// Void marks a log entry whose decision was never committed.
type Void struct {
	// LogIndex is the index of the voided decision entry.
	LogIndex uint64 `json:"log_index"`
	// VoidIndex is the index of the void entry itself.
	VoidIndex uint64 `json:"void_index"`
	// DecisionID is the id the uncommitted decision had.
	DecisionID string `json:"decision_id"`
	// Created is when the void was appended.
	Created time.Time `json:"created"`
}

// CounterDelta adds to the counter of one (scope, key, subject state,
// category) on one day of the scope's calendar.
type CounterDelta struct {
	// Scope is how the count is aggregated; empty means
	// model.ScopeState.
	Scope model.CounterScope `json:"scope,omitempty"`
	// Key is the scope's party: the acting state (model.ScopeState), the
	// exporter's id (model.ScopeExporter), the exporter's and importer's
	// ids (model.ScopePair); see model.Request.CounterKey.
	Key string `json:"key"`
	// SubjectState is the jurisdiction of the data subjects counted.
	SubjectState string `json:"subject_state"`
	// Category is a taxonomy category.
	Category string `json:"category"`
	// Day is the moment the counts belong to; only its date in the scope's
	// calendar (model.DayIn) matters.
	Day time.Time `json:"day"`
	// Subjects and Devices are added to the counter; never negative.
	Subjects int64 `json:"subjects"`
	Devices  int64 `json:"devices"`
}

// scope is d's scope, model.ScopeState when empty.
func (d CounterDelta) scope() model.CounterScope {
	if d.Scope == "" {
		return model.ScopeState
	}
	return d.Scope
}

// Validate reports the first rule d breaks, naming the field.
func (d CounterDelta) Validate() error {
	switch {
	case !slices.Contains(model.CounterScopes, d.scope()):
		return fmt.Errorf("%w: counter scope %q is unknown", ErrInvalid, d.Scope)
	case d.Key == "":
		return fmt.Errorf("%w: counter key is empty", ErrInvalid)
	case d.SubjectState == "" || d.SubjectState == model.AllSubjectStates:
		return fmt.Errorf("%w: counter subject_state %q is not a state", ErrInvalid, d.SubjectState)
	case d.Category == "":
		return fmt.Errorf("%w: counter category is empty", ErrInvalid)
	case d.Subjects < 0:
		return fmt.Errorf("%w: counter subjects is negative (%d)", ErrInvalid, d.Subjects)
	case d.Devices < 0:
		return fmt.Errorf("%w: counter devices is negative (%d)", ErrInvalid, d.Devices)
	case d.Day.IsZero():
		return fmt.Errorf("%w: counter day is zero", ErrInvalid)
	}
	return nil
}

// HistoryQuery names the counter keys a decision is judged with and
// counted under (QueryFor), and the moment its windows end at.
type HistoryQuery struct {
	// RequestingState is the model.ScopeState key (the acting state). A
	// read with none sums every state's counters; a reservation with none
	// can write nothing.
	RequestingState string
	// Pair is the model.ScopePair key, "" when the request names no
	// exporter and importer.
	Pair string
	// Exporter is the model.ScopeExporter key, "" when the request names
	// no exporter.
	Exporter string
	// At is the moment the windows end at (its day included).
	At time.Time
}

// Validate checks the fields every driver relies on.
func (r DecisionRecord) Validate() error {
	switch {
	case r.ID == "":
		return fmt.Errorf("%w: decision id is empty", ErrInvalid)
	case r.Outcome == "":
		return fmt.Errorf("%w: decision %s: outcome is empty", ErrInvalid, r.ID)
	case r.Created.IsZero():
		return fmt.Errorf("%w: decision %s: created is zero", ErrInvalid, r.ID)
	}
	return nil
}

// Statements keeps the signed statements (authorizations and revocations)
// lodged with the server, so that revocations still count after a restart.
type Statements interface {
	// RecordStatement stores a lodged statement; ErrConflict if the same
	// payload (Digest) was lodged before.
	RecordStatement(ctx context.Context, st Statement) error
	// ListStatements returns the statements of one type ("" for all),
	// oldest first.
	ListStatements(ctx context.Context, typ string) ([]Statement, error)
}

// Statement is a signed statement lodged with the server: what was
// verified, and where the log records it.
type Statement struct {
	// Digest is the hex SHA-256 of the envelope's payload (authz.Verified.Digest).
	Digest string `json:"digest"`
	// ID is the statement's own id.
	ID string `json:"id"`
	// Type is "authorization" or "revocation".
	Type string `json:"type"`
	// Issuer is the registry id of the signing authority.
	Issuer string `json:"issuer"`
	// Jurisdiction is the state the issuer acts for.
	Jurisdiction string `json:"jurisdiction"`
	// Envelope is the DSSE envelope as lodged (JSON).
	Envelope []byte `json:"envelope"`
	// Salt is the salt hashed with Envelope into the log entry's
	// record_hash (ledger.Private), so an auditor can check the entry.
	Salt []byte `json:"salt"`
	// LogIndex is the index of the statement's log entry.
	LogIndex uint64 `json:"log_index"`
	// Created is when it was lodged.
	Created time.Time `json:"created"`
}

// Validate checks the fields a driver relies on.
func (s Statement) Validate() error {
	switch {
	case s.Digest == "":
		return fmt.Errorf("%w: statement digest is empty", ErrInvalid)
	case s.ID == "":
		return fmt.Errorf("%w: statement id is empty", ErrInvalid)
	case s.Type == "":
		return fmt.Errorf("%w: statement %s: type is empty", ErrInvalid, s.ID)
	case len(s.Envelope) == 0:
		return fmt.Errorf("%w: statement %s: envelope is empty", ErrInvalid, s.ID)
	}
	return nil
}
