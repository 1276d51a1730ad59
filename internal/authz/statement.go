package authz

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// The statement types.
const (
	// TypeAuthorization grants a principal access to data within a scope.
	TypeAuthorization = "authorization"
	// TypeRevocation withdraws an earlier authorization from a given time.
	TypeRevocation = "revocation"
)

// Statement is what an authority signs: an authorization ("principal P may
// access data located in my state, within this scope, for this time") or a
// revocation of an earlier one. It travels as the payload of a DSSE
// envelope whose payloadType is PayloadType.
//
// An authorization example:
//
//	{
//	  "id": "CN-MOJ-2026-0007",
//	  "type": "authorization",
//	  "issuer": "cn-moj",
//	  "issuer_jurisdiction": "CN",
//	  "grantee": "fr-pnac",
//	  "scope": {
//	    "datasets": ["mail-cn"],
//	    "selectors": {"kind": "specific", "count": 3},
//	    "purposes": ["law-enforcement"],
//	    "categories": ["personal.contact", "personal.communications"],
//	    "max_subjects": 3,
//	    "max_records": 500,
//	    "subject_states": ["CN", "FR"]
//	  },
//	  "valid_from": "2026-11-20T00:00:00Z",
//	  "valid_to": "2026-12-20T00:00:00Z",
//	  "conditions": ["specialty"],
//	  "ref": "MLA-2026-0042"
//	}
type Statement struct {
	// ID identifies the statement; revocations name it in Revokes.
	// Issuers should make it globally unique (prefix it with their state).
	ID string `json:"id"`
	// Type is TypeAuthorization or TypeRevocation.
	Type string `json:"type"`
	// Issuer is the registry id of the authority that signs.
	Issuer string `json:"issuer"`
	// IssuerJurisdiction is the state the issuer acts for (ISO 3166-1
	// alpha-2). Verification checks it against the registry.
	IssuerJurisdiction string `json:"issuer_jurisdiction"`
	// Grantee is the id of the principal the authorization is for. An
	// authorization works only for that principal (or a principal acting on
	// its behalf): it cannot be replayed by anyone else.
	Grantee string `json:"grantee,omitempty"`
	// Scope bounds what the authorization covers. Required for an
	// authorization, absent for a revocation.
	Scope *Scope `json:"scope,omitempty"`
	// ValidFrom is when the statement takes effect (inclusive). For a
	// revocation: when the authorization stops counting.
	ValidFrom time.Time `json:"valid_from"`
	// ValidTo is when an authorization lapses (exclusive). Required for an
	// authorization; absent for a revocation.
	ValidTo time.Time `json:"valid_to,omitzero"`
	// Conditions lists conditions the issuer attaches, as short codes
	// (for example "specialty": the data may be used only for the case it
	// was given for). Accord passes them on as obligations; it does not
	// interpret them.
	Conditions []string `json:"conditions,omitempty"`
	// Revokes is the id of the authorization a revocation withdraws.
	Revokes string `json:"revokes,omitempty"`
	// Ref is the reference of the case or instrument the statement belongs
	// to (for example the MLA case id). Optional.
	Ref string `json:"ref,omitempty"`
}

// Scope bounds what an authorization covers. An empty list or a zero
// maximum means "no limit on this dimension", except Purposes, which must
// name at least one purpose.
type Scope struct {
	// Datasets lists the catalogued datasets covered; empty = any dataset.
	Datasets []string `json:"datasets,omitempty"`
	// Selectors bounds how the data may be picked; nil = no bound.
	Selectors *SelectorScope `json:"selectors,omitempty"`
	// Purposes lists the purposes covered (model.Purposes). Required.
	Purposes []string `json:"purposes"`
	// Categories lists the data categories covered; a category covers its
	// dotted children ("personal" covers "personal.contact"). Empty = any.
	Categories []string `json:"categories,omitempty"`
	// MaxSubjects bounds the number of data subjects (of SubjectStates,
	// when given). 0 = no bound.
	MaxSubjects int64 `json:"max_subjects,omitempty"`
	// MaxRecords bounds the number of records. 0 = no bound.
	MaxRecords int64 `json:"max_records,omitempty"`
	// SubjectStates lists the states whose data subjects are covered.
	// Empty = subjects of any state. Subjects of other states are outside
	// this authorization: they are not counted against MaxSubjects and it
	// does not authorize them (third-state exclusion removes them unless
	// their own state authorizes).
	SubjectStates []string `json:"subject_states,omitempty"`
}

// SelectorScope bounds selectors: their kind and how many.
type SelectorScope struct {
	// Kind is "specific" or "bulk". A specific scope does not cover a bulk
	// request; a bulk scope covers both.
	Kind string `json:"kind"`
	// Count is the maximum number of selectors. 0 = no bound.
	Count int64 `json:"count,omitempty"`
}

// ParseStatement decodes and checks a statement. Decoding is strict: no
// unknown or duplicate fields, the declared types, RFC 3339 times. A
// failure is a *ParseError naming the JSON path.
func ParseStatement(data []byte) (*Statement, error) {
	var st Statement
	if err := decodeStrict(data, &st); err != nil {
		return nil, err
	}
	if err := st.Validate(); err != nil {
		return nil, err
	}
	return &st, nil
}

