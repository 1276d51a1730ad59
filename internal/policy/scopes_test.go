package policy

import (
	"errors"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/registry"
)

// scopesPack reads one counter scope per rule.
const scopesPack = `name: scopes
version: "1"
rules:
  - id: by-state
    effect: deny
    when: 'cumulative("12m", "FR", "personal") > 100'
    message: m
    citation: c
  - id: by-pair
    effect: deny
    when: 'cumulativeByPair("12m", "FR", "personal") > 100'
    message: m
    citation: c
  - id: by-exporter
    effect: deny
    when: 'cumulativeByExporter("ytd", "*", ["personal.health", "personal", "personal"]) > 100'
    message: m
    citation: c
  - id: devices-by-pair
    effect: deny
    when: 'cumulativeDevicesByPair("12m", "personal.geolocation") > 100'
    message: m
    citation: c
  - id: people-by-state
    effect: deny
    when: 'cumulativePeople("12m", "DE") > 100'
    message: m
    citation: c
`

// scopeSource answers 60 subjects and devices for every sum of one scope
// and nothing for the others, noting each sum asked, or fails.
type scopeSource struct {
	scope model.CounterScope
	asked []string
	err   error
}

func (s *scopeSource) Sum(scope model.CounterScope, window, subject, prefix string) (model.Count, error) {
	s.asked = append(s.asked, string(scope)+" "+window+" "+subject+" "+prefix)
	if s.err != nil {
		return model.Count{}, s.err
	}
	if scope != s.scope {
		return model.Count{}, nil
	}
	return model.Count{Subjects: 60, Devices: 60}, nil
}

// TestCounterScopes: each cumulative function reads its own scope, sums
// each counter of a prefix list once, adds the request's own counts, and
// a failing read fails the rule closed.
func TestCounterScopes(t *testing.T) {
	reg, err := registry.Load()
	if err != nil {
		t.Fatal(err)
	}
	packs, err := Load(fstest.MapFS{"scopes.yaml": {Data: []byte(scopesPack)}}, "scopes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := Compile(packs, reg)
	if err != nil {
		t.Fatal(err)
	}
	req := func(subjects int64, cats ...string) *model.Request {
		return &model.Request{
			Action:    model.ActionTransfer,
			Requester: model.Principal{ID: "acme", Kind: model.KindCompany, Jurisdiction: "US"},
			Data:      model.Data{Location: "FR", Categories: cats, Subjects: map[string]int64{"FR": subjects, "DE": subjects}, Devices: subjects},
			Time:      time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		}
	}
	cases := []struct {
		name  string
		scope model.CounterScope
		req   *model.Request
		fired []string
	}{
		{"history of the acting state alone", model.ScopeState, req(0, "personal.contact"), nil},
		{"acting state, with the request's own", model.ScopeState, req(50, "personal.contact"), []string{"by-state", "people-by-state"}},
		{"pair, with the request's own", model.ScopePair, req(50, "personal.geolocation.precise"), []string{"by-pair", "devices-by-pair"}},
		{"pair, devices of another category do not count", model.ScopePair, req(50, "personal.contact"), []string{"by-pair"}},
		{"exporter: personal.health under personal is summed once", model.ScopeExporter, req(0, "personal.contact"), nil},
		{"exporter, with the request's own (60 + 21 + 21)", model.ScopeExporter, req(21, "personal.contact"), []string{"by-exporter"}},
		{"exporter: the request's people of every state, once (60 + 20 + 20 is not over 100)", model.ScopeExporter, req(20, "personal.health"), nil},
	}
	for _, c := range cases {
		src := &scopeSource{scope: c.scope}
		dec := eng.Evaluate(&Input{Request: c.req, History: &model.History{Source: src}}, Options{Packs: []string{"scopes"}})
		var fired []string
		for _, r := range dec.Reasons {
			fired = append(fired, r.Rule)
		}
		slices.Sort(fired)
		want := slices.Clone(c.fired)
		slices.Sort(want)
		if !slices.Equal(fired, want) {
			t.Errorf("%s: fired %v, want %v (sums asked: %v)", c.name, fired, want, src.asked)
		}
		for _, a := range src.asked {
			if a == "exporter ytd * personal.health" {
				t.Errorf("%s: asked %q, which personal already covers", c.name, a)
			}
		}
	}
	src := &scopeSource{err: errors.New("database gone")}
	dec := eng.Evaluate(&Input{Request: req(0, "personal.contact"), History: &model.History{Source: src}}, Options{Packs: []string{"scopes"}})
	if dec.Outcome != model.Deny || len(dec.Reasons) != 5 {
		t.Errorf("a failing counter read: %s with %d reasons, want deny by every rule (failing closed)", dec.Outcome, len(dec.Reasons))
	}
}
