package authz

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// RolePurposes says which purposes an authority of each role may grant
// access for. An authorization for a purpose its issuer's role may not grant
// does not count.
//
//	role               may grant
//	central-authority  law-enforcement, emergency   (mutual legal assistance: the requested state's central authority)
//	judicial           law-enforcement, emergency   (a court or prosecutor of the state where the data is)
//	law-enforcement    emergency                    (police-to-police disclosure when life is at risk)
//	intelligence       national-security
//	regulator          commercial, research, maintenance, employment, repatriation
//	data-protection    commercial, research, maintenance, employment, repatriation
//	                   (the regulator or data-protection authority approving a transfer)
//	cybersecurity      maintenance   (foreign maintenance access to critical infrastructure)
//
// Any other role grants nothing. The table follows the GDSI's fifth and
// sixth commitments (GDSI letter of 18 September 2020, annex, paragraphs 5 and 6):
// data located in a state is obtained with that state's permission, and for
// law enforcement through judicial assistance or agreements.
var RolePurposes = map[string][]model.Purpose{
	"central-authority": {model.PurposeLawEnforcement, model.PurposeEmergency},
	"judicial":          {model.PurposeLawEnforcement, model.PurposeEmergency},
	"law-enforcement":   {model.PurposeEmergency},
	"intelligence":      {model.PurposeNationalSecurity},
	"regulator":         {model.PurposeCommercial, model.PurposeResearch, model.PurposeMaintenance, model.PurposeEmployment, model.PurposeRepatriation},
	"data-protection":   {model.PurposeCommercial, model.PurposeResearch, model.PurposeMaintenance, model.PurposeEmployment, model.PurposeRepatriation},
	"cybersecurity":     {model.PurposeMaintenance},
}

// RoleMayGrant reports whether an authority with role may grant access for
// purpose, per RolePurposes.
func RoleMayGrant(role string, purpose model.Purpose) bool {
	return slices.Contains(RolePurposes[role], purpose)
}

// The checks Evaluate makes besides the scope checks (CheckPurpose, ...).
const (
	CheckIssuerState = "issuer-state"
	CheckRole        = "role"
	CheckNotYetValid = "not-yet-valid"
	CheckExpired     = "expired"
	CheckRevoked     = "revoked"
	CheckGrantee     = "grantee"
)

// Finding is one reason an authorization does not count for a request.
type Finding struct {
	// Authorization is the statement id.
	Authorization string `json:"authorization"`
	// State is the state the statement says it is from.
	State string `json:"state"`
	// Check is the check that failed (CheckExpired, CheckSubjects, ...).
	Check string `json:"check"`
	// Message says exactly what failed, e.g. "authorization A-1 from FR
	// covers 100 subjects, request has 250", in English: the JSON output
	// and a decision's reasons keep it so.
	Message string `json:"message"`
	// reason is Message as a catalog message (see Text).
	reason error
}

// Text returns Message in p's language, for a reader of accord authz
// verify.
func (f Finding) Text(p *locale.Printer) string {
	if f.reason == nil {
		return f.Message
	}
	return locale.Text(p, f.reason)
}

// Revocation is a verified revocation statement, reduced to what Evaluate
// needs.
type Revocation struct {
	// ID is the revocation statement's id.
	ID string
	// Revokes is the id of the authorization withdrawn.
	Revokes string
	// Jurisdiction is the state whose authority signed the revocation.
	Jurisdiction string
	// From is when the revocation takes effect (inclusive).
	From time.Time
}

// RevocationSet answers whether an authorization has been revoked.
type RevocationSet interface {
	// Revocation returns the earliest revocation of authorization id by an
	// authority of state, and false when there is none.
	Revocation(id, state string) (Revocation, bool)
}

// Revocations is a RevocationSet held in memory.
type Revocations struct {
	byID map[string][]Revocation
}

// Add records a verified revocation. It refuses a statement that is not a
// revocation, or one whose signing authority does not act for the state the
// statement names.
func (r *Revocations) Add(v *Verified) error {
	st := v.Statement
	if st.Type != TypeRevocation {
		return locale.Errorf("statement %s is an %s, not a revocation", st.ID, st.Type)
	}
	if v.Authority.Jurisdiction != st.IssuerJurisdiction {
		return locale.Errorf("revocation %s: signed by %s, an authority of %s, not %s", st.ID, v.Authority.ID, v.Authority.Jurisdiction, st.IssuerJurisdiction)
	}
	if r.byID == nil {
		r.byID = map[string][]Revocation{}
	}
	r.byID[st.Revokes] = append(r.byID[st.Revokes], Revocation{ID: st.ID, Revokes: st.Revokes, Jurisdiction: st.IssuerJurisdiction, From: st.ValidFrom})
	return nil
}

// Revocation implements RevocationSet.
func (r *Revocations) Revocation(id, state string) (Revocation, bool) {
	var best Revocation
	found := false
	for _, rv := range r.byID[id] {
		if rv.Jurisdiction != state {
			continue
		}
		if !found || rv.From.Before(best.From) {
			best, found = rv, true
		}
	}
	return best, found
}

