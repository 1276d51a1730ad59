package advisory

import (
	"errors"
	"regexp"
	"strings"

	"github.com/google/osv-scalibr/semantic"
	"golang.org/x/mod/semver"

	"github.com/accord-dev/accord/internal/locale"
)

// ErrEcosystem means an advisory asks for version ordering in an ecosystem
// this package cannot compare with a maintained library.
var ErrEcosystem = locale.Errorf("versions of this ecosystem cannot be compared (ordered comparison is supported for SemVer ranges and the ECOSYSTEM ranges of the ecosystems in OrderedEcosystems)")

// SemverEcosystems are the OSV ecosystems whose versions are SemVer 2.0
// and are ordered with golang.org/x/mod/semver, strictly: a version that
// is not SemVer cannot be ordered (the component is reported unknown).
var SemverEcosystems = []string{"Go", "npm", "crates.io", "Hex"}

// OrderedEcosystems are the OSV ecosystems whose ECOSYSTEM ranges this
// package orders: SemverEcosystems with golang.org/x/mod/semver, the others
// with the semantic package of github.com/google/osv-scalibr, which
// implements each ecosystem's own rules (PEP 440 for PyPI, Maven's
// ComparableVersion, dpkg for Debian and Ubuntu, apk for Alpine, Gem::Version
// for RubyGems, NuGet's SemVer 2.0 with four parts, Pub, Packagist, RPM for
// Red Hat and its kin, ...). An ecosystem name may carry a release suffix
// ("Debian:12", "Alpine:v3.20"): the ordering is the base ecosystem's.
// Every ecosystem the semantic package supports is ordered; this list
// names those the tests exercise.
var OrderedEcosystems = []string{"Go", "npm", "crates.io", "Hex", "PyPI", "Maven", "Debian", "Ubuntu", "Alpine", "RubyGems", "NuGet", "Packagist", "Pub", "Red Hat"}

// scheme orders the versions of one ecosystem.
type scheme struct {
	// eco is the OSV ecosystem ("" for SemVer 2.0 itself).
	eco string
	// semver: ordered by golang.org/x/mod/semver, else by semantic.
	semver bool
}

// semverScheme orders SEMVER ranges (and SemverEcosystems).
var semverScheme = scheme{semver: true}

// schemeOf returns the ordering of an OSV ecosystem's versions; ok is
// false when no maintained library orders them.
func schemeOf(eco string) (scheme, bool) {
	base, _, _ := strings.Cut(eco, ":")
	for _, e := range SemverEcosystems {
		if strings.EqualFold(e, base) {
			return scheme{eco: e, semver: true}, true
		}
	}
	if base == "" {
		return scheme{}, false
	}
	if _, err := semantic.Parse("0", base); errors.Is(err, semantic.ErrUnsupportedEcosystem) {
		return scheme{}, false
	}
	return scheme{eco: base}, true
}

// parsedVersion is a version parsed once by its scheme, for comparisons.
type parsedVersion struct {
	// sv is the x/mod/semver canonical form (semver schemes).
	sv string
	// ev is the semantic package's parse (other schemes).
	ev semantic.Version
}

// strictSyntax holds, for ecosystems where the semantic package orders
// even what is not a version (PyPI's pre-PEP 440 "legacy" versions, a
// Debian version without upstream digits), the syntax a version must have
// to be ordered here; anything else is reported unknown rather than
// guessed. PyPI: the regular expression of PEP 440, appendix B (as in
// pypa/packaging). Debian and Ubuntu: Debian Policy 5.6.12, an optional
// numeric epoch, an upstream version that starts with a digit, and the
// characters dpkg accepts.
var strictSyntax = map[string]*regexp.Regexp{
	"PyPI":   regexp.MustCompile(`(?i)^\s*v?(?:(?:[0-9]+)!)?[0-9]+(?:\.[0-9]+)*(?:[-_.]?(?:alpha|a|beta|b|preview|pre|c|rc)[-_.]?[0-9]*)?(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$`),
	"Debian": debianSyntax,
	"Ubuntu": debianSyntax,
}

