package advisory

import (
	"strings"
	"testing"
)

// TestEcosystemOrdering: each ecosystem's versions are ordered by its own
// rules (epochs, pre-releases, post-releases, Debian's ~, Alpine's
// suffixes, Maven's qualifiers), not as SemVer. Each row is lo < hi (or
// equal, with eq).
func TestEcosystemOrdering(t *testing.T) {
	for _, tc := range []struct {
		eco, lo, hi string
		eq          bool
	}{
		// PyPI (PEP 440): dev < a < b < rc < release < post; epochs win.
		{eco: "PyPI", lo: "1.0.dev1", hi: "1.0a1"},
		{eco: "PyPI", lo: "1.0a1", hi: "1.0b2"},
		{eco: "PyPI", lo: "1.0b2", hi: "1.0rc1"},
		{eco: "PyPI", lo: "1.0rc1", hi: "1.0"},
		{eco: "PyPI", lo: "1.0", hi: "1.0.post1"},
		{eco: "PyPI", lo: "2.0", hi: "1!0.5"},
		{eco: "PyPI", lo: "1.0", hi: "1.0.0", eq: true},
		{eco: "PyPI", lo: "1.9", hi: "1.10"},
		// Maven (ComparableVersion): qualifiers alpha < beta < milestone <
		// rc < snapshot < release < sp; 1.10 > 1.9.
		{eco: "Maven", lo: "1.0-alpha-1", hi: "1.0-beta"},
		{eco: "Maven", lo: "1.0-beta", hi: "1.0-rc1"},
		{eco: "Maven", lo: "1.0-rc1", hi: "1.0-SNAPSHOT"},
		{eco: "Maven", lo: "1.0-SNAPSHOT", hi: "1.0"},
		{eco: "Maven", lo: "1.0", hi: "1.0-sp1"},
		{eco: "Maven", lo: "1.0", hi: "1.0.0", eq: true},
		{eco: "Maven", lo: "2.9", hi: "2.17.1"},
		// npm (SemVer 2.0): pre-releases before the release, build ignored.
		{eco: "npm", lo: "1.0.0-alpha", hi: "1.0.0-alpha.1"},
		{eco: "npm", lo: "1.0.0-alpha.1", hi: "1.0.0-beta"},
		{eco: "npm", lo: "1.0.0-beta.11", hi: "1.0.0-rc.1"},
		{eco: "npm", lo: "1.0.0-rc.1", hi: "1.0.0"},
		{eco: "npm", lo: "1.0.0+build.7", hi: "1.0.0", eq: true},
		// Go: pseudo-versions sort before the next release.
		{eco: "Go", lo: "v0.0.0-20240101000000-abcdef123456", hi: "v0.1.0"},
		{eco: "Go", lo: "v1.2.3", hi: "v1.2.4-0.20240101000000-abcdef123456"},
		// Debian (dpkg): ~ sorts before everything, even the end; epochs win.
		{eco: "Debian", lo: "1.0~rc1", hi: "1.0"},
		{eco: "Debian", lo: "1.0~~", hi: "1.0~"},
		{eco: "Debian", lo: "2.0", hi: "1:0.9"},
		{eco: "Debian", lo: "1.0-1", hi: "1.0-1+deb12u1"},
		{eco: "Debian", lo: "2.36-9+deb12u3", hi: "2.36-9+deb12u10"},
		{eco: "Debian:12", lo: "3.0.11-1~deb12u2", hi: "3.0.11-1"},
		{eco: "Ubuntu", lo: "1.1.1f-1ubuntu2", hi: "1.1.1f-1ubuntu2.1"},
		// Alpine (apk): _rc before the release, _p after; -rN revisions.
		{eco: "Alpine", lo: "1.2.3_rc1", hi: "1.2.3"},
		{eco: "Alpine", lo: "1.2.3", hi: "1.2.3_p1"},
		{eco: "Alpine", lo: "1.2.3-r0", hi: "1.2.3-r1"},
		{eco: "Alpine:v3.20", lo: "1.9", hi: "1.10"},
		// RubyGems: a letter makes a pre-release.
		{eco: "RubyGems", lo: "1.0.0.pre", hi: "1.0.0"},
		{eco: "RubyGems", lo: "1.0.0.a", hi: "1.0.0.b"},
		{eco: "RubyGems", lo: "1.0", hi: "1.0.0", eq: true},
		// crates.io (SemVer 2.0).
		{eco: "crates.io", lo: "1.0.0-rc.1", hi: "1.0.0"},
		{eco: "crates.io", lo: "0.9.99", hi: "0.10.0"},
		// NuGet: four parts; pre-release labels compare without case.
		{eco: "NuGet", lo: "1.0.0-beta", hi: "1.0.0"},
		{eco: "NuGet", lo: "1.0.0", hi: "1.0.0.1"},
		{eco: "NuGet", lo: "1.0.0-Beta", hi: "1.0.0-beta", eq: true},
		// Packagist and Pub, one each.
		{eco: "Packagist", lo: "1.0.0-beta1", hi: "1.0.0"},
		{eco: "Pub", lo: "1.0.0-dev", hi: "1.0.0"},
	} {
		t.Run(tc.eco+"/"+tc.lo+"_"+tc.hi, func(t *testing.T) {
			sch, ok := schemeOf(tc.eco)
			if !ok {
				t.Fatalf("%s is not ordered", tc.eco)
			}
			want := -1
			if tc.eq {
				want = 0
			}
			if c, ok := sch.compareIn(tc.lo, tc.hi); !ok || c != want {
				t.Errorf("compare(%s, %s) = %d %v, want %d", tc.lo, tc.hi, c, ok, want)
			}
			if c, ok := sch.compareIn(tc.hi, tc.lo); !ok || c != -want {
				t.Errorf("compare(%s, %s) = %d %v, want %d", tc.hi, tc.lo, c, ok, -want)
			}
			if tc.eq {
				return
			}
			// The same order decides a range: [introduced lo, fixed hi).
			p := Package{Ecosystem: tc.eco, Ranges: []Range{{Type: RangeEcosystem, Ecosystem: tc.eco, Events: []Event{{Fixed: tc.hi}, {Introduced: tc.lo}}}}}
			if err := checkRange("/r", p.Ranges[0]); err != nil {
				t.Fatal(err)
			}
			p.Ranges[0].prepare()
			if got := p.Affects(tc.lo); got != Affected {
				t.Errorf("%s in [%s, %s): %v", tc.lo, tc.lo, tc.hi, got)
			}
			if got := p.Affects(tc.hi); got != NotAffected {
				t.Errorf("%s in [%s, %s): %v", tc.hi, tc.lo, tc.hi, got)
			}
		})
	}
}

