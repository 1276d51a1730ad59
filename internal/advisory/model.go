package advisory

import (
	"fmt"
	"sort"
	"time"

	"golang.org/x/mod/semver"
)

// Advisory formats.
const (
	FormatOSV  = "osv"
	FormatCSAF = "csaf"
)

// Range types, as OSV names them.
const (
	RangeSemver    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// Remedy categories, as CSAF names them.
const (
	RemedyVendorFix    = "vendor_fix"
	RemedyWorkaround   = "workaround"
	RemedyMitigation   = "mitigation"
	RemedyNoneAvail    = "none_available"
	RemedyNoFixPlanned = "no_fix_planned"
)

// Advisory is what Accord keeps of an OSV or CSAF advisory to match and
// lint it: the affected packages with their version ranges, the remedies,
// the severity and the dates the vendor states.
type Advisory struct {
	// Format is osv or csaf: what the vendor published.
	Format string
	// ID is the advisory's id (OSV id, CSAF /document/tracking/id).
	ID string
	// Title is the one-line summary.
	Title string
	// Published and Modified are the vendor's stated dates.
	Published, Modified time.Time
	// Discovered is the vendor's stated discovery date (zero if not given).
	Discovered time.Time
	// Score is the highest CVSS v3 base score given (0 if none).
	Score float64
	// Exploited is true when the advisory says the vulnerability is
	// exploited (CSAF threats of category exploit_status).
	Exploited bool
	// Aliases are other ids of the same vulnerability (CVE ids).
	Aliases []string
	// Packages are the affected packages.
	Packages []Package
	// Fixed are the products a CSAF advisory lists as fixed (key, version).
	Fixed []Package
	// Remedies are the remedies offered.
	Remedies []Remedy
}

// Package is one affected package: its key (purl without version) and the
// versions affected.
type Package struct {
	// ID names it in the advisory: a CSAF product_id, or "affected/N".
	ID string
	// PURL is the purl as given; Key is pkg:type/namespace/name.
	PURL, Key string
	// Ecosystem is the OSV ecosystem ("" for a CSAF product).
	Ecosystem string
	// Ranges are the affected ranges.
	Ranges []Range
	// Versions are affected versions, exactly.
	Versions []string
}

// Range is an OSV range: a type and its events.
type Range struct {
	Type   string
	Events []Event
	// ord is Events ordered, their versions in x/mod/semver's canonical
	// form, made once by prepare (nil: not prepared, or not orderable).
	ord []ordEvent
}

// ordEvent is one event of an ordered range: kind i(ntroduced), f(ixed)
// or l(ast affected), and its canonical version ("" for introduced 0).
type ordEvent struct {
	kind byte
	v    string
}

// prepare orders r's events once, for Affects; it leaves ord nil when a
// version is not SemVer.
func (r *Range) prepare() {
	evs, ok := sortEvents(r.Events)
	if !ok || r.Type == RangeGit {
		return
	}
	ord := make([]ordEvent, 0, len(evs))
	for _, e := range evs {
		switch {
		case e.Introduced == "0":
			ord = append(ord, ordEvent{'i', ""})
		case e.Introduced != "":
			ord = append(ord, ordEvent{'i', canonSemver(e.Introduced)})
		case e.Fixed != "":
			ord = append(ord, ordEvent{'f', canonSemver(e.Fixed)})
		case e.LastAffected != "":
			ord = append(ord, ordEvent{'l', canonSemver(e.LastAffected)})
		}
	}
	r.ord = ord
}

// prepare readies every range of a for matching.
func (a *Advisory) prepare() {
	for i := range a.Packages {
		for j := range a.Packages[i].Ranges {
			a.Packages[i].Ranges[j].prepare()
		}
	}
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced, Fixed, LastAffected, Limit string
}

// Remedy is one remedy offered, for the packages it names.
type Remedy struct {
	// Category is vendor_fix, workaround, mitigation, none_available or
	// no_fix_planned.
	Category string
	// Packages are the Package.IDs it applies to.
	Packages []string
	// FixedIn is the version a vendor_fix moves to, when known.
	FixedIn string
	// Conditional is true when the remedy is granted only against
	// entitlements (terms, a contract, a subscription).
	Conditional bool
}

// Serious reports whether a is serious: CVSS 7 or more, or exploited.
func (a *Advisory) Serious() bool { return a.Score >= 7 || a.Exploited }

// Severity is the CVSS v3 qualitative rating of a.Score (critical, high,
// medium, low, none); an exploited advisory is at least high.
func (a *Advisory) Severity() string {
	s := "none"
	switch {
	case a.Score >= 9:
		s = "critical"
	case a.Score >= 7:
		s = "high"
	case a.Score >= 4:
		s = "medium"
	case a.Score > 0:
		s = "low"
	}
	if a.Exploited && (s == "none" || s == "low" || s == "medium") {
		s = "high"
	}
	return s
}

// maxFuture is how far in the future a stated date may be (clock skew).
const maxFuture = 5 * time.Minute

// CheckDates refuses dates after now (plus a little skew): an advisory
// cannot have been published, modified or discovered in the future.
func (a *Advisory) CheckDates(now time.Time, paths [3]string) error {
	for i, t := range []time.Time{a.Published, a.Modified, a.Discovered} {
		if !t.IsZero() && t.After(now.Add(maxFuture)) {
			return inputErr(paths[i], "%s is in the future (server time %s)", t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
	}
	if !a.Discovered.IsZero() && !a.Published.IsZero() && a.Discovered.After(a.Published) {
		return inputErr(paths[2], "discovery date %s is after publication %s", a.Discovered.UTC().Format(time.RFC3339), a.Published.UTC().Format(time.RFC3339))
	}
	return nil
}

// sortEvents orders events by version (SemVer), "0" first; ok is false
// when a version is not SemVer.
func sortEvents(evs []Event) ([]Event, bool) {
	out := append([]Event(nil), evs...)
	ver := func(e Event) string {
		for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
			if v != "" {
				return v
			}
		}
		return ""
	}
	for _, e := range out {
		if v := ver(e); v != "0" && canonSemver(v) == "" {
			return nil, false
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		vi, vj := ver(out[i]), ver(out[j])
		if vi == "0" || vj == "0" {
			return vi == "0" && vj != "0"
		}
		c, _ := compareSemver(vi, vj)
		return c < 0
	})
	return out, true
}

// checkRange checks that a range can be evaluated: known type, SemVer
// versions for SEMVER and orderable ECOSYSTEM ranges.
func checkRange(path, eco string, r Range) error {
	switch r.Type {
	case RangeSemver:
	case RangeEcosystem:
		if !orderable(eco) {
			return inputErr(path+"/type", "ECOSYSTEM range in ecosystem %q: %v", eco, ErrEcosystem)
		}
	case RangeGit:
		return nil
	default:
		return inputErr(path+"/type", "unknown range type %q", r.Type)
	}
	if _, ok := sortEvents(r.Events); !ok {
		return inputErr(path+"/events", "a version is not SemVer 2.0, so the range cannot be ordered")
	}
	return nil
}

// Verdict is what matching says of one version.
type Verdict int

// Verdicts.
const (
	// NotAffected: the version is outside every range and list.
	NotAffected Verdict = iota
	// Affected: the version is in a range or list.
	Affected
	// Unknown: the package matches but the version cannot be ordered (no
	// version, or not SemVer where a range needs it).
	Unknown
)

// String names the verdict.
func (v Verdict) String() string {
	return [...]string{"not-affected", "affected", "unknown"}[v]
}

// Affects says whether version of this package is affected.
func (p *Package) Affects(version string) Verdict {
	cv := canonSemver(version)
	for _, v := range p.Versions {
		if v == version {
			return Affected
		}
		if c := canonSemver(v); c != "" && cv != "" && semver.Compare(c, cv) == 0 {
			return Affected
		}
	}
	unknown := false
	for i := range p.Ranges {
		r := &p.Ranges[i]
		if r.Type == RangeGit {
			continue
		}
		if cv == "" {
			unknown = true
			continue
		}
		ord := r.ord
		if ord == nil {
			tmp := *r
			tmp.prepare()
			if ord = tmp.ord; ord == nil {
				unknown = true
				continue
			}
		}
		in := false
		for _, e := range ord {
			switch e.kind {
			case 'i':
				if e.v == "" || semver.Compare(cv, e.v) >= 0 {
					in = true
				}
			case 'f':
				if semver.Compare(cv, e.v) >= 0 {
					in = false
				}
			case 'l':
				if semver.Compare(cv, e.v) > 0 {
					in = false
				}
			}
		}
		if in {
			return Affected
		}
	}
	if unknown && len(p.Versions) == 0 {
		return Unknown
	}
	if version == "" && len(p.Versions) > 0 {
		return Unknown
	}
	return NotAffected
}

// fmtPath is fmt.Sprintf for JSON paths.
func fmtPath(format string, args ...any) string { return fmt.Sprintf(format, args...) }
