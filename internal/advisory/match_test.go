package advisory

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/accord-dev/accord/internal/store"
)

func TestParsePURL(t *testing.T) {
	for _, tc := range []struct {
		in, key, version string
	}{
		{"pkg:golang/golang.org/x/net@v0.35.0", "pkg:golang/golang.org/x/net", "v0.35.0"},
		{"pkg:npm/%40acme/ui@5.0.0", "pkg:npm/%40acme/ui", "5.0.0"},
		{"pkg:NPM/Left-Pad@1.0.0?arch=x#sub/path", "pkg:npm/left-pad", "1.0.0"},
		{"pkg:pypi/Django_Rest@3.0", "pkg:pypi/django-rest", "3.0"},
		{"pkg:maven/org.apache/Log4j-Core@2.17.1", "pkg:maven/org.apache/Log4j-Core", "2.17.1"},
		{"pkg:generic/acme/router", "pkg:generic/acme/router", ""},
	} {
		p, err := ParsePURL(tc.in)
		if err != nil || p.Key() != tc.key || p.Version != tc.version {
			t.Errorf("%s: got %q %q %v; want %q %q", tc.in, p.Key(), p.Version, err, tc.key, tc.version)
		}
	}
	for _, bad := range []string{"", "npm/x", "pkg:", "pkg:npm", "pkg:npm/", "pkg:np m/x", "pkg:npm/x@", "pkg:npm/%zz"} {
		if _, err := ParsePURL(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestAffects(t *testing.T) {
	semver := func(evs ...Event) Package { return Package{Ranges: []Range{{Type: RangeSemver, Events: evs}}} }
	for _, tc := range []struct {
		name    string
		p       Package
		version string
		want    Verdict
	}{
		{"below fixed", semver(Event{Introduced: "0"}, Event{Fixed: "0.38.0"}), "v0.35.0", Affected},
		{"at fixed", semver(Event{Introduced: "0"}, Event{Fixed: "0.38.0"}), "v0.38.0", NotAffected},
		{"above fixed", semver(Event{Introduced: "0"}, Event{Fixed: "0.38.0"}), "0.40.1", NotAffected},
		{"prerelease of fix is affected", semver(Event{Introduced: "0"}, Event{Fixed: "1.0.0"}), "1.0.0-rc.1", Affected},
		{"before introduced", semver(Event{Introduced: "1.2.0"}, Event{Fixed: "1.4.0"}), "1.1.9", NotAffected},
		{"10 > 9 numerically", semver(Event{Introduced: "1.9.0"}, Event{Fixed: "1.10.0"}), "1.10.0", NotAffected},
		{"two segments", semver(Event{Introduced: "1.0.0"}, Event{Fixed: "1.4.2"}, Event{Introduced: "2.0.0"}, Event{Fixed: "2.1.1"}), "2.1.0", Affected},
		{"between segments", semver(Event{Introduced: "1.0.0"}, Event{Fixed: "1.4.2"}, Event{Introduced: "2.0.0"}, Event{Fixed: "2.1.1"}), "1.5.0", NotAffected},
		{"events out of order", semver(Event{Fixed: "2.1.1"}, Event{Introduced: "2.0.0"}), "2.0.5", Affected},
		{"last_affected inclusive", semver(Event{Introduced: "1.0.0"}, Event{LastAffected: "1.3.0"}), "1.3.0", Affected},
		{"after last_affected", semver(Event{Introduced: "1.0.0"}, Event{LastAffected: "1.3.0"}), "1.3.1", NotAffected},
		{"no version", semver(Event{Introduced: "0"}), "", Unknown},
		{"version not SemVer", semver(Event{Introduced: "0"}, Event{Fixed: "2.0.0"}), "2020-01-build7", Unknown},
		{"exact list", Package{Versions: []string{"2.3.1"}}, "2.3.1", Affected},
		{"exact list, v prefix", Package{Versions: []string{"2.3.1"}}, "v2.3.1", Affected},
		{"exact list miss", Package{Versions: []string{"2.3.1"}}, "2.3.2", NotAffected},
		{"GIT range alone never matches a version", Package{Ranges: []Range{{Type: RangeGit, Events: []Event{{Introduced: "abc"}}}}}, "1.0.0", NotAffected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Affects(tc.version); got != tc.want {
				t.Errorf("Affects(%q) = %v, want %v", tc.version, got, tc.want)
			}
		})
	}
}

func TestParseVers(t *testing.T) {
	for _, tc := range []struct {
		vers string
		in   []string
		out  []string
	}{
		{"vers:semver/>=1.0.0|<1.4.2", []string{"1.0.0", "1.4.1"}, []string{"0.9.9", "1.4.2"}},
		{"vers:generic/<=2.3.1", []string{"0.1.0", "2.3.1"}, []string{"2.3.2"}},
		{"vers:semver/2.3.1|2.3.5", []string{"2.3.1", "2.3.5"}, []string{"2.3.2"}},
		{"vers:semver/*", []string{"0.0.1", "9.9.9"}, nil},
	} {
		r, err := parseVers(tc.vers)
		if err != nil {
			t.Fatalf("%s: %v", tc.vers, err)
		}
		p := Package{Ranges: []Range{r}}
		for _, v := range tc.in {
			if p.Affects(v) != Affected {
				t.Errorf("%s: %s not affected", tc.vers, v)
			}
		}
		for _, v := range tc.out {
			if p.Affects(v) != NotAffected {
				t.Errorf("%s: %s affected", tc.vers, v)
			}
		}
	}
	for _, bad := range []string{"semver/>=1", "vers:semver/>=x", "vers:semver/!=1.0.0"} {
		if _, err := parseVers(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// deploymentsOf parses the two demo SBOMs as deployments plant-a and
// plant-b.
func demoComponents(t testing.TB) []store.Component {
	var all []store.Component
	for dep, f := range map[string]string{"plant-a": "testdata/sbom/router-plant-a.cdx.json", "plant-b": "testdata/sbom/router-plant-b.spdx.json"} {
		s, err := ParseSBOM(read(t, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range s.Components {
			c.Deployment = dep
			all = append(all, c)
		}
	}
	return all
}

func TestMatchDemo(t *testing.T) {
	comps := demoComponents(t)
	ix := NewIndex(comps)
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"testdata/csaf/acme-2026-001.json", []string{"plant-a"}}, // plant-b runs the fixed 2.3.2
		{"testdata/osv/GO-2026-0001.json", []string{"plant-a"}},   // plant-b runs x/net v0.38.0, the fix
		{"testdata/osv/GHSA-forced-major.json", []string{"plant-a"}},
	} {
		a, err := Parse(read(t, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		got := ix.Match(a)
		if deps := Deployments(got); !reflect.DeepEqual(deps, tc.want) {
			t.Errorf("%s: affected %v, want %v", tc.file, deps, tc.want)
		}
		if naive := MatchNaive(comps, a); !reflect.DeepEqual(naive, got) {
			t.Errorf("%s: index and naive loop disagree:\n%+v\n%+v", tc.file, got, naive)
		}
	}
}

func TestLint(t *testing.T) {
	fix := func(p, v string) Remedy { return Remedy{Category: RemedyVendorFix, Packages: []string{p}, FixedIn: v} }
	pkg := Package{ID: "p", Key: "pkg:npm/x", Ranges: []Range{{Type: RangeSemver, Events: []Event{{Introduced: "1.0.0"}, {Fixed: "2.0.0"}}}}}
	two := Package{ID: "p", Key: "pkg:npm/x", Ranges: []Range{{Type: RangeSemver, Events: []Event{{Introduced: "1.0.0"}, {Fixed: "1.4.2"}, {Introduced: "2.0.0"}, {Fixed: "2.1.1"}}}}}
	for _, tc := range []struct {
		name string
		a    Advisory
		want []string
	}{
		{"not serious passes", Advisory{Score: 5, Packages: []Package{pkg}, Remedies: []Remedy{fix("p", "2.0.0")}}, nil},
		{"fix on another major only", Advisory{Score: 8, Packages: []Package{pkg}, Remedies: []Remedy{fix("p", "2.0.0")}}, []string{RuleForcedUpgrade}},
		{"exploited counts as serious", Advisory{Exploited: true, Packages: []Package{pkg}, Remedies: []Remedy{fix("p", "2.0.0")}}, []string{RuleForcedUpgrade}},
		{"workaround saves it", Advisory{Score: 8, Packages: []Package{pkg}, Remedies: []Remedy{fix("p", "2.0.0"), {Category: RemedyWorkaround, Packages: []string{"p"}}}}, nil},
		{"mitigation saves it", Advisory{Score: 8, Packages: []Package{pkg}, Remedies: []Remedy{{Category: RemedyMitigation, Packages: []string{"p"}}}}, nil},
		{"a fix on each line", Advisory{Score: 9, Packages: []Package{two}, Remedies: []Remedy{fix("p", "1.4.2"), fix("p", "2.1.1")}}, nil},
		{"one line left without", Advisory{Score: 9, Packages: []Package{two}, Remedies: []Remedy{fix("p", "2.1.1")}}, []string{RuleForcedUpgrade}},
		{"a workaround for another package does not count", Advisory{Score: 9, Packages: []Package{pkg}, Remedies: []Remedy{fix("p", "2.0.0"), {Category: RemedyWorkaround, Packages: []string{"q"}}}}, []string{RuleForcedUpgrade}},
		{"fix only against entitlements", Advisory{Score: 9, Packages: []Package{pkg}, Remedies: []Remedy{{Category: RemedyVendorFix, Packages: []string{"p"}, FixedIn: "1.0.1", Conditional: true}}}, []string{RuleConditionalFix}},
		{"no remedy", Advisory{Score: 9, Packages: []Package{pkg}, Remedies: []Remedy{{Category: RemedyNoneAvail, Packages: []string{"p"}}}}, []string{RuleNoRemedy}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := Lint(&tc.a)
			if got := Rules(fs); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("rules %v, want %v (%+v)", got, tc.want, fs)
			}
			for _, f := range fs {
				if f.Citation != CitationGDSI8 {
					t.Errorf("finding without the GDSI 8 citation: %+v", f)
				}
			}
		})
	}
}

func TestSignVerify(t *testing.T) {
	ctx := context.Background()
	pub, priv, _ := ed25519.GenerateKey(nil)
	otherPub, _, _ := ed25519.GenerateKey(nil)
	doc := read(t, "testdata/csaf/acme-2026-001.json")
	env, err := Sign(ctx, doc, priv)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(env)
	e, payload, err := ParseEnvelope(raw)
	if err != nil || string(payload) != string(doc) {
		t.Fatalf("parse: %v", err)
	}
	if err := Verify(ctx, e, pub); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := Verify(ctx, e, otherPub); !errors.Is(err, ErrSignature) {
		t.Errorf("another vendor's key verified: %v", err)
	}
	tampered := *e
	tampered.Payload = base64.StdEncoding.EncodeToString(append(payload[:len(payload)-2], ' ', '}'))
	if err := Verify(ctx, &tampered, pub); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered payload verified: %v", err)
	}
	for name, bad := range map[string]string{
		"payloadType": `{"payloadType":"application/vnd.accord.authorization+json","payload":"e30=","signatures":[{"sig":"AA=="}]}`,
		"payload":     `{"payloadType":"` + PayloadType + `","payload":"!!","signatures":[{"sig":"AA=="}]}`,
		"signatures":  `{"payloadType":"` + PayloadType + `","payload":"e30=","signatures":[]}`,
		"unknown":     `{"payloadType":"` + PayloadType + `","payload":"e30=","signatures":[{"sig":"AA=="}],"extra":1}`,
	} {
		if _, _, err := ParseEnvelope([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// synthetic builds n advisories over pkgs packages and m components over
// deps deployments, for the benchmarks.
func synthetic(n, m int) ([]*Advisory, []store.Component) { return syntheticIn("", n, m) }

// syntheticIn is synthetic with ECOSYSTEM ranges of eco ("Debian"), or
// SEMVER ranges over npm when eco is "".
func syntheticIn(eco string, n, m int) ([]*Advisory, []store.Component) {
	const pkgs = 5000
	typ := "npm"
	if eco == "Debian" {
		typ = "deb"
	}
	var advs []*Advisory
	for i := range n {
		key := fmt.Sprintf("pkg:%s/p%d", typ, i%pkgs)
		r := Range{Type: RangeSemver, Events: []Event{{Introduced: "1.0.0"}, {Fixed: fmt.Sprintf("1.%d.0", i%7+1)}}}
		if eco == "Debian" {
			r = Range{Type: RangeEcosystem, Ecosystem: eco, Events: []Event{{Introduced: "1:1.0-1"}, {Fixed: fmt.Sprintf("1:1.%d~rc1-1", i%7+1)}}}
		}
		a := &Advisory{ID: fmt.Sprint(i), Packages: []Package{{ID: "a", Key: key, Ecosystem: eco, Ranges: []Range{r}}}}
		a.prepare() // as ParseOSV and ParseCSAF do
		advs = append(advs, a)
	}
	var comps []store.Component
	for j := range m {
		key := fmt.Sprintf("pkg:%s/p%d", typ, (j*7919)%(pkgs*2))
		v := fmt.Sprintf("1.%d.%d", j%9, j%3)
		if eco == "Debian" {
			v = fmt.Sprintf("1:1.%d~rc%d-%d", j%9, j%3, j%2+1)
		}
		comps = append(comps, store.Component{Deployment: fmt.Sprintf("d%d", j%1000), PURL: key + "@" + v + fmt.Sprintf("?n=%d", j), Key: key, Version: v})
	}
	return advs, comps
}

func TestIndexAgreesWithNaive(t *testing.T) {
	for _, eco := range []string{"", "Debian"} {
		advs, comps := syntheticIn(eco, 300, 5000)
		ix := NewIndex(comps)
		total := 0
		for _, a := range advs {
			got, want := ix.Match(a), MatchNaive(comps, a)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s advisory %s: index %d matches, naive %d", eco, a.ID, len(got), len(want))
			}
			for _, m := range got {
				if m.Verdict != Affected {
					t.Fatalf("%s: %+v is %v: every synthetic version is orderable", eco, m.Component, m.Verdict)
				}
			}
			total += len(got)
		}
		if total == 0 {
			t.Fatalf("%s: the synthetic set matches nothing: the test cannot fail", eco)
		}
	}
}

// BenchmarkMatch matches advisories against registered components with
// the index and with a naive nested loop, in the same run. One op is the
// whole set of advisories.
//
// The semver rows are SEMVER ranges over npm packages (x/mod/semver); the
// Debian rows are ECOSYSTEM ranges over deb packages with epochs and ~
// (osv-scalibr's semantic).
func BenchmarkMatch(b *testing.B) {
	for _, sz := range []struct {
		n, m int
		eco  string
	}{{1000, 10000, ""}, {10000, 100000, ""}, {1000, 10000, "Debian"}, {10000, 100000, "Debian"}} {
		advs, comps := syntheticIn(sz.eco, sz.n, sz.m)
		name := fmt.Sprintf("%dx%d", sz.n, sz.m)
		if sz.eco != "" {
			name = sz.eco + "/" + name
		}
		b.Run("index/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ix := NewIndex(comps)
				for _, a := range advs {
					ix.Match(a)
				}
			}
		})
		if sz.n*sz.m > 1e7 && os.Getenv("ACCORD_BENCH_FULL") == "" {
			continue // the naive loop at 10k x 100k is 10^9 comparisons (seconds per op): set ACCORD_BENCH_FULL=1
		}
		b.Run("naive/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, a := range advs {
					MatchNaive(comps, a)
				}
			}
		})
	}
}