var (
	statePattern = regexp.MustCompile(`^[A-Z]{2}$`)
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`)
	codePattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,63}$`)
)

// Validate checks the statement's meaning once it has decoded: required
// fields, known purposes and categories, a validity window that is not
// empty. Errors are *ParseError values with a path but no position.
func (st *Statement) Validate() error {
	bad := func(path string, msg error) error { return parseError(path, msg) }
	if !idPattern.MatchString(st.ID) {
		return bad("id", locale.Errorf("must be 1-128 letters, digits or ._:/- (got %q)", st.ID))
	}
	if !idPattern.MatchString(st.Issuer) {
		return bad("issuer", locale.Errorf("must be an authority id from the registry (got %q)", st.Issuer))
	}
	if !statePattern.MatchString(st.IssuerJurisdiction) {
		return bad("issuer_jurisdiction", locale.Errorf("must be an ISO 3166-1 alpha-2 code such as FR (got %q)", st.IssuerJurisdiction))
	}
	if st.ValidFrom.IsZero() {
		return bad("valid_from", locale.Errorf("is required"))
	}
	if st.Ref != "" && !idPattern.MatchString(st.Ref) {
		return bad("ref", locale.Errorf("must be 1-128 letters, digits or ._:/- (got %q)", st.Ref))
	}
	for i, c := range st.Conditions {
		if !codePattern.MatchString(c) {
			return bad(fmt.Sprintf("conditions[%d]", i), locale.Errorf("must be a short code of lower-case letters, digits, '.' or '-' (got %q)", c))
		}
	}
	switch st.Type {
	case TypeAuthorization:
		if !idPattern.MatchString(st.Grantee) {
			return bad("grantee", locale.Errorf("must name the principal the authorization is for (got %q)", st.Grantee))
		}
		if st.Revokes != "" {
			return bad("revokes", locale.Errorf("is only for a revocation"))
		}
		if st.ValidTo.IsZero() {
			return bad("valid_to", locale.Errorf("is required for an authorization"))
		}
		if !st.ValidTo.After(st.ValidFrom) {
			return bad("valid_to", locale.Errorf("must be after valid_from (%s)", st.ValidFrom.Format(time.RFC3339)))
		}
		if st.Scope == nil {
			return bad("scope", locale.Errorf("is required for an authorization"))
		}
		return st.Scope.validate("scope")
	case TypeRevocation:
		if !idPattern.MatchString(st.Revokes) {
			return bad("revokes", locale.Errorf("must name the authorization revoked (got %q)", st.Revokes))
		}
		if st.Scope != nil {
			return bad("scope", locale.Errorf("is only for an authorization"))
		}
		if st.Grantee != "" {
			return bad("grantee", locale.Errorf("is only for an authorization"))
		}
		if !st.ValidTo.IsZero() {
			return bad("valid_to", locale.Errorf("is only for an authorization; a revocation lasts"))
		}
		return nil
	default:
		return bad("type", locale.Errorf("must be %q or %q (got %q)", TypeAuthorization, TypeRevocation, st.Type))
	}
}

func (sc *Scope) validate(path string) error {
	bad := func(sub string, msg error) error { return parseError(path+sub, msg) }
	if len(sc.Purposes) == 0 {
		return bad(".purposes", locale.Errorf("must name at least one purpose (%s)", joinPurposes()))
	}
	for i, p := range sc.Purposes {
		if !slices.Contains(model.Purposes, model.Purpose(p)) {
			return bad(fmt.Sprintf(".purposes[%d]", i), locale.Errorf("unknown purpose %q (known: %s)", p, joinPurposes()))
		}
	}
	for i, c := range sc.Categories {
		if !model.KnownCategory(c) {
			return bad(fmt.Sprintf(".categories[%d]", i), locale.Errorf("unknown category %q", c))
		}
	}
	for i, d := range sc.Datasets {
		if !idPattern.MatchString(d) {
			return bad(fmt.Sprintf(".datasets[%d]", i), locale.Errorf("must be a dataset id (got %q)", d))
		}
	}
	for i, s := range sc.SubjectStates {
		if !statePattern.MatchString(s) {
			return bad(fmt.Sprintf(".subject_states[%d]", i), locale.Errorf("must be an ISO 3166-1 alpha-2 code (got %q)", s))
		}
	}
	if sc.MaxSubjects < 0 {
		return bad(".max_subjects", locale.Errorf("must not be negative"))
	}
	if sc.MaxRecords < 0 {
		return bad(".max_records", locale.Errorf("must not be negative"))
	}
	if sel := sc.Selectors; sel != nil {
		if sel.Kind != model.SelectorSpecific && sel.Kind != model.SelectorBulk {
			return bad(".selectors.kind", locale.Errorf("must be %q or %q (got %q)", model.SelectorSpecific, model.SelectorBulk, sel.Kind))
		}
		if sel.Count < 0 {
			return bad(".selectors.count", locale.Errorf("must not be negative"))
		}
	}
	return nil
}

func joinPurposes() string {
	s := make([]string, len(model.Purposes))
	for i, p := range model.Purposes {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}