// TestEcosystemRanges: ranges of non-SemVer ecosystems, from OSV and from
// CSAF vers, match by the ecosystem's order; a version the ecosystem
// cannot read is unknown, never silently unaffected.
func TestEcosystemRanges(t *testing.T) {
	eco := func(e string, evs ...Event) Package {
		p := Package{Ecosystem: e, Ranges: []Range{{Type: RangeEcosystem, Ecosystem: e, Events: evs}}}
		p.Ranges[0].prepare()
		return p
	}
	vers := func(s string) Package {
		r, err := parseVers(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		r.prepare()
		return Package{Ranges: []Range{r}}
	}
	deb := eco("Debian:12", Event{Introduced: "0"}, Event{Fixed: "1:2.4-1"})
	pypi := eco("PyPI", Event{Introduced: "1.0"}, Event{Fixed: "2.0"})
	maven := eco("Maven", Event{Introduced: "2.0-beta9"}, Event{Fixed: "2.15.0"}, Event{Introduced: "2.16.0"}, Event{LastAffected: "2.17.0"})
	for _, tc := range []struct {
		name    string
		p       Package
		version string
		want    Verdict
	}{
		{"Debian: no epoch is epoch 0, below 1:", deb, "9.9", Affected},
		{"Debian: ~rc before the fix", deb, "1:2.4~rc1-1", Affected},
		{"Debian: the fix", deb, "1:2.4-1", NotAffected},
		{"Debian: a security update after the fix", deb, "1:2.4-1+deb12u1", NotAffected},
		{"Debian: not a dpkg version", deb, "1:", Unknown},
		{"PyPI: rc of the fix is affected", pypi, "2.0rc1", Affected},
		{"PyPI: post-release of the fix is not", pypi, "2.0.post1", NotAffected},
		{"PyPI: dev before introduced", pypi, "1.0.dev3", NotAffected},
		{"PyPI: epoch 1 is after every epoch-0 version", pypi, "1!1.5", NotAffected},
		{"PyPI: not PEP 440", pypi, "release-7", Unknown},
		{"Maven: 2.10 after 2.9, affected", maven, "2.10.0", Affected},
		{"Maven: first segment's fix", maven, "2.15.0", NotAffected},
		{"Maven: second segment, last affected inclusive", maven, "2.17.0", Affected},
		{"Maven: after last affected", maven, "2.17.1", NotAffected},
		{"Maven: beta before introduced", maven, "2.0-beta8", NotAffected},
		{"vers:deb with an encoded epoch", vers("vers:deb/>=1%3A2.0|<1%3A2.4-1"), "1:2.3-5", Affected},
		{"vers:deb below", vers("vers:deb/>=1%3A2.0|<1%3A2.4-1"), "1:1.9-1", NotAffected},
		{"vers:pypi", vers("vers:pypi/<3.2.0"), "3.2.0b1", Affected},
		{"vers:maven", vers("vers:maven/>=2.0|<=2.17.0"), "2.17.0", Affected},
		{"vers:alpine", vers("vers:alpine/<1.36.1-r2"), "1.36.1-r1", Affected},
		{"vers:alpine fixed revision", vers("vers:alpine/<1.36.1-r2"), "1.36.1-r2", NotAffected},
		{"vers:gem", vers("vers:gem/<7.0.8"), "7.0.8.pre", Affected},
		{"vers:nuget", vers("vers:nuget/>=1.0.0|<1.0.0.5"), "1.0.0.4", Affected},
		{"exact PyPI version, written otherwise", Package{Ecosystem: "PyPI", Versions: []string{"1.0"}}, "1.0.0", Affected},
		// A component version of a megabyte of digits would cost minutes in
		// the ecosystems' big-integer comparisons: it is not ordered.
		{"Debian: a megabyte of digits", deb, "1." + strings.Repeat("9", 1<<20), Unknown},
		{"Maven: a megabyte of digits", maven, "2." + strings.Repeat("9", 1<<20), Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Affects(tc.version); got != tc.want {
				t.Errorf("Affects(%q) = %v, want %v", tc.version, got, tc.want)
			}
		})
	}
}

