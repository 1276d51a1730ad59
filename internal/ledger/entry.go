package ledger

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/accord-dev/accord/internal/model"
)

// EntryVersion is the version of the entry format written by this package.
// It is the "v" member of every entry.
const EntryVersion = 1

// The kinds of entry. Kind says what happened; the public fields say to what,
// in codes and counts only.
const (
	// KindDecision is a binding decision on a request (see DecisionEntry).
	KindDecision = "decision"
	// KindAuthorization is a signed authorization lodged by a state authority.
	KindAuthorization = "authorization"
	// KindRevocation withdraws an earlier authorization.
	KindRevocation = "revocation"
	// KindMLATransition is a step of a mutual-legal-assistance case.
	KindMLATransition = "mla-transition"
	// KindRelease is the release of a dataset key against a logged decision.
	KindRelease = "release"
	// KindVoid voids an earlier entry (for example a decision made in error);
	// the earlier entry stays in the log, as every entry does.
	KindVoid = "void"
	// KindRegistryChange records a change to the registry (states, blocs,
	// authorities, agreements).
	KindRegistryChange = "registry-change"
	// KindPackChange records a policy pack being added, updated or removed.
	KindPackChange = "pack-change"
	// KindAdvisory records a security advisory and its notification.
	KindAdvisory = "advisory"
	// KindCatalogChange records a change to the catalog: a dataset's
	// sovereignty labels put or deleted. Its public fields are the dataset
	// id (Subject), its location, the action and the digest of the labels.
	KindCatalogChange = "catalog-change"
)

// Kinds lists every entry kind, in the order documented.
var Kinds = []string{KindDecision, KindAuthorization, KindRevocation, KindMLATransition, KindRelease, KindVoid, KindRegistryChange, KindPackChange, KindAdvisory, KindCatalogChange}

// ErrEntryTooLarge is returned by Log.Append for an entry whose canonical JSON
// is longer than Options.MaxEntrySize. The entry is not logged and not
// truncated; the caller should summarise less (fewer categories or rules).
var ErrEntryTooLarge = errors.New("log entry too large")

// Entry is the public summary that goes into the log. It holds codes
// (states, categories, rule ids, pack versions) and counts, and the hash of
// the private record it summarises — never personal data, identifiers of
// people or free text. Every string field must be a code: letters, digits
// and . _ - : / + only, at most 64 bytes; Validate enforces it.
//
// In the log an entry is its canonical JSON (RFC 8785, see Marshal). The
// fields below (and those of Party and PackVersion) are in RFC 8785 member
// order — sorted by JSON name — so that encoding/json writes the canonical
// form directly; TestEntryCanonical and FuzzEntryCanonical check it against
// the jcs library, and Marshal re-checks a sample at run time.
type Entry struct {
	// Action is the request's action (access, transfer, ...).
	Action string `json:"action,omitempty"`
	// Agreement is the registry id of the agreement relied on.
	Agreement string `json:"agreement,omitempty"`
	// Authorizations counts the signed authorizations attached.
	Authorizations int `json:"authorizations,omitempty"`
	// Basis is the kind of legal basis claimed (mla, agreement, ...).
	Basis string `json:"basis,omitempty"`
	// Categories lists the data categories, sorted.
	Categories []string `json:"categories,omitempty"`
	// CIISector is the CII sector code.
	CIISector string `json:"cii_sector,omitempty"`
	// CIIState is the state whose critical infrastructure the data belongs
	// to, for CII data.
	CIIState string `json:"cii_state,omitempty"`
	// Classification is general, important or core.
	Classification string `json:"classification,omitempty"`
	// Destination is the state the data would go to.
	Destination string `json:"destination,omitempty"`
	// Devices counts devices.
	Devices int64 `json:"devices,omitempty"`
	// Digest is, for a registry-change or pack-change entry, the hex
	// SHA-256 of what was put: the registry entry's document, or the
	// pack's source.
	Digest string `json:"digest,omitempty"`
	// Excluded counts, for a decision, the data subjects of third states
	// left out by third-state exclusion (GDSI commitment 6), by state: the
	// subjects disclosed by an allowed decision are Subjects less these.
	Excluded map[string]int64 `json:"excluded,omitempty"`
	// Jurisdiction is the state an authorization, revocation or registry
	// change concerns.
	Jurisdiction string `json:"jurisdiction,omitempty"`
	// KeyFingerprint is, for a registry-change entry of an authority, the
	// hex SHA-256 of the raw bytes of the public key registered from then
	// on; a state's monitor compares it with the key it registered.
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
	// Kind is one of Kinds.
	Kind string `json:"kind"`
	// Location is the state where the data is stored.
	Location string `json:"location,omitempty"`
	// OnBehalfOf is the kind, role and state of whom the requester acts for.
	OnBehalfOf *Party `json:"on_behalf_of,omitempty"`
	// Origin lists the states where the data was generated, sorted.
	Origin []string `json:"origin,omitempty"`
	// Outcome is allow, deny or pending, for a decision.
	Outcome string `json:"outcome,omitempty"`
	// Packs lists the packs evaluated, with version and own outcome.
	Packs []PackVersion `json:"packs,omitempty"`
	// Purpose is the request's purpose code.
	Purpose string `json:"purpose,omitempty"`
	// RecordHash is hex(SHA-256(salt || record)) of the private record this
	// entry summarises (see Private).
	RecordHash string `json:"record_hash"`
	// Records counts records.
	Records int64 `json:"records,omitempty"`
	// Refers is the log index of an earlier entry this one concerns: the
	// decision a release or void is about, the authorization a revocation
	// withdraws.
	Refers *uint64 `json:"refers,omitempty"`
	// Requester is the kind, role and state of who asked.
	Requester *Party `json:"requester,omitempty"`
	// Requires lists what a pending decision waits for, as
	// "authorization_from:FR", "basis:mla" or "measure:scc".
	Requires []string `json:"requires,omitempty"`
	// Rules lists the ids of the rules that fired, in decision order.
	Rules []string `json:"rules,omitempty"`
	// SelectorCount is the number of selectors named.
	SelectorCount int64 `json:"selector_count,omitempty"`
	// Selectors is the selector kind (specific or bulk).
	Selectors string `json:"selectors,omitempty"`
	// Subject is a code naming what a non-decision entry concerns: a pack
	// name, a registry object id, an advisory id (never a person).
	Subject string `json:"subject,omitempty"`
	// Subjects counts data subjects by state.
	Subjects map[string]int64 `json:"subjects,omitempty"`
	// Time is when the event happened, in UTC, to the second.
	Time time.Time `json:"time"`
	// Transaction is the kind of commercial transaction, if any.
	Transaction string `json:"transaction,omitempty"`
	// Version is the entry format version, EntryVersion.
	Version int `json:"v"`
}

