package advisory

import (
	"fmt"
	"sort"
	"time"

	"golang.org/x/mod/semver"

	"github.com/accord-dev/accord/internal/locale"
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
	// Ecosystem is, for an ECOSYSTEM range, the OSV ecosystem whose
	// ordering it uses (the package's; for a CSAF vers range, its scheme's).
	Ecosystem string `json:",omitempty"`
	// ord is Events ordered and parsed by sch, made once by prepare (nil:
	// not prepared, or not orderable).
	ord []ordEvent
	sch scheme
}

// ordEvent is one event of an ordered range: kind i(ntroduced), f(ixed)
// or l(ast affected), and its version (zero for introduced "0").
type ordEvent struct {
	kind byte
	zero bool
	s    string
	v    parsedVersion
}

// scheme returns the ordering r uses; ok is false for a GIT range, an
// unknown type, or an ECOSYSTEM range of an ecosystem no library orders.
func (r *Range) scheme() (scheme, bool) {
	switch r.Type {
	case RangeSemver:
		return semverScheme, true
	case RangeEcosystem:
		return schemeOf(r.Ecosystem)
	}
	return scheme{}, false
}

// prepare orders and parses r's events once, for Affects; it leaves ord
// nil when a version cannot be parsed in r's scheme.
func (r *Range) prepare() {
	sch, ok := r.scheme()
	if !ok {
		return
	}
	ord, ok := sortEvents(sch, r.Events)
	if !ok {
		return
	}
	r.ord, r.sch = ord, sch
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
			return inputErr(paths[i], locale.Errorf("%s is in the future (server time %s)", t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
		}
	}
	if !a.Discovered.IsZero() && !a.Published.IsZero() && a.Discovered.After(a.Published) {
		return inputErr(paths[2], locale.Errorf("discovery date %s is after publication %s", a.Discovered.UTC().Format(time.RFC3339), a.Published.UTC().Format(time.RFC3339)))
	}
	return nil
}

// eventVersion is the one version an event carries.
func eventVersion(e Event) string {
	for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
		if v != "" {
			return v
		}
	}
	return ""
}

// sortEvents parses events in scheme sch and orders them by version,
// introduced "0" first; limit events are dropped (they bound GIT ranges).
// ok is false when a version is not a version of sch.
func sortEvents(sch scheme, evs []Event) ([]ordEvent, bool) {
	out := make([]ordEvent, 0, len(evs))
	for _, e := range evs {
		var o ordEvent
		switch {
		case e.Introduced == "0":
			o = ordEvent{kind: 'i', zero: true}
		case e.Introduced != "":
			o.kind = 'i'
		case e.Fixed != "":
			o.kind = 'f'
		case e.LastAffected != "":
			o.kind = 'l'
		case e.Limit != "":
			if _, ok := sch.parse(e.Limit); !ok {
				return nil, false
			}
			continue
		default:
			continue
		}
		if !o.zero {
			v, ok := sch.parse(eventVersion(e))
			if !ok {
				return nil, false
			}
			o.s, o.v = eventVersion(e), v
		}
		out = append(out, o)
	}
	bad := false
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].zero || out[j].zero {
			return out[i].zero && !out[j].zero
		}
		c, ok := sch.compare(out[i].v, out[j].v)
		if !ok {
			bad = true
		}
		return c < 0
	})
	if bad {
		return nil, false
	}
	return out, true
}

// checkRange checks that a range can be evaluated: a known type, an
// ECOSYSTEM range of an ecosystem a library orders, and versions that
// parse in its scheme.
func checkRange(path string, r Range) error {
	switch r.Type {
	case RangeSemver, RangeEcosystem:
	case RangeGit:
		return nil
	default:
		return inputErr(path+"/type", locale.Errorf("unknown range type %q", r.Type))
	}
	sch, ok := r.scheme()
	if !ok {
		return inputErr(path+"/type", locale.Errorf("ECOSYSTEM range in ecosystem %q: %v", r.Ecosystem, ErrEcosystem))
	}
	for i, e := range r.Events {
		if v := eventVersion(e); v != "0" || e.Introduced != "0" {
			if _, ok := sch.parse(v); !ok {
				at := fmtPath("%s/events/%d", path, i)
				if sch.semver {
					return inputErr(at, locale.Errorf("%q is not SemVer 2.0, so the range cannot be ordered", v))
				}
				return inputErr(at, locale.Errorf("%q is not a %s version, so the range cannot be ordered", v, sch.eco))
			}
		}
	}
	if _, ok := sortEvents(sch, r.Events); !ok {
		return inputErr(path+"/events", locale.Errorf("the versions cannot be ordered"))
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

// Affects says whether version of this package is affected. Exact
// versions match as strings, or as equal versions in the package's
// ecosystem (or SemVer); ranges are evaluated in their own scheme.
func (p *Package) Affects(version string) Verdict {
	// The component's version, parsed once per scheme met.
	var (
		last   scheme
		cv     = version
		parsed bool
		okLast bool
		vLast  = versionZero
	)
	parseIn := func(s scheme) (parsedVersion, bool) {
		if parsed && s == last {
			return vLast, okLast
		}
		vLast, okLast = s.parse(cv)
		last, parsed = s, true
		return vLast, okLast
	}
	if len(p.Versions) > 0 {
		sv, svOK := parseIn(semverScheme)
		eco, ecoOK := schemeOf(p.Ecosystem)
		for _, v := range p.Versions {
			if v == version {
				return Affected
			}
			if svOK {
				if c, ok := semverScheme.parse(v); ok && semver.Compare(c.sv, sv.sv) == 0 {
					return Affected
				}
			}
			if ecoOK && !eco.semver && version != "" {
				if c, ok := eco.compareIn(v, version); ok && c == 0 {
					return Affected
				}
			}
		}
	}
	unknown := false
	for i := range p.Ranges {
		r := &p.Ranges[i]
		if r.Type == RangeGit {
			continue
		}
		ord, sch := r.ord, r.sch
		if ord == nil {
			tmp := *r
			tmp.prepare()
			if ord, sch = tmp.ord, tmp.sch; ord == nil {
				unknown = true
				continue
			}
		}
		v, ok := parseIn(sch)
		if !ok {
			unknown = true
			continue
		}
		in := false
		for _, e := range ord {
			if e.zero {
				in = true
				continue
			}
			c, ok := sch.compare(v, e.v)
			if !ok {
				unknown = true
				in = false
				break
			}
			switch e.kind {
			case 'i':
				if c >= 0 {
					in = true
				}
			case 'f':
				if c >= 0 {
					in = false
				}
			case 'l':
				if c > 0 {
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

// versionZero is the zero parsed version.
var versionZero parsedVersion

// fmtPath is fmt.Sprintf for JSON paths.
func fmtPath(format string, args ...any) string { return fmt.Sprintf(format, args...) }