// TestEcosystemRefused: an ECOSYSTEM range no library orders, or a
// version its ecosystem cannot read, is an error naming the JSON path.
func TestEcosystemRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Range
		path string
	}{
		{"unknown ecosystem", Range{Type: RangeEcosystem, Ecosystem: "Acme OS", Events: []Event{{Introduced: "0"}, {Fixed: "2"}}}, "/r/type"},
		{"no ecosystem", Range{Type: RangeEcosystem, Events: []Event{{Introduced: "0"}}}, "/r/type"},
		{"GitHub Actions has no ordering", Range{Type: RangeEcosystem, Ecosystem: "GitHub Actions", Events: []Event{{Introduced: "0"}}}, "/r/type"},
		{"not PEP 440", Range{Type: RangeEcosystem, Ecosystem: "PyPI", Events: []Event{{Introduced: "0"}, {Fixed: "next-one"}}}, "/r/events/1"},
		{"not dpkg", Range{Type: RangeEcosystem, Ecosystem: "Debian", Events: []Event{{Introduced: "1:"}}}, "/r/events/0"},
		{"SEMVER range with a Maven version", Range{Type: RangeSemver, Events: []Event{{Introduced: "0"}, {Fixed: "2.0-beta"}}}, "/r/events/1"},
		{"unknown type", Range{Type: "CALVER"}, "/r/type"},
		{"a bound of a megabyte of digits", Range{Type: RangeEcosystem, Ecosystem: "Debian", Events: []Event{{Introduced: "0"}, {Fixed: "1." + strings.Repeat("9", 1<<20)}}}, "/r/events/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkRange("/r", tc.r)
			var ie *InputError
			if !asInputError(err, &ie) || ie.Path != tc.path {
				t.Fatalf("got %v, want an *InputError at %s", err, tc.path)
			}
		})
	}
	for _, bad := range []string{"vers:rpm2/<1", "vers:pypi/<not..pep440", "vers:deb/>=1:", "vers:conan/<1.0"} {
		if _, err := parseVers(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestVersionLine: the remedy lint's major version, inside and outside
// SemVer.
func TestVersionLine(t *testing.T) {
	for in, want := range map[string]string{
		"2.3.1": "v2", "v0.35.0": "v0", "1:2.4-1": "v1:2", "0:2.4-1": "v2", "2!3.0": "v2!3",
		"2.0rc1": "v2", "10.0.post1": "v10", "1.0.0.4": "v1", "r2024": "", "": "", "007.1-1": "v7",
	} {
		if got := versionLine(in); got != want {
			t.Errorf("versionLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func asInputError(err error, target **InputError) bool {
	if err == nil {
		return false
	}
	ie, ok := err.(*InputError)
	if ok {
		*target = ie
	}
	return ok && strings.HasPrefix(ie.Path, "/")
}
