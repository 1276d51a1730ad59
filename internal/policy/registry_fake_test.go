package policy

import (
	"slices"
	"time"
)

// fakeRegistry is a small registry for tests: a few states, two blocs and
// two agreements with fixed dates.
type fakeRegistry struct{}

var fakeBlocs = map[string][]string{
	"EU":   {"BE", "DE", "FR", "IE", "IT", "NL"},
	"OECD": {"DE", "FR", "JP", "US", "GB"},
}

type fakeAgreement struct {
	parties  []string
	purposes []string
	from, to time.Time
}

var fakeAgreements = map[string]fakeAgreement{
	"de-fr-mlat":  {parties: []string{"DE", "FR"}, purposes: []string{"law-enforcement"}, from: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)},
	"us-gb-cloud": {parties: []string{"GB", "US"}, purposes: []string{"law-enforcement"}, from: time.Date(2022, 10, 3, 0, 0, 0, 0, time.UTC), to: time.Date(2027, 10, 3, 0, 0, 0, 0, time.UTC)},
}

func (fakeRegistry) KnownJurisdiction(code string) bool {
	return len(code) == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z' && code != "XX"
}

func (fakeRegistry) InBloc(state, bloc string) bool { return slices.Contains(fakeBlocs[bloc], state) }

func (fakeRegistry) AgreementCovers(id, a, b, purpose string, at time.Time) bool {
	ag, ok := fakeAgreements[id]
	if !ok || at.Before(ag.from) || (!ag.to.IsZero() && !at.Before(ag.to)) {
		return false
	}
	return slices.Contains(ag.parties, a) && slices.Contains(ag.parties, b) && slices.Contains(ag.purposes, purpose)
}

func (fakeRegistry) AgreementParties(id string) []string { return fakeAgreements[id].parties }

func (r fakeRegistry) AgreementAuthorizes(id, a, b, purpose string, categories, measures []string, at time.Time) bool {
	return a != b && r.AgreementCovers(id, a, b, purpose, at)
}
