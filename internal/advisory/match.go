package advisory

import (
	"github.com/accord-dev/accord/internal/store"
)

// Match is one affected (or possibly affected) component.
type Match struct {
	// Deployment and Component name what is affected.
	Deployment string
	Component  store.Component
	// Package is the advisory's Package.ID that matched.
	Package string
	// Verdict is Affected or Unknown.
	Verdict Verdict
}

// Index holds registered components by package key, so that an advisory
// is matched in time proportional to the components of the packages it
// names, not to all components.
type Index struct {
	byKey map[string][]store.Component
}

// NewIndex indexes comps by purl key; components without a key (CPE only)
// are not indexed.
func NewIndex(comps []store.Component) *Index {
	ix := &Index{byKey: make(map[string][]store.Component)}
	for _, c := range comps {
		ix.Add(c)
	}
	return ix
}

// Add indexes one component.
func (ix *Index) Add(c store.Component) {
	if c.Key != "" {
		ix.byKey[c.Key] = append(ix.byKey[c.Key], c)
	}
}

// Match returns the components a affects (Affected or Unknown), each
// once per (deployment, purl), in package order.
func (ix *Index) Match(a *Advisory) []Match {
	var out []Match
	seen := map[[2]string]bool{}
	for i := range a.Packages {
		p := &a.Packages[i]
		for _, c := range ix.byKey[p.Key] {
			v := p.Affects(c.Version)
			if v == NotAffected {
				continue
			}
			k := [2]string{c.Deployment, c.PURL}
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, Match{Deployment: c.Deployment, Component: c, Package: p.ID, Verdict: v})
		}
	}
	return out
}

// MatchNaive is Match by a nested loop over every component, for
// benchmarks and tests to compare with.
func MatchNaive(comps []store.Component, a *Advisory) []Match {
	var out []Match
	seen := map[[2]string]bool{}
	for i := range a.Packages {
		p := &a.Packages[i]
		for _, c := range comps {
			if c.Key == "" || c.Key != p.Key {
				continue
			}
			v := p.Affects(c.Version)
			if v == NotAffected {
				continue
			}
			k := [2]string{c.Deployment, c.PURL}
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, Match{Deployment: c.Deployment, Component: c, Package: p.ID, Verdict: v})
		}
	}
	return out
}

// Deployments returns the distinct deployments of ms, in first-seen order.
func Deployments(ms []Match) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range ms {
		if !seen[m.Deployment] {
			seen[m.Deployment] = true
			out = append(out, m.Deployment)
		}
	}
	return out
}
