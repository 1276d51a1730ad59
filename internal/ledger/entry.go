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
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	// KindSeal records a dataset sealed to custodians: the dataset, the
	// custodians and k, and a digest of the share commitments; never key
	// material (see internal/custody).
	KindSeal = "seal"
	// KindApproval records an approval request to a data holder (outcome
	// pending, refers to the decision that asked) and the holder's answer
	// (outcome allow or deny, refers to the request's entry, digest of the
	// signed statement); see internal/approval.
	KindApproval = "approval"
	// KindVoid voids an earlier entry (for example a decision made in error);
	// the earlier entry stays in the log, as every entry does.
	KindVoid = "void"
	// KindRegistryChange records a change to the registry (states, blocs,
	// authorities, agreements).
	KindRegistryChange = "registry-change"
	// KindPackChange records a policy pack being added, updated or removed.
	KindPackChange = "pack-change"
	// KindAdvisory records a security advisory published by a vendor (or a
	// vendor's advisory key being registered): vendor, advisory id hash,
	// severity, lint rules, count of deployments affected.
	KindAdvisory = "advisory"
	// KindNotice records the outcome of notifying one deployment of an
	// advisory: delivered or failed, and the seconds since publication and
	// since the vendor's stated discovery.
	KindNotice = "notice"
	// KindCatalogChange records a change to the catalog: a dataset's
	// sovereignty labels put or deleted. Its public fields are the dataset
	// id (Subject), its location, the action and the digest of the labels.
	KindCatalogChange = "catalog-change"
)

// Kinds lists every entry kind, in the order documented.
var Kinds = []string{KindDecision, KindAuthorization, KindRevocation, KindMLATransition, KindRelease, KindVoid, KindRegistryChange, KindPackChange, KindAdvisory, KindNotice, KindSeal, KindApproval, KindCatalogChange}

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
	// Custodians lists, for a seal entry, the ids of the custodians that
	// hold the dataset's key, in the sealed header's order.
	Custodians []string `json:"custodians,omitempty"`
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
	// Severity is, for an advisory or notice entry, the advisory's
	// qualitative severity (critical, high, medium, low, none).
	Severity string `json:"severity,omitempty"`
	// SinceDiscovered is, for a notice entry, the seconds from the
	// vendor's stated discovery date to the notice's outcome.
	SinceDiscovered *int64 `json:"since_discovered_s,omitempty"`
	// SincePublished is, for a notice entry, the seconds from the
	// advisory's publication on this server to the notice's outcome.
	SincePublished *int64 `json:"since_published_s,omitempty"`
	// Subject is a code naming what a non-decision entry concerns: a pack
	// name, a registry object id, an advisory id (never a person).
	Subject string `json:"subject,omitempty"`
	// Subjects counts data subjects by state.
	Subjects map[string]int64 `json:"subjects,omitempty"`
	// Threshold is, for a seal entry, k: how many custodians' shares open
	// the dataset.
	Threshold int `json:"threshold,omitempty"`
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

// saltSize is the length of a record's salt.
const saltSize = 32

// sealRecord draws a fresh salt into buf[:saltSize], where buf is the salt
// followed by the record, and returns the private record (salt and record
// sharing buf, each capped to its length) and its hash, computed without
// copying: the record's hash input is buf itself.
func sealRecord(buf []byte) (Private, string, error) {
	if _, err := rand.Read(buf[:saltSize]); err != nil {
		return Private{}, "", fmt.Errorf("draw salt: %w", err)
	}
	sum := sha256.Sum256(buf)
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum[:])
	return Private{Salt: buf[:saltSize:saltSize], Record: buf[saltSize:len(buf):len(buf)]}, string(hx[:]), nil
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
	buf := make([]byte, saltSize, saltSize+len(raw))
	return newRecordSealed(kind, at, append(buf, raw...))
}