// Evaluate verifies the authorizations attached to a request and says which
// states have authorized it. A state is in authorized when at least one of
// its authorizations:
//
//   - verifies with the key of the issuer the registry knows (keys),
//   - is issued by an authority of that state (the statement's
//     issuer_jurisdiction is the issuer's registered jurisdiction),
//   - comes from an authority whose role may grant req.Purpose (RolePurposes),
//   - is valid at `at`: valid_from <= at < valid_to,
//   - is not revoked at `at` by an authority of the same state,
//   - names the requester as grantee (req.Requester.ID, or req.OnBehalfOf.ID
//     when the requester acts for the grantee; the server checks that the
//     caller may act for it),
//   - has a scope that covers the request (Scope.Covers).
//
// findings lists, for every authorization that does not count, each check
// it failed, in envelope order. An envelope that does not parse, is not an
// authorization, names an unknown issuer or whose signature does not verify
// is bad input: Evaluate returns an error naming basis.authorizations[i]
// and no result. revoked may be nil.
func Evaluate(envs []model.Envelope, req *model.Request, keys Keys, revoked RevocationSet, at time.Time) (authorized []string, findings []Finding, err error) {
	states := map[string]bool{}
	for i, env := range envs {
		v, err := Open(context.Background(), env, keys)
		if err != nil {
			return nil, nil, locale.Errorf("basis.authorizations[%s]: %v", strconv.Itoa(i), err)
		}
		if v.Statement.Type != TypeAuthorization {
			return nil, nil, locale.Errorf("basis.authorizations[%s]: statement %s is a %s, not an authorization", strconv.Itoa(i), v.Statement.ID, v.Statement.Type)
		}
		fs := check(v, req, revoked, at)
		if len(fs) == 0 {
			states[v.Statement.IssuerJurisdiction] = true
		}
		findings = append(findings, fs...)
	}
	for s := range states {
		authorized = append(authorized, s)
	}
	sort.Strings(authorized)
	return authorized, findings, nil
}

// check lists every check a verified authorization fails for req at `at`.
func check(v *Verified, req *model.Request, revoked RevocationSet, at time.Time) []Finding {
	st := v.Statement
	var out []Finding
	found := func(check string, reason error) {
		out = append(out, Finding{Authorization: st.ID, State: st.IssuerJurisdiction, Check: check, Message: reason.Error(), reason: reason})
	}
	// add records a finding that reads "authorization ID from STATE ..."
	add := func(check string, detail error) {
		found(check, locale.Errorf("authorization %s from %s %v", st.ID, st.IssuerJurisdiction, detail))
	}
	if v.Authority.Jurisdiction != st.IssuerJurisdiction {
		found(CheckIssuerState, locale.Errorf("authorization %s is issued by %s, an authority of %s, not %s", st.ID, v.Authority.ID, v.Authority.Jurisdiction, st.IssuerJurisdiction))
	}
	if req.Purpose != "" && !RoleMayGrant(v.Authority.Role, req.Purpose) {
		add(CheckRole, locale.Errorf("is issued by %s, whose role %q may not grant %s", v.Authority.ID, v.Authority.Role, req.Purpose))
	}
	if at.Before(st.ValidFrom) {
		add(CheckNotYetValid, locale.Errorf("is not valid before %s", st.ValidFrom.UTC().Format(time.RFC3339)))
	}
	if !at.Before(st.ValidTo) {
		add(CheckExpired, locale.Errorf("expired at %s", st.ValidTo.UTC().Format(time.RFC3339)))
	}
	if revoked != nil {
		if rv, ok := revoked.Revocation(st.ID, st.IssuerJurisdiction); ok && !at.Before(rv.From) {
			add(CheckRevoked, locale.Errorf("was revoked by %s from %s", rv.ID, rv.From.UTC().Format(time.RFC3339)))
		}
	}
	if !grantedTo(st.Grantee, req) {
		if req.OnBehalfOf == nil || req.OnBehalfOf.ID == "" {
			add(CheckGrantee, locale.Errorf("is granted to %s, not to the requester %s", st.Grantee, req.Requester.ID))
		} else {
			add(CheckGrantee, locale.Errorf("is granted to %s, not to the requester %s or %s it acts for", st.Grantee, req.Requester.ID, req.OnBehalfOf.ID))
		}
	}
	for _, sf := range st.Scope.Covers(req) {
		add(sf.Check, sf.detail)
	}
	return out
}

func grantedTo(grantee string, req *model.Request) bool {
	if grantee == req.Requester.ID {
		return true
	}
	return req.OnBehalfOf != nil && req.OnBehalfOf.ID != "" && grantee == req.OnBehalfOf.ID
}

// Messages returns the findings' messages for one state, for a pending
// decision's reasons.
func Messages(findings []Finding, state string) string {
	var msgs []string
	for _, f := range findings {
		if f.State == state {
			msgs = append(msgs, f.Message)
		}
	}
	return strings.Join(msgs, "; ")
}
