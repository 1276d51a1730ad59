package policy

import (
	"slices"
	"testing"

	"github.com/accord-dev/accord/internal/model"
)

// TestFactFunctions checks the helpers packs use to read facts rather than
// labels (issue 19): control by ownership at its boundary, the states that
// can compel a party, the reader's state standing in for a missing
// destination, and subject counts making data personal.
func TestFactFunctions(t *testing.T) {
	company := func(j, hq string, owners map[string]float64) model.Principal {
		return model.Principal{ID: "c", Kind: model.KindCompany, Jurisdiction: j, Headquarters: hq, Owners: owners}
	}
	state := model.Principal{ID: "s", Kind: model.KindStateAuthority, Jurisdiction: "US"}
	for _, tc := range []struct {
		name string
		p    *model.Principal
		want string
	}{
		{"nil", nil, ""},
		{"state authority", &state, "US"},
		{"wholly owned", ptr(company("SG", "", map[string]float64{"CN": 100})), "CN"},
		{"just over half", ptr(company("SG", "", map[string]float64{"CN": 50.01, "US": 49.99})), "CN"},
		{"exactly half", ptr(company("SG", "", map[string]float64{"CN": 50, "US": 50})), ""},
		{"minority", ptr(company("SG", "", map[string]float64{"CN": 30})), ""},
		{"no owners", ptr(company("SG", "US", nil)), ""},
	} {
		if got := controlledByOf(tc.p); got != tc.want {
			t.Errorf("controlledBy(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}

	if got := subjectToOf(ptr(company("FR", "US", map[string]float64{"CN": 60}))); !slices.Equal(got, []string{"CN", "FR", "US"}) {
		t.Errorf("subjectTo = %v, want [CN FR US]", got)
	}
	if got := subjectToOf(ptr(company("FR", "FR", nil))); !slices.Equal(got, []string{"FR"}) {
		t.Errorf("subjectTo (headquarters at home) = %v, want [FR]", got)
	}
	if got := subjectToOf(nil); got != nil {
		t.Errorf("subjectTo(nil) = %v, want nil", got)
	}

	owned := company("SG", "", map[string]float64{"CN": 100})
	for _, tc := range []struct {
		name           string
		r              model.Request
		behind, destOf string
	}{
		{"state-owned requester, no destination", model.Request{Requester: owned}, "CN", "CN"},
		{"destination given wins", model.Request{Requester: owned, Destination: "FR"}, "CN", "FR"},
		{"plain company reads in place", model.Request{Requester: company("DE", "US", nil)}, "", "DE"},
		{"on_behalf_of a state authority", model.Request{Requester: company("DE", "", nil), OnBehalfOf: &state}, "US", "US"},
		{"on_behalf_of a state-owned company", model.Request{Requester: company("DE", "", nil), OnBehalfOf: &owned}, "CN", "CN"},
		{"state authority beats its own owners field", model.Request{Requester: model.Principal{Kind: model.KindStateAuthority, Jurisdiction: "FR", Owners: map[string]float64{"CN": 100}}}, "FR", "FR"},
	} {
		if got := stateBehindOf(&tc.r); got != tc.behind {
			t.Errorf("%s: stateBehind = %q, want %q", tc.name, got, tc.behind)
		}
		if got := destinationOfReq(&tc.r); got != tc.destOf {
			t.Errorf("%s: destinationOf = %q, want %q", tc.name, got, tc.destOf)
		}
	}

	for _, tc := range []struct {
		name string
		d    model.Data
		want bool
	}{
		{"personal category", model.Data{Categories: []string{"personal.contact"}}, true},
		{"technical label with 500,000 subjects", model.Data{Categories: []string{"technical.logs"}, Subjects: map[string]int64{"FR": 500000}}, true},
		{"one subject", model.Data{Subjects: map[string]int64{"FR": 0, "DE": 1}}, true},
		{"zero counts", model.Data{Categories: []string{"technical"}, Subjects: map[string]int64{"FR": 0}}, false},
		{"nothing", model.Data{}, false},
	} {
		if got := personalDataOf(&model.Request{Data: tc.d}); got != tc.want {
			t.Errorf("personalData(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