// newRecordSealed is NewRecord for buf holding saltSize bytes of room for
// the salt, then the encoded record.
func newRecordSealed(kind string, at time.Time, buf []byte) (Entry, Private, error) {
	p, hash, err := sealRecord(buf)
	if err != nil {
		return Entry{}, Private{}, err
	}
	e := Entry{
		Version:    EntryVersion,
		Kind:       kind,
		Time:       at.UTC().Truncate(time.Second),
		RecordHash: hash,
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
// decision in full, with a fresh random salt; it is written without
// reflection, byte for byte as encoding/json writes it (see record.go).
//
// The entry's time is dec.Time, else req.Time, else the current time.
//
// A caller that checks the entry's size and then appends it should use
// DecisionLeaf and Log.AppendLeaf, which encode the entry once.
func DecisionEntry(req *model.Request, dec *model.Decision) (Entry, Private, error) {
	return buildDecisionEntry(req, dec)
}

// buildDecisionEntry builds and validates a decision's entry and record.
func buildDecisionEntry(req *model.Request, dec *model.Decision) (Entry, Private, error) {
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
	buf, err := marshalDecisionRecord(make([]byte, saltSize, 2048), req, dec)
	if err != nil {
		return Entry{}, Private{}, fmt.Errorf("encode %s record: %w", KindDecision, err)
	}
	e, p, err := newRecordSealed(KindDecision, at, buf)
	if err != nil {
		return Entry{}, Private{}, err
	}
	e.Action = string(req.Action)
	e.Requester = partyOf(&req.Requester)
	e.OnBehalfOf = partyOf(req.OnBehalfOf)
	d := &req.Data
	e.Location = d.Location
	e.Origin, e.Categories = sortedSets(d.Origin, d.Categories)
	e.Destination = req.Destination
	e.Purpose = string(req.Purpose)
	e.Transaction = req.Transaction
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
	if len(dec.Reasons) > 0 {
		e.Rules = make([]string, 0, len(dec.Reasons))
	}
	for _, r := range dec.Reasons {
		if !slices.Contains(e.Rules, r.Rule) {
			e.Rules = append(e.Rules, r.Rule)
		}
	}
	if len(dec.Packs) > 0 {
		e.Packs = make([]PackVersion, 0, len(dec.Packs))
	}
	for _, po := range dec.Packs {
		e.Packs = append(e.Packs, PackVersion{Name: po.Pack, Version: po.Version, Outcome: string(po.Outcome)})
	}
	if len(dec.Requires) > 0 {
		e.Requires = make([]string, 0, len(dec.Requires))
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

// Leaf is a validated entry together with its canonical JSON, the bytes
// that become the log leaf, encoded once. Its fields cannot be changed, so
// the bytes always are those of the entry. The zero Leaf is not valid.
type Leaf struct {
	entry Entry
	data  []byte
}

// NewLeaf validates e and encodes it (see Entry.Marshal).
func NewLeaf(e Entry) (Leaf, error) {
	data, err := e.Marshal()
	if err != nil {
		return Leaf{}, err
	}
	return Leaf{entry: e, data: data}, nil
}

// Entry returns the entry. Its lists and maps are shared with the leaf:
// do not modify them.
func (l Leaf) Entry() Entry { return l.entry }

// Kind returns the entry's kind.
func (l Leaf) Kind() string { return l.entry.Kind }

// Bytes returns the canonical JSON. The slice is shared with the leaf: do
// not modify it.
func (l Leaf) Bytes() []byte { return l.data }

// Len returns the length of the canonical JSON, the size Log.Append
// compares with Options.MaxEntrySize.
func (l Leaf) Len() int { return len(l.data) }

// DecisionLeaf is DecisionEntry with the entry encoded once: the caller
// checks its size with Len and appends it with Log.AppendLeaf, so that the
// entry is validated and encoded once per decision instead of three times
// (DecisionEntry, a size check with Marshal, Append).
func DecisionLeaf(req *model.Request, dec *model.Decision) (Leaf, Private, error) {
	e, p, err := buildDecisionEntry(req, dec)
	if err != nil {
		return Leaf{}, Private{}, err
	}
	data, err := e.marshalValid()
	if err != nil {
		return Leaf{}, Private{}, fmt.Errorf("decision entry: %w", err)
	}
	return Leaf{entry: e, data: data}, p, nil
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

// sortedSets is sortedSet of a and of b, copied into one allocation.
func sortedSets(a, b []string) ([]string, []string) {
	if len(a) == 0 || len(b) == 0 {
		return sortedSet(a), sortedSet(b)
	}
	buf := make([]string, 0, len(a)+len(b))
	buf = append(buf, a...)
	buf = append(buf, b...)
	x, y := buf[:len(a):len(a)], buf[len(a):]
	slices.Sort(x)
	slices.Sort(y)
	return slices.Compact(x), slices.Compact(y)
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

// isHex reports whether s is hex digits (either case), as hex.DecodeString
// accepts them.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
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
	if !isHex(e.RecordHash) {
		if _, err := hex.DecodeString(e.RecordHash); err != nil {
			return fmt.Errorf("entry field record_hash: %w", err)
		}
	}
	for _, c := range [...]struct{ field, value string }{
		{"kind", e.Kind}, {"action", e.Action}, {"location", e.Location}, {"destination", e.Destination},
		{"purpose", e.Purpose}, {"transaction", e.Transaction}, {"classification", e.Classification},
		{"cii_state", e.CIIState}, {"cii_sector", e.CIISector}, {"selectors", e.Selectors},
		{"basis", e.Basis}, {"agreement", e.Agreement}, {"outcome", e.Outcome},
		{"jurisdiction", e.Jurisdiction}, {"subject", e.Subject},
		{"digest", e.Digest}, {"key_fingerprint", e.KeyFingerprint}, {"severity", e.Severity},
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
	}{{"origin", e.Origin}, {"categories", e.Categories}, {"rules", e.Rules}, {"requires", e.Requires}, {"custodians", e.Custodians}} {
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
	}{{"records", e.Records}, {"devices", e.Devices}, {"selector_count", e.SelectorCount}, {"authorizations", int64(e.Authorizations)}, {"threshold", int64(e.Threshold)}, {"since_discovered_s", deref(e.SinceDiscovered)}, {"since_published_s", deref(e.SincePublished)}} {
		if c.n < 0 || c.n > maxCount {
			return fmt.Errorf("entry field %s: count %d is outside 0..%d", c.field, c.n, maxCount)
		}
	}
	return nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// Marshal validates e and returns its canonical JSON (RFC 8785): the exact
// bytes that become the log leaf.
//
// Because Validate admits only ASCII codes, integers below 2^53 and whole
// seconds in UTC, and Entry's fields are in canonical member order, the
// canonical form is written field by field (appendJSON), without
// reflection, byte for byte what encoding/json writes for an Entry. Running
// the jcs library over every entry would cost several times the encoding
// itself; Marshal therefore checks its output with jcs on the first call
// and then on one call in canonicalCheckEvery, and fails loudly (logging
// nothing) if they ever differ. TestEntryCanonical and FuzzEntryCanonical
// compare it with both jcs and encoding/json.
func (e *Entry) Marshal() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e.marshalValid()
}

// marshalValid is Marshal for an entry Validate accepted.
func (e *Entry) marshalValid() ([]byte, error) {
	raw := e.appendJSON(make([]byte, 0, e.sizeHint()))
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

// sizeHint is an upper estimate of the length of e's JSON, so that
// appendJSON writes into one allocation.
func (e *Entry) sizeHint() int {
	n := 400 // member names, punctuation, fixed-size values
	for _, s := range [...]string{e.Action, e.Agreement, e.Basis, e.CIISector, e.CIIState, e.Classification,
		e.Destination, e.Digest, e.Jurisdiction, e.KeyFingerprint, e.Kind, e.Location, e.Outcome, e.Purpose,
		e.RecordHash, e.Selectors, e.Severity, e.Subject, e.Transaction} {
		n += len(s)
	}
	for _, l := range [...][]string{e.Categories, e.Custodians, e.Origin, e.Requires, e.Rules} {
		for _, s := range l {
			n += len(s) + 3
		}
	}
	for _, p := range [...]*Party{e.Requester, e.OnBehalfOf} {
		if p != nil {
			n += 30 + len(p.Kind) + len(p.Role) + len(p.State)
		}
	}
	for _, pv := range e.Packs {
		n += 40 + len(pv.Name) + len(pv.Outcome) + len(pv.Version)
	}
	for k := range e.Subjects {
		n += len(k) + 20
	}
	for k := range e.Excluded {
		n += len(k) + 20
	}
	return n
}

// appendJSON appends e's JSON, members in Entry's (canonical) order and
// empty optional members left out, as encoding/json writes it. Strings are
// written as they are when they need no escaping (every string of a valid
// entry), else as encoding/json escapes them.
func (e *Entry) appendJSON(b []byte) []byte {
	w := jsonObject{b: append(b, '{')}
	w.str("action", e.Action)
	w.str("agreement", e.Agreement)
	w.int("authorizations", int64(e.Authorizations))
	w.str("basis", e.Basis)
	w.strs("categories", e.Categories)
	w.str("cii_sector", e.CIISector)
	w.str("cii_state", e.CIIState)
	w.str("classification", e.Classification)
	w.strs("custodians", e.Custodians)
	w.str("destination", e.Destination)
	w.int("devices", e.Devices)
	w.str("digest", e.Digest)
	w.counts("excluded", e.Excluded)
	w.str("jurisdiction", e.Jurisdiction)
	w.str("key_fingerprint", e.KeyFingerprint)
	w.name("kind")
	w.b = appendJSONString(w.b, e.Kind)
	w.str("location", e.Location)
	w.party("on_behalf_of", e.OnBehalfOf)
	w.strs("origin", e.Origin)
	w.str("outcome", e.Outcome)
	if len(e.Packs) > 0 {
		w.name("packs")
		w.b = append(w.b, '[')
		for i, pv := range e.Packs {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			p := jsonObject{b: append(w.b, '{')}
			p.name("name")
			p.b = appendJSONString(p.b, pv.Name)
			p.str("outcome", pv.Outcome)
			p.name("version")
			p.b = appendJSONString(p.b, pv.Version)
			w.b = append(p.b, '}')
		}
		w.b = append(w.b, ']')
	}
	w.str("purpose", e.Purpose)
	w.name("record_hash")
	w.b = appendJSONString(w.b, e.RecordHash)
	w.int("records", e.Records)
	if e.Refers != nil {
		w.name("refers")
		w.b = strconv.AppendUint(w.b, *e.Refers, 10)
	}
	w.party("requester", e.Requester)
	w.strs("requires", e.Requires)
	w.strs("rules", e.Rules)
	w.int("selector_count", e.SelectorCount)
	w.str("selectors", e.Selectors)
	w.str("severity", e.Severity)
	if e.SinceDiscovered != nil {
		w.name("since_discovered_s")
		w.b = strconv.AppendInt(w.b, *e.SinceDiscovered, 10)
	}
	if e.SincePublished != nil {
		w.name("since_published_s")
		w.b = strconv.AppendInt(w.b, *e.SincePublished, 10)
	}
	w.str("subject", e.Subject)
	w.counts("subjects", e.Subjects)
	w.int("threshold", int64(e.Threshold))
	w.name("time")
	w.b = appendJSONTime(w.b, e.Time)
	w.str("transaction", e.Transaction)
	w.name("v")
	w.b = strconv.AppendInt(w.b, int64(e.Version), 10)
	return append(w.b, '}')
}

// jsonObject writes the members of a JSON object.
type jsonObject struct {
	b    []byte
	more bool // a member was written
}

// name writes a member name and its colon.
func (w *jsonObject) name(n string) {
	if w.more {
		w.b = append(w.b, ',')
	}
	w.more = true
	w.b = append(w.b, '"')
	w.b = append(w.b, n...)
	w.b = append(w.b, '"', ':')
}

// str writes a string member, unless it is empty (omitempty).
func (w *jsonObject) str(n, v string) {
	if v != "" {
		w.name(n)
		w.b = appendJSONString(w.b, v)
	}
}

// counts writes a member holding counts by state, keys sorted, unless it
// is empty (omitempty).
func (w *jsonObject) counts(n string, m map[string]int64) {
	if len(m) == 0 {
		return
	}
	w.name(n)
	var small [32]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.b = append(w.b, '{')
	for i, k := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendJSONString(w.b, k)
		w.b = append(w.b, ':')
		w.b = strconv.AppendInt(w.b, m[k], 10)
	}
	w.b = append(w.b, '}')
}

// int writes an integer member, unless it is zero (omitempty).
func (w *jsonObject) int(n string, v int64) {
	if v != 0 {
		w.name(n)
		w.b = strconv.AppendInt(w.b, v, 10)
	}
}

// strs writes a list of strings, unless it is empty (omitempty).
func (w *jsonObject) strs(n string, l []string) {
	if len(l) == 0 {
		return
	}
	w.name(n)
	w.b = append(w.b, '[')
	for i, s := range l {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendJSONString(w.b, s)
	}
	w.b = append(w.b, ']')
}

// party writes a Party member, unless it is nil (omitempty).
func (w *jsonObject) party(n string, p *Party) {
	if p == nil {
		return
	}
	w.name(n)
	o := jsonObject{b: append(w.b, '{')}
	o.name("kind")
	o.b = appendJSONString(o.b, p.Kind)
	o.str("role", p.Role)
	o.str("state", p.State)
	w.b = append(o.b, '}')
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it: \" \\ \b \f \n \r \t, other control characters and < > &
// as \u00XX, U+2028 and U+2029 as \u202X, and each byte of invalid UTF-8
// as \ufffd. A code (every string of a valid entry) is written as it is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONTime appends t as encoding/json writes a time.Time (RFC 3339
// with nanoseconds when there are any), for a year between 0 and 9999.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
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