// debianSyntax: a colon only after a numeric epoch, no empty upstream or
// revision.
var debianSyntax = regexp.MustCompile(`^(?:[0-9]+:[0-9](?:[A-Za-z0-9.+~:-]*[A-Za-z0-9.+~])?|[0-9](?:[A-Za-z0-9.+~-]*[A-Za-z0-9.+~])?)$`)

// MaxVersion bounds a version string that is ordered: the ecosystems'
// comparisons turn digit runs into big integers, and a megabyte of digits
// (an SBOM or an advisory is allowed several) would cost minutes per
// comparison. A longer version is not ordered: a component's is reported
// unknown, an advisory's bound is refused. Real versions are far shorter
// (a Debian backport such as 1:2.36-9+deb12u10~bpo11+1 is 25 bytes).
const MaxVersion = 256

// parse reads v in the scheme; ok is false when v is not a version of
// that ecosystem (or is empty, or longer than MaxVersion).
func (s scheme) parse(v string) (parsedVersion, bool) {
	if v == "" || len(v) > MaxVersion {
		return parsedVersion{}, false
	}
	if s.semver {
		c := canonSemver(v)
		return parsedVersion{sv: c}, c != ""
	}
	if re := strictSyntax[s.eco]; re != nil && !re.MatchString(v) {
		return parsedVersion{}, false
	}
	ev, err := semantic.Parse(v, s.eco)
	if err != nil || ev == nil {
		return parsedVersion{}, false
	}
	return parsedVersion{ev: ev}, true
}

// compare orders a and b, both parsed by s; ok is false when the library
// cannot order them.
func (s scheme) compare(a, b parsedVersion) (int, bool) {
	if s.semver {
		return semver.Compare(a.sv, b.sv), true
	}
	c, err := a.ev.Compare(b.ev)
	return c, err == nil
}

// compareIn orders two version strings in scheme s; ok is false when
// either cannot be parsed.
func (s scheme) compareIn(a, b string) (int, bool) {
	va, ok := s.parse(a)
	if !ok {
		return 0, false
	}
	vb, ok := s.parse(b)
	if !ok {
		return 0, false
	}
	return s.compare(va, vb)
}

// canonSemver turns a SemVer string into x/mod/semver's form ("v" prefix),
// or "" when it is not valid SemVer.
func canonSemver(v string) string {
	if v == "" {
		return ""
	}
	if v[0] != 'v' {
		v = "v" + v
	}
	if !semver.IsValid(v) {
		return ""
	}
	return v
}

// compareSemver orders two SemVer versions; ok is false when either is not
// valid SemVer.
func compareSemver(a, b string) (int, bool) {
	ca, cb := canonSemver(a), canonSemver(b)
	if ca == "" || cb == "" {
		return 0, false
	}
	return semver.Compare(ca, cb), true
}

// semverMajor is the major version of a SemVer string ("v2"), "" if not
// SemVer.
func semverMajor(v string) string {
	c := canonSemver(v)
	if c == "" {
		return ""
	}
	return semver.Major(c)
}

// versionLine names the release line (major version) of v, for the remedy
// lint: the SemVer major ("v2") when v is SemVer; otherwise, for a version
// of an ordered ecosystem, its epoch if any ("1:" in Debian, "1!" in PyPI)
// and its first numeric component, as "v" + that ("v1:2", "v2"); "" when
// v has no leading number.
func versionLine(v string) string {
	if m := semverMajor(v); m != "" {
		return m
	}
	rest := strings.TrimPrefix(v, "v")
	epoch := ""
	if i := strings.IndexAny(rest, ":!"); i > 0 && allDigits(rest[:i]) {
		epoch, rest = rest[:i+1], rest[i+1:]
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 {
		return ""
	}
	num := strings.TrimLeft(rest[:n], "0")
	if num == "" {
		num = "0"
	}
	if epoch == "0:" || epoch == "0!" {
		epoch = ""
	}
	return "v" + epoch + num
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
