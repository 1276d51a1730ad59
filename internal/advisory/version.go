package advisory

import (
	"errors"
	"strings"

	"golang.org/x/mod/semver"
)

// ErrEcosystem means an advisory asks for version ordering in an ecosystem
// this package cannot compare with a maintained library.
var ErrEcosystem = errors.New("versions of this ecosystem cannot be compared (ordered comparison is supported for SemVer ecosystems: Go, npm, crates.io, Hex, Pub, and OSV SEMVER ranges)")

// SemverEcosystems are the OSV ecosystems whose versions are SemVer 2.0
// and are ordered with golang.org/x/mod/semver.
var SemverEcosystems = []string{"Go", "npm", "crates.io", "Hex", "Pub"}

// semverTypes are the purl types of SemverEcosystems, plus generic (a
// vendor's product whose advisory gives a vers:semver range).
var semverTypes = map[string]bool{"golang": true, "npm": true, "cargo": true, "hex": true, "pub": true, "generic": true}

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

// orderable reports whether versions of ecosystem eco (OSV name) are ordered
// by this package.
func orderable(eco string) bool {
	for _, e := range SemverEcosystems {
		if strings.EqualFold(e, eco) {
			return true
		}
	}
	return false
}
