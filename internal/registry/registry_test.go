package registry

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// policyRegistry is a copy of policy.Registry (the contract in the brief):
// the registry must keep satisfying it.
type policyRegistry interface {
	KnownJurisdiction(code string) bool
	InBloc(state, bloc string) bool
	AgreementCovers(id, a, b, purpose string, at time.Time) bool
	AgreementParties(id string) []string
	AgreementAuthorizes(id, a, b, purpose string, categories, measures []string, at time.Time) bool
}

// jurisdictions is a copy of model.Jurisdictions.
type jurisdictions interface{ KnownJurisdiction(code string) bool }

var (
	_ policyRegistry = (*Registry)(nil)
	_ jurisdictions  = (*Registry)(nil)
)

func mustLoad(t testing.TB, dirs ...string) *Registry {
	t.Helper()
	r, err := Load(dirs...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return r
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestKnownJurisdiction(t *testing.T) {
	r := mustLoad(t)
	tests := []struct {
		code string
		want bool
	}{
		{"FR", true}, {"CN", true}, {"US", true}, {"TW", true}, {"HK", true}, {"EH", true}, {"AQ", true},
		{"fr", false}, {"", false}, {"EU", false}, {"XK", false}, {"UK", false}, {"FRA", false}, {"ZZ", false},
	}
	for _, tt := range tests {
		if got := r.KnownJurisdiction(tt.code); got != tt.want {
			t.Errorf("KnownJurisdiction(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
	if n := len(r.Jurisdictions()); n != 249 {
		t.Errorf("len(Jurisdictions()) = %d, want 249", n)
	}
}

func TestBlocMembership(t *testing.T) {
	r := mustLoad(t)
	sizes := map[string]int{
		"EU": 27, "EEA": 30, "ASEAN": 11, "AU": 55, "SCO": 10, "BRICS": 10, "OECD": 38,
		"APEC": 21, "COE": 46, "FIVE_EYES": 5, "LAS": 22,
	}
	for id, want := range sizes {
		b, ok := r.Bloc(id)
		if !ok {
			t.Errorf("bloc %s missing", id)
			continue
		}
		if len(b.Members) != want {
			t.Errorf("bloc %s has %d members, want %d", id, len(b.Members), want)
		}
		if !slices.IsSorted(b.Members) {
			t.Errorf("bloc %s members not sorted", id)
		}
		if b.Checked.IsZero() || b.Source == "" {
			t.Errorf("bloc %s lacks checked date or source", id)
		}
	}
	// The EEA is the EU plus Iceland, Liechtenstein and Norway.
	eu, _ := r.Bloc("EU")
	eea, _ := r.Bloc("EEA")
	want := slices.Sorted(slices.Values(append(slices.Clone(eu.Members), "IS", "LI", "NO")))
	if !slices.Equal(eea.Members, want) {
		t.Errorf("EEA = %v, want EU + IS, LI, NO = %v", eea.Members, want)
	}
	budapest, _ := r.Bloc("BUDAPEST")
	if len(budapest.Members) < 70 {
		t.Errorf("BUDAPEST has %d parties, want at least 70", len(budapest.Members))
	}

	tests := []struct {
		state, bloc string
		want        bool
	}{
		{"FR", "EU", true},
		{"GR", "EU", true},
		{"GB", "EU", false},
		{"NO", "EU", false},
		{"NO", "EEA", true},
		{"CH", "EEA", false},
		{"TL", "ASEAN", true},
		{"EH", "AU", true},
		{"MA", "AU", true},
		{"ID", "BRICS", true},
		{"SA", "BRICS", false},
		{"BY", "SCO", true},
		{"CR", "OECD", true},
		{"TW", "APEC", true},
		{"HK", "APEC", true},
		{"RU", "COE", false},
		{"US", "BUDAPEST", true},
		{"JP", "BUDAPEST", true},
		{"IE", "BUDAPEST", false},
		{"CN", "BUDAPEST", false},
		{"RU", "BUDAPEST", false},
		{"FR", "NOPE", false},
		{"", "EU", false},
		{"fr", "EU", false},
	}
	for _, tt := range tests {
		if got := r.InBloc(tt.state, tt.bloc); got != tt.want {
			t.Errorf("InBloc(%q, %q) = %v, want %v", tt.state, tt.bloc, got, tt.want)
		}
	}
}

func TestAgreementCovers(t *testing.T) {
	r := mustLoad(t)
	now := date("2026-11-22")
	tests := []struct {
		name          string
		id, a, b, pur string
		at            time.Time
		want          bool
	}{
		{"France-China MLA, law enforcement", "cn-fr-mla-2005", "FR", "CN", "law-enforcement", now, true},
		{"order of parties does not matter", "cn-fr-mla-2005", "CN", "FR", "law-enforcement", now, true},
		{"purpose not covered", "cn-fr-mla-2005", "FR", "CN", "commercial", now, false},
		{"third state not a party", "cn-fr-mla-2005", "FR", "DE", "law-enforcement", now, false},
		{"same state twice", "cn-fr-mla-2005", "FR", "FR", "law-enforcement", now, false},
		{"before signature", "cn-fr-mla-2005", "FR", "CN", "law-enforcement", date("2005-04-17"), false},
		{"valid_from is inclusive", "cn-fr-mla-2005", "FR", "CN", "law-enforcement", date("2005-04-18"), true},
		{"US-China MLAA in force", "cn-us-mlaa-2000", "US", "CN", "law-enforcement", now, true},
		{"US-China MLAA before entry into force", "cn-us-mlaa-2000", "US", "CN", "law-enforcement", date("2001-03-07"), false},
		{"CLOUD Act UK-US", "gb-us-cloud-act-2019", "GB", "US", "law-enforcement", now, true},
		{"CLOUD Act UK-US signed but not yet in force", "gb-us-cloud-act-2019", "GB", "US", "law-enforcement", date("2022-10-02"), false},
		{"CLOUD Act does not reach a third state", "gb-us-cloud-act-2019", "GB", "FR", "law-enforcement", now, false},
		{"Budapest parties through the bloc", "budapest-convention", "FR", "US", "law-enforcement", now, true},
		{"Budapest: China is not a party", "budapest-convention", "FR", "CN", "law-enforcement", now, false},
		{"adequacy: EEA member and Japan", "eu-adequacy-jp", "DE", "JP", "commercial", now, true},
		{"adequacy: Norway through the EEA", "eu-adequacy-jp", "NO", "JP", "research", now, true},
		{"adequacy: not for law enforcement", "eu-adequacy-jp", "DE", "JP", "law-enforcement", now, false},
		{"DPF: EEA member and US", "eu-us-dpf-2023", "FR", "US", "commercial", now, true},
		{"adequacy: Brazil from 26 January 2026", "eu-adequacy-br", "FR", "BR", "commercial", date("2026-01-26"), true},
		{"adequacy: Brazil not before", "eu-adequacy-br", "FR", "BR", "commercial", date("2026-01-25"), false},
		{"adequacy: UK renewal's last day", "eu-adequacy-gb", "FR", "GB", "commercial", date("2031-12-26"), true},
		{"adequacy: UK renewal ends 27 December 2031", "eu-adequacy-gb", "FR", "GB", "commercial", date("2031-12-27"), false},
		{"DPF: before adoption", "eu-us-dpf-2023", "FR", "US", "commercial", date("2023-07-09"), false},
		{"commitment covers no purpose", "gdsi-2020", "CN", "CN", "law-enforcement", now, false},
		{"commitment covers no purpose between parties", "cn-c5-data-security-2022", "CN", "KZ", "commercial", now, false},
		{"unknown agreement", "no-such-agreement", "FR", "CN", "law-enforcement", now, false},
		{"unknown purpose", "cn-fr-mla-2005", "FR", "CN", "fishing", now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.AgreementCovers(tt.id, tt.a, tt.b, tt.pur, tt.at); got != tt.want {
				t.Errorf("AgreementCovers(%q, %q, %q, %q, %s) = %v, want %v", tt.id, tt.a, tt.b, tt.pur, tt.at.Format(time.DateOnly), got, tt.want)
			}
		})
	}
}

// TestAgreementAuthorizes checks the scope of an agreement as 28 CFR
// § 202.507(a) reads it: only an international agreement between the two
// states, in force, for the purpose, the data's categories and with its
// conditions attested, authorizes a flow.
func TestAgreementAuthorizes(t *testing.T) {
	r := mustLoad(t)
	now := date("2026-11-22")
	health := []string{"personal.health"}
	tests := []struct {
		name          string
		id, a, b, pur string
		cats, meas    []string
		at            time.Time
		want          bool
	}{
		{"US-China MLAA, law enforcement", "cn-us-mlaa-2000", "US", "CN", "law-enforcement", health, nil, now, true},
		{"US-China MLAA does not authorize commerce", "cn-us-mlaa-2000", "US", "CN", "commercial", health, nil, now, false},
		{"US-China MLAA before entry into force", "cn-us-mlaa-2000", "US", "CN", "law-enforcement", health, nil, date("2001-03-07"), false},
		{"US-China MLAA on its first day", "cn-us-mlaa-2000", "US", "CN", "law-enforcement", health, nil, date("2001-03-08"), true},
		{"Budapest Convention: China is not a party", "budapest-convention", "US", "CN", "law-enforcement", health, nil, now, false},
		{"Budapest Convention between parties, law enforcement", "budapest-convention", "US", "FR", "law-enforcement", health, nil, now, true},
		{"Budapest Convention does not authorize commerce", "budapest-convention", "US", "FR", "commercial", health, nil, now, false},
		{"DPF is an adequacy decision, not an agreement the US is party to", "eu-us-dpf-2023", "US", "FR", "commercial", []string{"personal"}, []string{"dpf-certified"}, now, false},
		{"Global CBPR is a declaration", "global-cbpr-2022", "US", "JP", "commercial", []string{"personal"}, []string{"certification"}, now, false},
		{"a commitment authorizes nothing", "gdsi-2020", "CN", "US", "law-enforcement", health, nil, now, false},
		{"unknown agreement", "no-such-agreement", "US", "CN", "law-enforcement", health, nil, now, false},
		{"same state twice", "cn-us-mlaa-2000", "US", "US", "law-enforcement", health, nil, now, false},
		{"Hague Evidence Convention, civil proceedings", "hague-evidence-1970", "US", "FR", "litigation", health, nil, now, true},
		{"Hague Evidence Convention is not for criminal matters", "hague-evidence-1970", "US", "FR", "law-enforcement", health, nil, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.AgreementAuthorizes(tt.id, tt.a, tt.b, tt.pur, tt.cats, tt.meas, tt.at); got != tt.want {
				t.Errorf("AgreementAuthorizes(%q, %q, %q, %q, %v, %v, %s) = %v, want %v", tt.id, tt.a, tt.b, tt.pur, tt.cats, tt.meas, tt.at.Format(time.DateOnly), got, tt.want)
			}
		})
	}
}

// TestAgreementAuthorizesScope checks the categories and conditions of an
// agreement's scope with an override that limits both.
func TestAgreementAuthorizesScope(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": `version: "t"
agreements:
  - id: us-xx-health
    title: t
    kind: executive-agreement
    parties: [US, JP]
    purposes: [research]
    categories: [personal.health]
    conditions: [ethics-approval]
    valid_from: 2020-01-01
    citation: t
    source: https://example.org
`})
	r := mustLoad(t, dir)
	now := date("2026-11-22")
	tests := []struct {
		name       string
		cats, meas []string
		want       bool
	}{
		{"category under the scope, condition attested", []string{"personal.health"}, []string{"ethics-approval"}, true},
		{"condition not attested", []string{"personal.health"}, nil, false},
		{"a category outside the scope", []string{"personal.health", "personal.financial"}, []string{"ethics-approval"}, false},
		{"a parent category is wider than the scope", []string{"personal"}, []string{"ethics-approval"}, false},
		{"no category said", nil, []string{"ethics-approval"}, false},
		{"a prefix that is not a parent", []string{"personal.healthcare"}, []string{"ethics-approval"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.AgreementAuthorizes("us-xx-health", "US", "JP", "research", tt.cats, tt.meas, now); got != tt.want {
				t.Errorf("AgreementAuthorizes(%v, %v) = %v, want %v", tt.cats, tt.meas, got, tt.want)
			}
		})
	}
}

func TestAgreementParties(t *testing.T) {
	r := mustLoad(t)
	tests := []struct {
		id   string
		want []string
	}{
		{"cn-fr-mla-2005", []string{"CN", "FR"}},
		{"gb-us-cloud-act-2019", []string{"GB", "US"}},
		{"gdsi-2020", []string{"CN"}},
		{"cn-c5-data-security-2022", []string{"CN", "KG", "KZ", "TJ", "TM", "UZ"}},
		{"no-such-agreement", nil},
	}
	for _, tt := range tests {
		if got := r.AgreementParties(tt.id); !slices.Equal(got, tt.want) {
			t.Errorf("AgreementParties(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
	// A bloc's members are parties: the EEA side of an adequacy decision.
	got := r.AgreementParties("eu-adequacy-kr")
	if len(got) != 31 || !slices.Contains(got, "KR") || !slices.Contains(got, "IS") {
		t.Errorf("AgreementParties(eu-adequacy-kr) = %v, want the 30 EEA states and KR", got)
	}
	// The caller owns the slice.
	got = r.AgreementParties("cn-fr-mla-2005")
	got[0] = "ZZ"
	if again := r.AgreementParties("cn-fr-mla-2005"); again[0] != "CN" {
		t.Errorf("mutating the returned slice changed the registry: %v", again)
	}
}

func TestAccessorsReturnCopies(t *testing.T) {
	r := mustLoad(t)
	b, _ := r.Bloc("EU")
	b.Members[0] = "ZZ"
	if !r.InBloc("AT", "EU") {
		t.Error("mutating Bloc().Members changed the registry")
	}
	if b2, _ := r.Bloc("EU"); b2.Members[0] != "AT" {
		t.Errorf("Bloc(EU).Members[0] = %q after mutation, want AT", b2.Members[0])
	}
	j, _ := r.Jurisdiction("FR")
	j.Names["en"] = "changed"
	if j2, _ := r.Jurisdiction("FR"); j2.Names["en"] != "France" {
		t.Errorf("mutating Jurisdiction().Names changed the registry: %q", j2.Names["en"])
	}
}

func TestEmbeddedEntries(t *testing.T) {
	r := mustLoad(t)
	for _, a := range r.Authorities() {
		if !a.Example {
			t.Errorf("authority %s: embedded authorities must be marked example: true", a.ID)
		}
		if a.PublicKey != "" {
			t.Errorf("authority %s: embedded authorities ship no public key", a.ID)
		}
		if !r.KnownJurisdiction(a.Jurisdiction) {
			t.Errorf("authority %s: unknown jurisdiction %s", a.ID, a.Jurisdiction)
		}
	}
	for _, id := range []string{"fr-bepi", "fr-cnil", "de-bfj", "de-bka", "cn-moj", "cn-cac", "cn-mps", "us-doj-oia", "us-fbi", "us-doj-nsd", "gb-ukca"} {
		if _, ok := r.Authority(id); !ok {
			t.Errorf("authority %s missing", id)
		}
	}
	// One adequacy decision per adequate country, each with a citation
	// and a source.
	for _, c := range []string{"AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY"} {
		found := false
		for _, a := range r.Agreements() {
			if a.Kind == KindAdequacy && a.PartiesBloc == "EEA" && slices.Contains(a.Parties, c) && len(a.Parties) == 31 {
				found = true
			}
		}
		if !found {
			t.Errorf("no EU adequacy decision for %s", c)
		}
	}
	for _, a := range r.Agreements() {
		if a.Citation == "" || a.ValidFrom.IsZero() {
			t.Errorf("agreement %s lacks citation or valid_from", a.ID)
		}
		if !strings.HasPrefix(a.Source, "http://") && !strings.HasPrefix(a.Source, "https://") {
			t.Errorf("agreement %s: source %q is not a URL", a.ID, a.Source)
		}
	}
	for _, b := range r.Blocs() {
		if !strings.HasPrefix(b.Source, "http://") && !strings.HasPrefix(b.Source, "https://") {
			t.Errorf("bloc %s: source %q is not a URL", b.ID, b.Source)
		}
	}
	for _, a := range r.Authorities() {
		if !strings.HasPrefix(a.Source, "http://") && !strings.HasPrefix(a.Source, "https://") {
			t.Errorf("authority %s: source %q is not a URL", a.ID, a.Source)
		}
	}
	dpf, _ := r.Agreement("eu-us-dpf-2023")
	if !slices.Equal(dpf.Conditions, []string{"dpf-certified"}) {
		t.Errorf("eu-us-dpf-2023 conditions = %v, want [dpf-certified]", dpf.Conditions)
	}
	files := r.Files()
	if len(files) != 4 {
		t.Errorf("Files() = %v, want the 4 embedded files", files)
	}
	for _, f := range files {
		if f.Version == "" {
			t.Errorf("file %s has no version", f.File)
		}
	}
}

func TestAuthorityPrincipal(t *testing.T) {
	r := mustLoad(t)
	a, _ := r.Authority("de-bka")
	p := a.Principal()
	if p.ID != "de-bka" || p.Kind != "state-authority" || p.Role != "law-enforcement" || p.Jurisdiction != "DE" {
		t.Errorf("Principal() = %+v", p)
	}
}

func TestLookupsDoNotAllocate(t *testing.T) {
	r := mustLoad(t)
	at := date("2026-11-22")
	allocs := testing.AllocsPerRun(1000, func() {
		_ = r.KnownJurisdiction("FR")
		_ = r.InBloc("FR", "EU")
		_ = r.InBloc("FR", "BUDAPEST")
		_ = r.AgreementCovers("cn-fr-mla-2005", "FR", "CN", "law-enforcement", at)
		_ = r.AgreementCovers("budapest-convention", "FR", "US", "law-enforcement", at)
	})
	if allocs != 0 {
		t.Errorf("lookups allocate %v times per run, want 0", allocs)
	}
}

func BenchmarkKnownJurisdiction(b *testing.B) {
	r := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		if !r.KnownJurisdiction("FR") {
			b.Fatal("FR unknown")
		}
	}
}

func BenchmarkInBloc(b *testing.B) {
	r := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		if !r.InBloc("FR", "BUDAPEST") {
			b.Fatal("FR not in BUDAPEST")
		}
	}
}

func BenchmarkAgreementCovers(b *testing.B) {
	r := mustLoad(b)
	at := date("2026-11-22")
	b.ReportAllocs()
	for b.Loop() {
		if !r.AgreementCovers("budapest-convention", "FR", "US", "law-enforcement", at) {
			b.Fatal("not covered")
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
