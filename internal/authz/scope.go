package authz

import (
	"slices"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/internal/locale"
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
	// "covers 100 subjects, request has 250", in English.
	Detail string
	// detail is Detail as a catalog message (see Text).
	detail error
}

// Text returns Detail in p's language.
func (sf Shortfall) Text(p *locale.Printer) string {
	if sf.detail == nil {
		return sf.Detail
	}
	return locale.Text(p, sf.detail)
}

// shortfall returns a Shortfall of check saying detail.
func shortfall(check string, detail error) Shortfall {
	return Shortfall{Check: check, Detail: detail.Error(), detail: detail}
}

// Covers reports every way req goes beyond the scope; none means the scope
// covers the request. Subjects of states outside SubjectStates are not
// counted (see Scope.SubjectStates).
func (sc *Scope) Covers(req *model.Request) []Shortfall {
	var out []Shortfall
	add := func(check string, detail error) { out = append(out, shortfall(check, detail)) }
	switch {
	case req.Purpose == "":
		add(CheckPurpose, locale.Errorf("covers purposes %s, request names no purpose", strings.Join(sc.Purposes, ", ")))
	case !slices.Contains(sc.Purposes, string(req.Purpose)):
		add(CheckPurpose, locale.Errorf("covers purposes %s, not %s", strings.Join(sc.Purposes, ", "), req.Purpose))
	}
	if len(sc.Categories) > 0 {
		for _, c := range req.Data.Categories {
			if !categoryCovered(c, sc.Categories) {
				add(CheckCategory, locale.Errorf("covers categories %s, not %s", strings.Join(sc.Categories, ", "), c))
			}
		}
	}
	if len(sc.Datasets) > 0 {
		switch {
		case req.Data.Dataset == "":
			add(CheckDataset, locale.Errorf("covers datasets %s, request names no dataset", strings.Join(sc.Datasets, ", ")))
		case !slices.Contains(sc.Datasets, req.Data.Dataset):
			add(CheckDataset, locale.Errorf("covers datasets %s, not %s", strings.Join(sc.Datasets, ", "), req.Data.Dataset))
		}
	}
	if sel := sc.Selectors; sel != nil {
		switch {
		case req.Selectors.Kind == "":
			add(CheckSelectors, locale.Errorf("covers %s selectors, request does not say how it selects data", sel.Kind))
		case sel.Kind == model.SelectorSpecific && req.Selectors.Kind != model.SelectorSpecific:
			add(CheckSelectors, locale.Errorf("covers specific selectors only, request is %s", req.Selectors.Kind))
		}
		if sel.Count > 0 && req.Selectors.Count > sel.Count {
			add(CheckSelectors, locale.Errorf("covers %s selectors, request has %s", itoa(sel.Count), itoa(req.Selectors.Count)))
		}
	}
	if sc.MaxSubjects > 0 {
		if n := sc.subjects(req); n > sc.MaxSubjects {
			if len(sc.SubjectStates) == 0 {
				add(CheckSubjects, locale.Errorf("covers %s subjects, request has %s", itoa(sc.MaxSubjects), itoa(n)))
			} else {
				add(CheckSubjects, locale.Errorf("covers %s subjects of %s, request has %s", itoa(sc.MaxSubjects), strings.Join(sc.SubjectStates, ", "), itoa(n)))
			}
		}
	}
	if sc.MaxRecords > 0 && req.Data.Records > sc.MaxRecords {
		add(CheckRecords, locale.Errorf("covers %s records, request has %s", itoa(sc.MaxRecords), itoa(req.Data.Records)))
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
	add := func(check string, detail error) { out = append(out, shortfall(check, detail)) }
	for _, p := range sc.Purposes {
		if !slices.Contains(outer.Purposes, p) {
			add(CheckPurpose, locale.Errorf("purpose %s was not requested", p))
		}
	}
	if len(outer.Categories) > 0 {
		if len(sc.Categories) == 0 {
			add(CheckCategory, locale.Errorf("every category, where %s were requested", strings.Join(outer.Categories, ", ")))
		}
		for _, c := range sc.Categories {
			if !categoryCovered(c, outer.Categories) {
				add(CheckCategory, locale.Errorf("category %s was not requested", c))
			}
		}
	}
	if len(outer.Datasets) > 0 {
		if len(sc.Datasets) == 0 {
			add(CheckDataset, locale.Errorf("every dataset, where %s were requested", strings.Join(outer.Datasets, ", ")))
		}
		for _, d := range sc.Datasets {
			if !slices.Contains(outer.Datasets, d) {
				add(CheckDataset, locale.Errorf("dataset %s was not requested", d))
			}
		}
	}
	if len(outer.SubjectStates) > 0 {
		if len(sc.SubjectStates) == 0 {
			add(CheckSubjects, locale.Errorf("subjects of every state, where %s were requested", strings.Join(outer.SubjectStates, ", ")))
		}
		for _, s := range sc.SubjectStates {
			if !slices.Contains(outer.SubjectStates, s) {
				add(CheckSubjects, locale.Errorf("subjects of %s were not requested", s))
			}
		}
	}
	if o := outer.Selectors; o != nil {
		switch {
		case sc.Selectors == nil:
			add(CheckSelectors, locale.Errorf("unbounded selectors, where %s were requested", o.Kind))
		default:
			if o.Kind == model.SelectorSpecific && sc.Selectors.Kind != model.SelectorSpecific {
				add(CheckSelectors, locale.Errorf("%s selectors, where specific were requested", sc.Selectors.Kind))
			}
			if o.Count > 0 && (sc.Selectors.Count == 0 || sc.Selectors.Count > o.Count) {
				if sc.Selectors.Count == 0 {
					add(CheckSelectors, locale.Errorf("any number of selectors, where %s were requested", itoa(o.Count)))
				} else {
					add(CheckSelectors, locale.Errorf("%s selectors, where %s were requested", itoa(sc.Selectors.Count), itoa(o.Count)))
				}
			}
		}
	}
	if outer.MaxSubjects > 0 && (sc.MaxSubjects == 0 || sc.MaxSubjects > outer.MaxSubjects) {
		if sc.MaxSubjects == 0 {
			add(CheckSubjects, locale.Errorf("any number of subjects, where %s were requested", itoa(outer.MaxSubjects)))
		} else {
			add(CheckSubjects, locale.Errorf("%s subjects, where %s were requested", itoa(sc.MaxSubjects), itoa(outer.MaxSubjects)))
		}
	}
	if outer.MaxRecords > 0 && (sc.MaxRecords == 0 || sc.MaxRecords > outer.MaxRecords) {
		if sc.MaxRecords == 0 {
			add(CheckRecords, locale.Errorf("any number of records, where %s were requested", itoa(outer.MaxRecords)))
		} else {
			add(CheckRecords, locale.Errorf("%s records, where %s were requested", itoa(sc.MaxRecords), itoa(outer.MaxRecords)))
		}
	}
	return out
}

// itoa writes a count as text: the catalog's printer would group its
// digits, and the English text keeps them as the request wrote them.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
