package mla

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/accord-dev/accord/internal/model"
)

// The reasons a state's data is excluded.
const (
	// ReasonSubjectsNotParty: the subjects' state is neither a party to
	// the case or agreement nor has it authorized.
	ReasonSubjectsNotParty = "subjects-third-state"
	// ReasonLocationNotParty: the data is located in a state that is
	// neither a party nor has authorized; nothing can be disclosed.
	ReasonLocationNotParty = "location-third-state"
)

// Excluded is what third-state exclusion removed for one state, in counts.
// It is the decision's own type, so a decision lists it as it is.
type Excluded = model.Excluded

// Exclusion is the result of third-state exclusion on one request.
type Exclusion struct {
	// Excluded lists, per third state, what was removed, sorted by state.
	Excluded []Excluded `json:"excluded,omitempty"`
	// Kept counts the subjects that remain, per state.
	Kept map[string]int64 `json:"kept,omitempty"`
	// OnlyThirdState is true when nothing but third-state data would be
	// disclosed: the request must wait for those states (PendingOn).
	OnlyThirdState bool `json:"only_third_state"`
	// PendingOn lists the third states whose authorization would let the
	// request proceed, when OnlyThirdState; sorted.
	PendingOn []string `json:"pending_on,omitempty"`
}

// Exclude applies the GDSI's sixth commitment to a request executed under a
// case or a bilateral agreement: "Tout accord bilatéral d'accès aux données
// entre deux États ne devrait pas porter atteinte à la souveraineté
// judiciaire et à la sécurité des données d'un État tiers"
// (GDSI letter of 18 September 2020, annex, paragraph 6).
//
// parties are the states of the case (Case.Parties) or the agreement's
// parties; authorized are the states whose signed authorization covers the
// request (authz.Evaluate). Subjects of any other state are excluded, in
// counts; if the data is located in such a state, or no subject remains
// once third-state subjects are removed, only third-state data would be
// disclosed and the request is pending on those states.
func Exclude(req *model.Request, parties, authorized []string) Exclusion {
	allowed := func(state string) bool {
		return slices.Contains(parties, state) || slices.Contains(authorized, state)
	}
	var x Exclusion
	if loc := req.Data.Location; loc != "" && !allowed(loc) {
		x.Excluded = append(x.Excluded, Excluded{State: loc, Reason: ReasonLocationNotParty})
	}
	var kept, removed int64
	states := slices.Sorted(maps.Keys(req.Data.Subjects))
	for _, s := range states {
		n := req.Data.Subjects[s]
		if n <= 0 {
			continue
		}
		if allowed(s) {
			if x.Kept == nil {
				x.Kept = map[string]int64{}
			}
			x.Kept[s] = n
			kept += n
			continue
		}
		x.Excluded = append(x.Excluded, Excluded{State: s, Subjects: n, Reason: ReasonSubjectsNotParty})
		removed += n
	}
	sort.Slice(x.Excluded, func(i, j int) bool {
		if x.Excluded[i].State != x.Excluded[j].State {
			return x.Excluded[i].State < x.Excluded[j].State
		}
		return x.Excluded[i].Reason < x.Excluded[j].Reason
	})
	if hasLocation(x.Excluded) || (removed > 0 && kept == 0) {
		x.OnlyThirdState = true
		for _, e := range x.Excluded {
			if !slices.Contains(x.PendingOn, e.State) {
				x.PendingOn = append(x.PendingOn, e.State)
			}
		}
		sort.Strings(x.PendingOn)
	}
	return x
}

func hasLocation(xs []Excluded) bool {
	for _, e := range xs {
		if e.Reason == ReasonLocationNotParty {
			return true
		}
	}
	return false
}

// Apply returns a copy of req that keeps only the subjects Exclude kept.
// Records are left as the request states them: only the provider knows how
// many records the excluded subjects had, and must report the records it
// actually disclosed. When only third-state data remains, the copy has no
// subjects. Per-category counts (SubjectsByCategory) keep the kept states.
func (x Exclusion) Apply(req *model.Request) *model.Request {
	out := *req
	out.Data = req.Data
	out.Data.Subjects = maps.Clone(x.Kept)
	out.Data.SubjectsByCategory = nil
	if x.OnlyThirdState {
		out.Data.Subjects = nil
	}
	// Per-category counts keep the kept states only.
	for cat, m := range req.Data.SubjectsByCategory {
		for s, n := range m {
			if _, kept := out.Data.Subjects[s]; !kept {
				continue
			}
			if out.Data.SubjectsByCategory == nil {
				out.Data.SubjectsByCategory = map[string]map[string]int64{}
			}
			if out.Data.SubjectsByCategory[cat] == nil {
				out.Data.SubjectsByCategory[cat] = map[string]int64{}
			}
			out.Data.SubjectsByCategory[cat][s] = n
		}
	}
	return &out
}

// ExclusionPack is the pack name on the reasons and requirements
// Exclusion produces.
const ExclusionPack = "mla"

// ExclusionCitation is what those reasons cite.
const ExclusionCitation = "GDSI (2020), commitment 6 (letter of 18 September 2020 from China's Permanent Representative to the United Nations to the Secretary-General, circulated at the 75th session of the General Assembly, annex, paragraph 6)"

// Reasons returns one reason per excluded state, for the decision: rule
// "mla-third-state-excluded", effect obligate, counts only.
func (x Exclusion) Reasons(parties []string) []model.Reason {
	var out []model.Reason
	for _, e := range x.Excluded {
		var msg string
		switch e.Reason {
		case ReasonLocationNotParty:
			msg = fmt.Sprintf("the data is located in %s, which is not a party (%s) and has not authorized: nothing may be disclosed without %s's authorization", e.State, strings.Join(parties, ", "), e.State)
		default:
			msg = fmt.Sprintf("%d subjects of %s excluded: %s is not a party (%s) and has not authorized", e.Subjects, e.State, e.State, strings.Join(parties, ", "))
		}
		out = append(out, model.Reason{Rule: "mla-third-state-excluded", Pack: ExclusionPack, Effect: model.EffectObligate, Message: msg, Citation: ExclusionCitation})
	}
	return out
}

// Requirements returns, when only third-state data would be disclosed, one
// requirement per state the request is pending on.
func (x Exclusion) Requirements() []model.Requirement {
	if !x.OnlyThirdState {
		return nil
	}
	out := make([]model.Requirement, 0, len(x.PendingOn))
	for _, s := range x.PendingOn {
		out = append(out, model.Requirement{AuthorizationFrom: s, Rule: "mla-third-state-only", Pack: ExclusionPack})
	}
	return out
}
