package authz

import (
	"fmt"
	"slices"
	"strings"

	"github.com/accord-dev/accord/internal/model"
)

// The checks a scope makes, as they appear in Shortfall.Check and
// Finding.Check.
const (
	CheckPurpose   = "purpose"
	CheckCategory  = "category"
	CheckDataset   = "dataset"
	CheckSelectors = "selectors"
	CheckSubjects  = "subjects"
	CheckRecords   = "records"
)

// Shortfall is one way a request goes beyond a scope.
type Shortfall struct {
	// Check is the dimension at fault (CheckPurpose, CheckSubjects, ...).
	Check string
	// Detail says what the scope covers and what the request asks, e.g.
	// "covers 100 subjects, request has 250".
	Detail string
}

// Covers reports every way req goes beyond the scope; none means the scope
// covers the request. Subjects of states outside SubjectStates are not
// counted (see Scope.SubjectStates).
func (sc *Scope) Covers(req *model.Request) []Shortfall {
	var out []Shortfall
	add := func(check, format string, args ...any) {
		out = append(out, Shortfall{Check: check, Detail: fmt.Sprintf(format, args...)})
	}
	switch {
	case req.Purpose == "":
		add(CheckPurpose, "covers purposes %s, request names no purpose", strings.Join(sc.Purposes, ", "))
	case !slices.Contains(sc.Purposes, string(req.Purpose)):
		add(CheckPurpose, "covers purposes %s, not %s", strings.Join(sc.Purposes, ", "), req.Purpose)
	}
	if len(sc.Categories) > 0 {
		for _, c := range req.Data.Categories {
			if !categoryCovered(c, sc.Categories) {
				add(CheckCategory, "covers categories %s, not %s", strings.Join(sc.Categories, ", "), c)
			}
		}
	}
	if len(sc.Datasets) > 0 {
		switch {
		case req.Data.Dataset == "":
			add(CheckDataset, "covers datasets %s, request names no dataset", strings.Join(sc.Datasets, ", "))
		case !slices.Contains(sc.Datasets, req.Data.Dataset):
			add(CheckDataset, "covers datasets %s, not %s", strings.Join(sc.Datasets, ", "), req.Data.Dataset)
		}
	}
	if sel := sc.Selectors; sel != nil {
		switch {
		case req.Selectors.Kind == "":
			add(CheckSelectors, "covers %s selectors, request does not say how it selects data", sel.Kind)
		case sel.Kind == model.SelectorSpecific && req.Selectors.Kind != model.SelectorSpecific:
			add(CheckSelectors, "covers specific selectors only, request is %s", req.Selectors.Kind)
		}
		if sel.Count > 0 && req.Selectors.Count > sel.Count {
			add(CheckSelectors, "covers %d selectors, request has %d", sel.Count, req.Selectors.Count)
		}
	}
	if sc.MaxSubjects > 0 {
		if n := sc.subjects(req); n > sc.MaxSubjects {
			add(CheckSubjects, "covers %d subjects%s, request has %d", sc.MaxSubjects, sc.ofStates(), n)
		}
	}
	if sc.MaxRecords > 0 && req.Data.Records > sc.MaxRecords {
		add(CheckRecords, "covers %d records, request has %d", sc.MaxRecords, req.Data.Records)
	}
	return out
}

// subjects counts the request's subjects the scope is about.
func (sc *Scope) subjects(req *model.Request) int64 {
	var n int64
	for state, c := range req.Data.Subjects {
		if len(sc.SubjectStates) == 0 || slices.Contains(sc.SubjectStates, state) {
			n += c
		}
	}
	return n
}

func (sc *Scope) ofStates() string {
	if len(sc.SubjectStates) == 0 {
		return ""
	}
	return " of " + strings.Join(sc.SubjectStates, ", ")
}

// categoryCovered reports whether c equals one of scope or is a dotted
// child of one ("personal" covers "personal.contact").
func categoryCovered(c string, scope []string) bool {
	for _, s := range scope {
		if c == s || strings.HasPrefix(c, s+".") {
			return true
		}
	}
	return false
}

// Within reports every way sc is wider than outer; none means sc is a
// narrowing of outer (what an MLA central authority may grant when it
// narrows a request).
func (sc *Scope) Within(outer *Scope) []Shortfall {
	var out []Shortfall
	add := func(check, format string, args ...any) {
		out = append(out, Shortfall{Check: check, Detail: fmt.Sprintf(format, args...)})
	}
	for _, p := range sc.Purposes {
		if !slices.Contains(outer.Purposes, p) {
			add(CheckPurpose, "purpose %s was not requested", p)
		}
	}
	if len(outer.Categories) > 0 {
		if len(sc.Categories) == 0 {
			add(CheckCategory, "every category, where %s were requested", strings.Join(outer.Categories, ", "))
		}
		for _, c := range sc.Categories {
			if !categoryCovered(c, outer.Categories) {
				add(CheckCategory, "category %s was not requested", c)
			}
		}
	}
	if len(outer.Datasets) > 0 {
		if len(sc.Datasets) == 0 {
			add(CheckDataset, "every dataset, where %s were requested", strings.Join(outer.Datasets, ", "))
		}
		for _, d := range sc.Datasets {
			if !slices.Contains(outer.Datasets, d) {
				add(CheckDataset, "dataset %s was not requested", d)
			}
		}
	}
	if len(outer.SubjectStates) > 0 {
		if len(sc.SubjectStates) == 0 {
			add(CheckSubjects, "subjects of every state, where %s were requested", strings.Join(outer.SubjectStates, ", "))
		}
		for _, s := range sc.SubjectStates {
			if !slices.Contains(outer.SubjectStates, s) {
				add(CheckSubjects, "subjects of %s were not requested", s)
			}
		}
	}
	if o := outer.Selectors; o != nil {
		switch {
		case sc.Selectors == nil:
			add(CheckSelectors, "unbounded selectors, where %s were requested", o.Kind)
		default:
			if o.Kind == model.SelectorSpecific && sc.Selectors.Kind != model.SelectorSpecific {
				add(CheckSelectors, "%s selectors, where specific were requested", sc.Selectors.Kind)
			}
			if o.Count > 0 && (sc.Selectors.Count == 0 || sc.Selectors.Count > o.Count) {
				add(CheckSelectors, "%s selectors, where %d were requested", countOrAny(sc.Selectors.Count), o.Count)
			}
		}
	}
	if outer.MaxSubjects > 0 && (sc.MaxSubjects == 0 || sc.MaxSubjects > outer.MaxSubjects) {
		add(CheckSubjects, "%s subjects, where %d were requested", countOrAny(sc.MaxSubjects), outer.MaxSubjects)
	}
	if outer.MaxRecords > 0 && (sc.MaxRecords == 0 || sc.MaxRecords > outer.MaxRecords) {
		add(CheckRecords, "%s records, where %d were requested", countOrAny(sc.MaxRecords), outer.MaxRecords)
	}
	return out
}

func countOrAny(n int64) string {
	if n == 0 {
		return "any number of"
	}
	return fmt.Sprint(n)
}
