// Package registry holds the world Accord decides about: every ISO 3166-1
// jurisdiction, the blocs states belong to (EU, ASEAN, the parties to the
// Budapest Convention, ...), the authorities that act for states, and the
// agreements between states (MLATs, conventions, CLOUD Act agreements,
// adequacy decisions, commitments).
//
// The defaults are versioned YAML files embedded in the binary (data/*.yaml).
// An operator adds or replaces entries with YAML files of the same shape in
// one or more override directories; see Load and docs in data/README.md.
//
// A *Registry is read-only once loaded and safe for concurrent use. Its
// lookups (KnownJurisdiction, InBloc, AgreementCovers) are map lookups that
// do not allocate: the policy engine calls them on every decision.
package registry

import (
	"slices"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

//go:generate go run ./internal/gen -o data/jurisdictions.yaml

// Jurisdiction is a state or territory with an ISO 3166-1 alpha-2 code.
type Jurisdiction struct {
	// Code is the ISO 3166-1 alpha-2 code, upper case ("FR").
	Code string `json:"code"`
	// Names maps a language tag (en, fr, es, ru, zh, ar) to the name in
	// that language. English is always present.
	Names map[string]string `json:"names"`
}

// Name returns the jurisdiction's name in lang, falling back to English,
// then to the code itself.
func (j Jurisdiction) Name(lang string) string {
	if n := j.Names[lang]; n != "" {
		return n
	}
	if n := j.Names["en"]; n != "" {
		return n
	}
	return j.Code
}

// Bloc is a named group of states: a union, an organisation's membership,
// or the parties to a treaty.
type Bloc struct {
	// ID names the bloc in packs and agreements ("EU", "BUDAPEST").
	ID string `json:"id"`
	// Name is the bloc's full English name.
	Name string `json:"name"`
	// Members are the member jurisdictions, sorted.
	Members []string `json:"members"`
	// Checked is the date the membership list was last checked against
	// Source.
	Checked time.Time `json:"checked"`
	// Source is where the membership can be verified (a URL).
	Source string `json:"source"`
	// Note says anything a reader should know (suspensions, observers).
	Note string `json:"note,omitempty"`
}

// The agreement kinds.
const (
	KindMLAT               = "mlat"
	KindConvention         = "convention"
	KindExecutiveAgreement = "executive-agreement"
	KindAdequacy           = "adequacy"
	KindTransferFramework  = "transfer-framework"
	KindCommitment         = "commitment"
)

// AgreementKinds lists every valid Agreement.Kind.
var AgreementKinds = []string{KindMLAT, KindConvention, KindExecutiveAgreement, KindAdequacy, KindTransferFramework, KindCommitment}

// InternationalAgreementKinds lists the kinds of agreement that states
// conclude with each other and that bind every party: a treaty, a
// convention, an executive agreement. An adequacy decision is a unilateral
// act of the European Union (the third country is its subject, not a
// party), a transfer framework such as the Global CBPR Declaration is a
// non-binding declaration, and a commitment grants no access: none of them
// requires or authorizes a transfer on behalf of the states it names.
var InternationalAgreementKinds = []string{KindMLAT, KindConvention, KindExecutiveAgreement}

// Agreement is an instrument between states that a request may rely on as
// its basis: a mutual legal assistance treaty, a convention, an executive
// agreement, an adequacy decision, a transfer framework, or a political
// commitment (which covers no purpose: it binds conduct, it grants no
// access).
type Agreement struct {
	// ID names the agreement in requests (basis.agreement) and packs.
	ID string `json:"id"`
	// Title is the instrument's title.
	Title string `json:"title"`
	// Kind is one of AgreementKinds.
	Kind string `json:"kind"`
	// Parties are the states party to it, sorted: those listed one by one
	// plus the members of PartiesBloc when set.
	Parties []string `json:"parties"`
	// PartiesBloc, when set, names the bloc whose members are parties (the
	// EU/EEA side of an adequacy decision, the parties to a convention).
	PartiesBloc string `json:"parties_bloc,omitempty"`
	// Purposes lists the request purposes (model.Purposes) it covers.
	Purposes []string `json:"purposes"`
	// Categories, when not empty, limits it to these data categories.
	Categories []string `json:"categories,omitempty"`
	// Conditions lists measures a requester must attest in basis.measures
	// for the agreement to apply (e.g. "dpf-certified"). AgreementCovers
	// does not check them; packs do.
	Conditions []string `json:"conditions,omitempty"`
	// Signed is the date of signature or adoption, when known.
	Signed time.Time `json:"signed,omitzero"`
	// ValidFrom is the first day it is in force (inclusive).
	ValidFrom time.Time `json:"valid_from"`
	// ValidTo, when not zero, is the first day it is no longer in force
	// (exclusive).
	ValidTo time.Time `json:"valid_to,omitzero"`
	// Citation is the formal reference to the instrument.
	Citation string `json:"citation"`
	// Source is where the text can be read (a URL).
	Source string `json:"source"`
	// Note says anything a reader should know (scope limits, pending
	// reviews).
	Note string `json:"note,omitempty"`
}

// InForce reports whether the agreement is in force at t:
// ValidFrom <= t < ValidTo.
func (a *Agreement) InForce(t time.Time) bool {
	return !t.Before(a.ValidFrom) && (a.ValidTo.IsZero() || t.Before(a.ValidTo))
}

// The authority roles.
const (
	RoleLawEnforcement   = "law-enforcement"
	RoleIntelligence     = "intelligence"
	RoleJudicial         = "judicial"
	RoleCentralAuthority = "central-authority"
	RoleDataProtection   = "data-protection"
	RoleRegulator        = "regulator"
	RoleCybersecurity    = "cybersecurity"
)

// AuthorityRoles lists every valid Authority.Role.
var AuthorityRoles = []string{RoleLawEnforcement, RoleIntelligence, RoleJudicial, RoleCentralAuthority, RoleDataProtection, RoleRegulator, RoleCybersecurity}

// Authority is a body that acts for a state: it requests data, grants
// authorizations, or handles mutual legal assistance.
type Authority struct {
	// ID names the authority ("fr-cnil").
	ID string `json:"id"`
	// Name is its official name, in its own language where that uses the
	// Latin script, else in English.
	Name string `json:"name"`
	// Kind is a model principal kind, normally "state-authority".
	Kind string `json:"kind"`
	// Role is one of AuthorityRoles.
	Role string `json:"role"`
	// Jurisdiction is the state it acts for.
	Jurisdiction string `json:"jurisdiction"`
	// Example marks an entry shipped for illustration: real, but not
	// verified for operational use. Operators replace it with their own.
	Example bool `json:"example"`
	// PublicKey is the authority's Ed25519 public key, standard base64,
	// used to verify the authorizations it signs. Empty until an operator
	// adds one through an override.
	PublicKey string `json:"public_key,omitempty"`
	// Source is where the authority and its role can be verified (a URL).
	Source string `json:"source"`
	// Note says anything a reader should know.
	Note string `json:"note,omitempty"`
}

// Principal returns the authority as a request principal.
func (a Authority) Principal() model.Principal {
	return model.Principal{ID: a.ID, Kind: a.Kind, Role: a.Role, Jurisdiction: a.Jurisdiction}
}

// FileVersion records one loaded data file and the version it declared.
type FileVersion struct {
	File    string `json:"file"`
	Version string `json:"version"`
}

// Registry is the loaded, read-only registry. Build one with Load.
type Registry struct {
	jurisdictions map[string]*Jurisdiction
	blocs         map[string]*blocEntry
	agreements    map[string]*agreementEntry
	authorities   map[string]*Authority
	files         []FileVersion
}

// blocEntry is a bloc with its membership as a set.
type blocEntry struct {
	Bloc
	members map[string]struct{}
}

// agreementEntry is an agreement with its parties and purposes as sets.
type agreementEntry struct {
	Agreement
	parties  map[string]struct{}
	purposes map[string]struct{}
}

// KnownJurisdiction reports whether code is a jurisdiction in the registry.
// Codes are upper case; "fr" is not known.
func (r *Registry) KnownJurisdiction(code string) bool {
	_, ok := r.jurisdictions[code]
	return ok
}

// InBloc reports whether state is a member of bloc. An unknown bloc has no
// members.
func (r *Registry) InBloc(state, bloc string) bool {
	b, ok := r.blocs[bloc]
	if !ok {
		return false
	}
	_, ok = b.members[state]
	return ok
}

// AgreementCovers reports whether agreement id is in force at at
// (valid_from <= at < valid_to), a and b are two different parties to it,
// and it lists purpose. An unknown agreement covers nothing.
func (r *Registry) AgreementCovers(id, a, b, purpose string, at time.Time) bool {
	if a == b {
		return false
	}
	ag, ok := r.agreements[id]
	if !ok || !ag.InForce(at) {
		return false
	}
	if _, ok := ag.parties[a]; !ok {
		return false
	}
	if _, ok := ag.parties[b]; !ok {
		return false
	}
	_, ok = ag.purposes[purpose]
	return ok
}

// AgreementAuthorizes reports whether agreement id, in force at at,
// requires or authorizes this flow of data between a and b: it is an
// international agreement (InternationalAgreementKinds), a and b are two
// different parties to it, it lists purpose, every category in categories
// falls under one of its Categories (when it lists any; an empty list of
// categories is never covered by an agreement limited to some), and
// measures attest every one of its Conditions. It is the scope check of
// 28 CFR § 202.507(a) ("required or authorized by ... an international
// agreement to which the United States is a party") and of GDPR art. 48.
// An unknown agreement authorizes nothing.
func (r *Registry) AgreementAuthorizes(id, a, b, purpose string, categories, measures []string, at time.Time) bool {
	if !r.AgreementCovers(id, a, b, purpose, at) {
		return false
	}
	ag := r.agreements[id]
	if !slices.Contains(InternationalAgreementKinds, ag.Kind) {
		return false
	}
	if len(ag.Categories) > 0 {
		if len(categories) == 0 {
			return false
		}
		for _, c := range categories {
			if !slices.ContainsFunc(ag.Categories, func(p string) bool { return categoryUnder(c, p) }) {
				return false
			}
		}
	}
	for _, c := range ag.Conditions {
		if !slices.Contains(measures, c) {
			return false
		}
	}
	return true
}

// categoryUnder reports whether category c is prefix or under it
// ("personal.health" is under "personal").
func categoryUnder(c, prefix string) bool {
	return c == prefix || (len(c) > len(prefix) && c[len(prefix)] == '.' && c[:len(prefix)] == prefix)
}

// AgreementParties returns the sorted parties to agreement id, or nil if
// the agreement is unknown. The slice is the caller's to keep.
func (r *Registry) AgreementParties(id string) []string {
	ag, ok := r.agreements[id]
	if !ok {
		return nil
	}
	return slices.Clone(ag.Parties)
}

// Jurisdiction returns the jurisdiction with code.
func (r *Registry) Jurisdiction(code string) (Jurisdiction, bool) {
	j, ok := r.jurisdictions[code]
	if !ok {
		return Jurisdiction{}, false
	}
	return j.clone(), true
}

// Jurisdictions returns every jurisdiction, sorted by code.
func (r *Registry) Jurisdictions() []Jurisdiction {
	out := make([]Jurisdiction, 0, len(r.jurisdictions))
	for _, code := range sortedKeys(r.jurisdictions) {
		out = append(out, r.jurisdictions[code].clone())
	}
	return out
}

// Bloc returns the bloc with id.
func (r *Registry) Bloc(id string) (Bloc, bool) {
	b, ok := r.blocs[id]
	if !ok {
		return Bloc{}, false
	}
	return b.clone(), true
}

// Blocs returns every bloc, sorted by id.
func (r *Registry) Blocs() []Bloc {
	out := make([]Bloc, 0, len(r.blocs))
	for _, id := range sortedKeys(r.blocs) {
		out = append(out, r.blocs[id].clone())
	}
	return out
}

// Agreement returns the agreement with id.
func (r *Registry) Agreement(id string) (Agreement, bool) {
	a, ok := r.agreements[id]
	if !ok {
		return Agreement{}, false
	}
	return a.clone(), true
}

// Agreements returns every agreement, sorted by id.
func (r *Registry) Agreements() []Agreement {
	out := make([]Agreement, 0, len(r.agreements))
	for _, id := range sortedKeys(r.agreements) {
		out = append(out, r.agreements[id].clone())
	}
	return out
}

// Authority returns the authority with id.
func (r *Registry) Authority(id string) (Authority, bool) {
	a, ok := r.authorities[id]
	if !ok {
		return Authority{}, false
	}
	return *a, true
}

// Authorities returns every authority, sorted by id.
func (r *Registry) Authorities() []Authority {
	out := make([]Authority, 0, len(r.authorities))
	for _, id := range sortedKeys(r.authorities) {
		out = append(out, *r.authorities[id])
	}
	return out
}

// Files lists the data files loaded, embedded first, in load order, with
// the version each declared. A decision can record them to say which
// registry it was made against.
func (r *Registry) Files() []FileVersion { return slices.Clone(r.files) }

func (j *Jurisdiction) clone() Jurisdiction {
	c := *j
	c.Names = make(map[string]string, len(j.Names))
	for k, v := range j.Names {
		c.Names[k] = v
	}
	return c
}

func (b *blocEntry) clone() Bloc {
	c := b.Bloc
	c.Members = slices.Clone(b.Members)
	return c
}

func (a *agreementEntry) clone() Agreement {
	c := a.Agreement
	c.Parties = slices.Clone(a.Parties)
	c.Purposes = slices.Clone(a.Purposes)
	c.Categories = slices.Clone(a.Categories)
	c.Conditions = slices.Clone(a.Conditions)
	return c
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