// Party is the public view of a principal: what kind it is, what it does and
// which state it belongs to. It never holds the principal's id or name.
type Party struct {
	// Kind is the principal kind (state-authority, company, ...).
	Kind string `json:"kind"`
	// Role is what the principal does (law-enforcement, processor, ...).
	Role string `json:"role,omitempty"`
	// State is the principal's jurisdiction, ISO 3166-1 alpha-2.
	State string `json:"state,omitempty"`
}

// PackVersion names a pack, its version and its own outcome in a decision.
type PackVersion struct {
	// Name is the pack's name.
	Name string `json:"name"`
	// Outcome is the pack's own outcome: allow, deny or pending.
	Outcome string `json:"outcome,omitempty"`
	// Version is the pack's version.
	Version string `json:"version"`
}

// Private is the full record an entry summarises, with the random salt that
// keeps its hash from being guessed. It is kept privately (by the store),
// never logged. An auditor shown a Private checks it against the public
// entry with VerifyPrivate.
type Private struct {
	// Record is the JSON of the full record, exactly the bytes hashed.
	Record json.RawMessage `json:"record"`
	// Salt is 32 random bytes, fresh for every record.
	Salt []byte `json:"salt"`
}

// Hash returns hex(SHA-256(salt || record)), the value of Entry.RecordHash.
func (p Private) Hash() string {
	h := sha256.New()
	h.Write(p.Salt)
	h.Write(p.Record)
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyPrivate reports whether p is the private record e summarises.
func VerifyPrivate(e Entry, p Private) error {
	got := p.Hash()
	if subtle.ConstantTimeCompare([]byte(got), []byte(e.RecordHash)) != 1 {
		return fmt.Errorf("%w: record hashes to %s, entry says %s", ErrRecordHash, got, e.RecordHash)
	}
	return nil
}

// ErrRecordHash is returned when a private record does not hash to the
// entry's record_hash.
var ErrRecordHash = errors.New("record hash mismatch")

// NewRecord starts an entry of the given kind for an arbitrary private
// record: it encodes record as JSON (encoding/json), draws a fresh salt and
// sets RecordHash. The caller fills in the public fields it may show (codes
// and counts only) before appending.
//
// The record is not canonicalised: the hash covers Private.Record byte for
// byte, so keep those bytes verbatim (a BLOB or bytea column, not JSONB).
// Skipping RFC 8785 here halves the CPU cost of logging a decision; the
// public entry, which others recompute, is always canonical.
func NewRecord(kind string, at time.Time, record any) (Entry, Private, error) {
	raw, err := json.Marshal(record)
	if err != nil {
		return Entry{}, Private{}, fmt.Errorf("encode %s record: %w", kind, err)
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return Entry{}, Private{}, fmt.Errorf("draw salt: %w", err)
	}
	p := Private{Record: raw, Salt: salt}
	e := Entry{
		Version:    EntryVersion,
		Kind:       kind,
		Time:       at.UTC().Truncate(time.Second),
		RecordHash: p.Hash(),
	}
	return e, p, nil
}

// decisionRecord is the private record of a decision: the request and the
// decision in full.
type decisionRecord struct {
	Request  *model.Request  `json:"request"`
	Decision *model.Decision `json:"decision"`
}

// DecisionEntry builds the public entry and the private record for a binding
// decision on req. The entry carries only codes and counts: the requester's
// kind, role and state (not its id), states, categories, counts, the
// outcome, the rule ids and pack versions; never messages, references, ids
// or authorizations' contents. The private record is the request and the
// decision in full, with a fresh random salt.
//
// The entry's time is dec.Time, else req.Time, else the current time.
func DecisionEntry(req *model.Request, dec *model.Decision) (Entry, Private, error) {
	if req == nil || dec == nil {
		return Entry{}, Private{}, errors.New("decision entry: request and decision are required")
	}
	at := dec.Time
	if at.IsZero() {
		at = req.Time
	}
	if at.IsZero() {
		at = time.Now()
	}
	e, p, err := NewRecord(KindDecision, at, decisionRecord{Request: req, Decision: dec})
	if err != nil {
		return Entry{}, Private{}, err
	}
	e.Action = string(req.Action)
	e.Requester = partyOf(&req.Requester)
	e.OnBehalfOf = partyOf(req.OnBehalfOf)
	d := &req.Data
	e.Location = d.Location
	e.Origin = sortedSet(d.Origin)
	e.Destination = req.Destination
	e.Purpose = string(req.Purpose)
	e.Transaction = req.Transaction
	e.Categories = sortedSet(d.Categories)
	e.Classification = d.Classification
	if d.CII != nil {
		e.CIIState, e.CIISector = d.CII.State, d.CII.Sector
	}
	if len(d.Subjects) > 0 {
		e.Subjects = make(map[string]int64, len(d.Subjects))
		for k, v := range d.Subjects {
			e.Subjects[k] = v
		}
	}
	for _, x := range dec.Excluded {
		if x.Subjects > 0 {
			if e.Excluded == nil {
				e.Excluded = map[string]int64{}
			}
			e.Excluded[x.State] += x.Subjects
		}
	}
	e.Records, e.Devices = d.Records, d.Devices
	e.Selectors, e.SelectorCount = req.Selectors.Kind, req.Selectors.Count
	e.Basis, e.Agreement = req.Basis.Kind, req.Basis.Agreement
	e.Authorizations = len(req.Basis.Authorizations)
	e.Outcome = string(dec.Outcome)
	for _, r := range dec.Reasons {
		if !slices.Contains(e.Rules, r.Rule) {
			e.Rules = append(e.Rules, r.Rule)
		}
	}
	for _, po := range dec.Packs {
		e.Packs = append(e.Packs, PackVersion{Name: po.Pack, Version: po.Version, Outcome: string(po.Outcome)})
	}
	for _, rq := range dec.Requires {
		var s string
		switch {
		case rq.AuthorizationFrom != "":
			s = "authorization_from:" + rq.AuthorizationFrom
		case rq.Basis != "":
			s = "basis:" + rq.Basis
		case rq.Measure != "":
			s = "measure:" + rq.Measure
		default:
			continue
		}
		if !slices.Contains(e.Requires, s) {
			e.Requires = append(e.Requires, s)
		}
	}
	if err := e.Validate(); err != nil {
		return Entry{}, Private{}, fmt.Errorf("decision entry: %w", err)
	}
	return e, p, nil
}

func partyOf(p *model.Principal) *Party {
	if p == nil {
		return nil
	}
	if p.Kind == "" && p.Role == "" && p.Jurisdiction == "" {
		return nil
	}
	return &Party{Kind: p.Kind, Role: p.Role, State: p.Jurisdiction}
}

func sortedSet(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	sort.Strings(out)
	return slices.Compact(out)
}

// maxCount is the largest count an entry holds: 2^53-1, the largest integer
// RFC 8785 (which writes numbers as IEEE doubles) represents exactly.
const maxCount = 1<<53 - 1

// maxCode is the longest string a public field may hold.
const maxCode = 64

// checkCode reports an error naming field when s is not a code. Codes keep
// free text (messages, names, references with spaces) out of the log.
func checkCode(field, s string) error {
	if len(s) > maxCode {
		return fmt.Errorf("entry field %s: %d bytes is longer than a code (at most %d)", field, len(s), maxCode)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		switch c {
		case '.', '_', '-', ':', '/', '+':
			continue
		}
		return fmt.Errorf("entry field %s: %q is not a code (byte %d: only letters, digits and . _ - : / + are allowed)", field, s, i)
	}
	return nil
}

// Validate checks that e is well formed and holds only codes and counts.
// The error names the offending field.
func (e *Entry) Validate() error {
	if e.Version != EntryVersion {
		return fmt.Errorf("entry field v: version %d, want %d", e.Version, EntryVersion)
	}
	if !slices.Contains(Kinds, e.Kind) {
		return fmt.Errorf("entry field kind: unknown kind %q (want one of %v)", e.Kind, Kinds)
	}
	if e.Time.IsZero() {
		return errors.New("entry field time: missing")
	}
	if e.Time.Location() != time.UTC || e.Time.Nanosecond() != 0 || e.Time.Year() < 1 || e.Time.Year() > 9999 {
		return fmt.Errorf("entry field time: %s is not a whole second in UTC between years 1 and 9999", e.Time.Format(time.RFC3339Nano))
	}
	if len(e.RecordHash) != 2*sha256.Size {
		return fmt.Errorf("entry field record_hash: %d characters, want %d hex digits", len(e.RecordHash), 2*sha256.Size)
	}
	if _, err := hex.DecodeString(e.RecordHash); err != nil {
		return fmt.Errorf("entry field record_hash: %w", err)
	}
	for _, c := range [...]struct{ field, value string }{
		{"kind", e.Kind}, {"action", e.Action}, {"location", e.Location}, {"destination", e.Destination},
		{"purpose", e.Purpose}, {"transaction", e.Transaction}, {"classification", e.Classification},
		{"cii_state", e.CIIState}, {"cii_sector", e.CIISector}, {"selectors", e.Selectors},
		{"basis", e.Basis}, {"agreement", e.Agreement}, {"outcome", e.Outcome},
		{"jurisdiction", e.Jurisdiction}, {"subject", e.Subject},
		{"digest", e.Digest}, {"key_fingerprint", e.KeyFingerprint},
	} {
		if err := checkCode(c.field, c.value); err != nil {
			return err
		}
	}
	for _, p := range [...]struct {
		name string
		p    *Party
	}{{"requester", e.Requester}, {"on_behalf_of", e.OnBehalfOf}} {
		if p.p == nil {
			continue
		}
		for _, c := range [...]struct{ field, value string }{{".kind", p.p.Kind}, {".role", p.p.Role}, {".state", p.p.State}} {
			if checkCode("", c.value) != nil {
				return checkCode(p.name+c.field, c.value)
			}
		}
	}
	for _, l := range [...]struct {
		field  string
		values []string
	}{{"origin", e.Origin}, {"categories", e.Categories}, {"rules", e.Rules}, {"requires", e.Requires}} {
		for i, v := range l.values {
			if checkCode("", v) != nil {
				return checkCode(fmt.Sprintf("%s[%d]", l.field, i), v)
			}
		}
	}
	for i, pv := range e.Packs {
		for _, c := range [...]struct{ field, value string }{{"name", pv.Name}, {"version", pv.Version}, {"outcome", pv.Outcome}} {
			if checkCode("", c.value) != nil {
				return checkCode(fmt.Sprintf("packs[%d].%s", i, c.field), c.value)
			}
		}
	}
	for k, v := range e.Subjects {
		if err := checkCode("subjects key", k); err != nil {
			return err
		}
		if v < 0 || v > maxCount {
			return fmt.Errorf("entry field subjects.%s: count %d is outside 0..%d", k, v, maxCount)
		}
	}
	for k, v := range e.Excluded {
		if err := checkCode("excluded key", k); err != nil {
			return err
		}
		if v < 0 || v > maxCount {
			return fmt.Errorf("entry field excluded.%s: count %d is outside 0..%d", k, v, maxCount)
		}
	}
	for _, c := range [...]struct {
		field string
		n     int64
	}{{"records", e.Records}, {"devices", e.Devices}, {"selector_count", e.SelectorCount}, {"authorizations", int64(e.Authorizations)}} {
		if c.n < 0 || c.n > maxCount {
			return fmt.Errorf("entry field %s: count %d is outside 0..%d", c.field, c.n, maxCount)
		}
	}
	return nil
}

// Marshal validates e and returns its canonical JSON (RFC 8785): the exact
// bytes that become the log leaf.
//
// Because Validate admits only ASCII codes, integers below 2^53 and whole
// seconds in UTC, and Entry's fields are in canonical member order,
// encoding/json already writes the canonical form; running the jcs library
// over every entry would cost three quarters of the CPU time of logging a
// decision. Marshal therefore checks its output with jcs on the first call
// and then on one call in canonicalCheckEvery, and fails loudly (logging
// nothing) if they ever differ.
func (e *Entry) Marshal() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode entry: %w", err)
	}
	if marshalCount.Add(1)%canonicalCheckEvery == 1 {
		canon, err := jcs.Transform(raw)
		if err != nil {
			return nil, fmt.Errorf("canonicalise entry: %w", err)
		}
		if !bytes.Equal(canon, raw) {
			return nil, fmt.Errorf("entry encoding is not canonical (RFC 8785): %s; want %s", raw, canon)
		}
	}
	return raw, nil
}

