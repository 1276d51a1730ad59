package advisory

import (
	"fmt"
	"slices"
)

// CitationGDSI8 is the source of the remedy lint's rule, as a notice and
// a report cite it.
const CitationGDSI8 = "GDSI commitment 8: letter of 18 September 2020 to the UN Secretary-General, annex, paragraph 8 (« forcer les utilisateurs à mettre à niveau leurs systèmes et dispositifs »)"

// Lint rule ids.
const (
	// RuleForcedUpgrade: a serious advisory whose only remedy for an
	// affected version line is an upgrade to another major version.
	RuleForcedUpgrade = "gdsi8-forced-upgrade"
	// RuleConditionalFix: a fix offered only against entitlements (terms,
	// a contract, a subscription) and no unconditional remedy.
	RuleConditionalFix = "gdsi8-conditional-fix"
	// RuleNoRemedy: a serious advisory that offers no remedy at all for an
	// affected version line (« proposer des solutions »).
	RuleNoRemedy = "gdsi8-no-remedy"
)

// Finding is one lint flag: a rule, the package and version line it is
// about, and why.
type Finding struct {
	Rule    string `json:"rule"`
	Package string `json:"package"`
	Line    string `json:"line,omitempty"`
	Detail  string `json:"detail"`
	// Citation is CitationGDSI8.
	Citation string `json:"citation"`
}

// Lint checks that a serious advisory (Serious) offers, for each affected
// version line (major version), a remedy that does not move the user to a
// new major version: a workaround, a mitigation, or a vendor_fix on the
// same line, unconditionally. Advisories that are not serious pass.
//
// A version line is the major version of an affected range's introduced
// event (of its fixed or last_affected event when introduced is "0"), or
// of an affected version. A vendor_fix is on the same line when its fixed
// version (OSV) — or a product a CSAF advisory lists as fixed, with the
// same package key — has the same major version. The major version is the
// SemVer major, or, outside SemVer, the epoch and first number of the
// version (Debian "1:2.4-1" is line v1:2, PyPI "2!3.0" line v2!3; see
// versionLine). A line without a leading number is judged on workarounds
// and mitigations only.
func Lint(a *Advisory) []Finding {
	if !a.Serious() {
		return nil
	}
	var out []Finding
	for _, p := range a.Packages {
		lines := affectedLines(p)
		var soft, fixes, conditional bool
		var fixLines []string
		for _, r := range a.Remedies {
			if !slices.Contains(r.Packages, p.ID) {
				continue
			}
			switch r.Category {
			case RemedyWorkaround, RemedyMitigation:
				if r.Conditional {
					conditional = true
				} else {
					soft = true
				}
			case RemedyVendorFix:
				if r.Conditional {
					conditional = true
					continue
				}
				fixes = true
				if r.FixedIn != "" {
					fixLines = append(fixLines, versionLine(r.FixedIn))
				}
			}
		}
		if soft {
			continue
		}
		if a.Format == FormatCSAF && fixes {
			for _, f := range a.Fixed {
				if f.Key != "" && f.Key == p.Key {
					for _, v := range f.Versions {
						fixLines = append(fixLines, versionLine(v))
					}
				}
			}
		}
		if len(lines) == 0 {
			lines = []string{""}
		}
		for _, line := range lines {
			switch {
			case fixes && line != "" && slices.Contains(fixLines, line):
				continue
			case fixes:
				out = append(out, Finding{Rule: RuleForcedUpgrade, Package: p.ID, Line: line, Citation: CitationGDSI8,
					Detail: fmt.Sprintf("the only remedy for line %s is a vendor_fix on another major version (fixed lines: %v), with no workaround or mitigation", orAny(line), fixLines)})
			case conditional:
				out = append(out, Finding{Rule: RuleConditionalFix, Package: p.ID, Line: line, Citation: CitationGDSI8,
					Detail: "every remedy is conditional on entitlements (terms, contract or subscription)"})
			default:
				out = append(out, Finding{Rule: RuleNoRemedy, Package: p.ID, Line: line, Citation: CitationGDSI8,
					Detail: "no remedy is offered for a serious vulnerability"})
			}
		}
	}
	return out
}

func orAny(line string) string {
	if line == "" {
		return "(no major version)"
	}
	return line
}

// affectedLines lists the major lines (versionLine) a package's ranges
// and versions affect.
func affectedLines(p Package) []string {
	var out []string
	add := func(v string) {
		if m := versionLine(v); m != "" && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	for _, r := range p.Ranges {
		sch, ok := r.scheme()
		if !ok {
			continue
		}
		evs, ok := sortEvents(sch, r.Events)
		if !ok {
			continue
		}
		for i, e := range evs {
			if e.kind != 'i' {
				continue
			}
			if !e.zero {
				add(e.s)
				continue
			}
			if i+1 < len(evs) && evs[i+1].kind != 'i' {
				add(evs[i+1].s)
			}
		}
	}
	for _, v := range p.Versions {
		add(v)
	}
	return out
}

// Rules returns the distinct rule ids of findings, sorted.
func Rules(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if !slices.Contains(out, f.Rule) {
			out = append(out, f.Rule)
		}
	}
	slices.Sort(out)
	return out
}