// canonicalCheckEvery is how often Marshal double-checks its output with the
// jcs library.
const canonicalCheckEvery = 256

// marshalCount counts Marshal calls, to sample canonical-form checks.
var marshalCount atomic.Uint64

// ParseEntry decodes a log leaf. It accepts only canonical JSON of a valid
// entry with no unknown fields, so that an entry read back is byte for byte
// the one that was logged.
func ParseEntry(data []byte) (Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("decode entry: %w", jsonErrorAt(data, err))
	}
	if dec.More() {
		return Entry{}, fmt.Errorf("decode entry: byte %d: data after the entry", dec.InputOffset())
	}
	if err := e.Validate(); err != nil {
		return Entry{}, err
	}
	canon, err := jcs.Transform(data)
	if err != nil {
		return Entry{}, fmt.Errorf("canonicalise entry: %w", err)
	}
	if !bytes.Equal(canon, data) {
		return Entry{}, errors.New("entry is not in canonical JSON form (RFC 8785)")
	}
	// encoding/json matches member names case-insensitively and time
	// accepts variants; only the exact encoding Marshal writes is an entry.
	again, err := e.Marshal()
	if err != nil {
		return Entry{}, err
	}
	if !bytes.Equal(again, data) {
		return Entry{}, fmt.Errorf("entry is not in Accord's encoding (member names or values are spelled differently): got %q, want %q", data, again)
	}
	return e, nil
}

// jsonErrorAt adds the byte offset to JSON syntax and type errors.
func jsonErrorAt(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("byte %d: %w", se.Offset, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("byte %d: unexpected end of input", len(data))
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("byte %d: field %s: %w", te.Offset, te.Field, err)
	}
	return err
}

// voidRecord is the record behind a void entry. It holds nothing private,
// so it has no salt: anyone can rebuild it from the entry and check the
// record hash.
type voidRecord struct {
	Kind   string    `json:"kind"`
	Refers uint64    `json:"refers"`
	Time   time.Time `json:"time"`
}

// VoidEntry builds the entry that voids the entry at index refers (for
// example a decision that was logged but could not be stored, and so must
// not be acted on). The earlier entry stays in the log; the void entry says
// it does not count. Its record is public — {"kind":"void","refers":N,
// "time":T} in canonical JSON, no salt — so RecordHash is its plain SHA-256.
func VoidEntry(refers uint64, at time.Time) Entry {
	at = at.UTC().Truncate(time.Second)
	raw, _ := json.Marshal(voidRecord{Kind: KindVoid, Refers: refers, Time: at})
	canon, err := jcs.Transform(raw)
	if err != nil { // cannot happen for this fixed shape; keep the raw form
		canon = raw
	}
	r := refers
	return Entry{
		Version:    EntryVersion,
		Kind:       KindVoid,
		Time:       at,
		Refers:     &r,
		RecordHash: Private{Record: canon}.Hash(),
	}
}
