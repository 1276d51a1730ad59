package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestParsePeriod(t *testing.T) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		in       string
		from, to time.Time
		bad      bool
	}{
		{in: "2026", from: day(2026, 1, 1), to: day(2027, 1, 1)},
		{in: "2026-H1", from: day(2026, 1, 1), to: day(2026, 7, 1)},
		{in: "2026-H2", from: day(2026, 7, 1), to: day(2027, 1, 1)},
		{in: "2026-Q4", from: day(2026, 10, 1), to: day(2027, 1, 1)},
		{in: "2026-02", from: day(2026, 2, 1), to: day(2026, 3, 1)},
		{in: "2026-12", from: day(2026, 12, 1), to: day(2027, 1, 1)},
		{in: "all", from: time.Unix(0, 0).UTC(), to: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{in: "All", bad: true},
		{in: "2026-H3", bad: true},
		{in: "2026-Q0", bad: true},
		{in: "2026-13", bad: true},
		{in: "26", bad: true},
		{in: "abcd", bad: true},
		{in: "2026-", bad: true},
		{in: "2026-H2x", bad: true},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParsePeriod(%q) = %v, want error", tt.in, p)
			}
			continue
		}
		if err != nil || !p.From.Equal(tt.from) || !p.To.Equal(tt.to) {
			t.Errorf("ParsePeriod(%q) = [%v, %v), %v; want [%v, %v)", tt.in, p.From, p.To, err, tt.from, tt.to)
		}
	}
}

func u(n uint64) *uint64 { return &n }

// fixture is a small log: French, German and Chinese authorities asking
// through several channels, a company's own access, a voided decision and
// two MLA cases.
func fixture() []Logged {
	at := func(day, hour int) time.Time { return time.Date(2026, 9, day, hour, 0, 0, 0, time.UTC) }
	fr := &ledger.Party{Kind: "state-authority", Role: "law-enforcement", State: "FR"}
	de := &ledger.Party{Kind: "state-authority", Role: "law-enforcement", State: "DE"}
	co := &ledger.Party{Kind: "company", State: "US"}
	return []Logged{
		{0, ledger.Entry{Kind: "mla-transition", Subject: "case-1:opened", Time: at(1, 0)}},
		{1, ledger.Entry{Kind: "decision", Requester: fr, Basis: "mla", Outcome: "allow", Subjects: map[string]int64{"CN": 3}, Records: 10, Time: at(3, 0)}},
		{2, ledger.Entry{Kind: "mla-transition", Subject: "case-1:accepted", Time: at(3, 0)}},
		{3, ledger.Entry{Kind: "decision", Requester: fr, Outcome: "deny", Subjects: map[string]int64{"CN": 500}, Records: 500, Time: at(4, 0)}},
		{4, ledger.Entry{Kind: "decision", Requester: fr, Basis: "agreement", Outcome: "pending", Rules: []string{"gdsi-6-third-state"}, Subjects: map[string]int64{"BE": 2}, Time: at(5, 0)}},
		{5, ledger.Entry{Kind: "decision", Requester: co, OnBehalfOf: de, Basis: "emergency", Outcome: "allow", Subjects: map[string]int64{"FR": 1}, Records: 1, Time: at(6, 0)}},
		{6, ledger.Entry{Kind: "decision", Requester: co, Outcome: "allow", Subjects: map[string]int64{"FR": 100}, Time: at(6, 1)}},
		{7, ledger.Entry{Kind: "decision", Requester: de, Basis: "mla", Outcome: "pending", Time: at(7, 0)}},
		{8, ledger.Entry{Kind: "void", Refers: u(7), Time: at(7, 0)}},
		{9, ledger.Entry{Kind: "decision", Requester: de, Basis: "mla", Outcome: "allow", Time: time.Date(2026, 6, 30, 23, 59, 59, 0, time.UTC)}},
		{10, ledger.Entry{Kind: "mla-transition", Subject: "case-2:opened", Time: at(1, 0)}},
		{11, ledger.Entry{Kind: "mla-transition", Subject: "case-2:refused", Time: at(11, 0)}},
		// Registry and pack changes: an authority's key put, then replaced
		// (voided: never in effect), a pack version, a bloc before the
		// period.
		{12, ledger.Entry{Kind: "registry-change", Subject: "fr-bepi", Jurisdiction: "FR", Action: "put", KeyFingerprint: fpA, Digest: fpB, Time: at(12, 0)}},
		{13, ledger.Entry{Kind: "pack-change", Subject: "gdsi", Action: "put", Packs: []ledger.PackVersion{{Name: "gdsi", Version: "2026.11.0"}}, Digest: fpA, Time: at(12, 1)}},
		{14, ledger.Entry{Kind: "registry-change", Subject: "fr-bepi", Jurisdiction: "FR", Action: "put", KeyFingerprint: fpB, Digest: fpA, Time: at(13, 0)}},
		{15, ledger.Entry{Kind: "void", Refers: u(14), Time: at(13, 0)}},
		{16, ledger.Entry{Kind: "registry-change", Subject: "fr-bepi", Jurisdiction: "FR", Action: "delete", Time: at(14, 0)}},
		{17, ledger.Entry{Kind: "registry-change", Subject: "nordic", Action: "put", Digest: fpB, Time: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}},
		// A catalog change: a dataset's labels put.
		{18, ledger.Entry{Kind: "catalog-change", Subject: "crm-eu", Location: "FR", Action: "put", Digest: fpA, Time: at(15, 0)}},
		// An MLA execution allowed with a third state's subjects left
		// out: disclosed (5 of 7 subjects) and third-state excluded.
		{19, ledger.Entry{Kind: "decision", Requester: fr, Basis: "mla", Outcome: "allow", Rules: []string{"mla-third-state-excluded"},
			Subjects: map[string]int64{"CN": 5, "DE": 2}, Excluded: map[string]int64{"DE": 2}, Records: 7, Time: at(16, 0)}},
	}
}

// Two fingerprints (hex SHA-256) for the fixture.
const (
	fpA = "1111111111111111111111111111111111111111111111111111111111111111"
	fpB = "2222222222222222222222222222222222222222222222222222222222222222"
)

func TestBuild(t *testing.T) {
	p, _ := ParsePeriod("2026-H2")
	r := Build(p, fixture())
	want := []Row{
		{State: "DE", Channel: "emergency", Requests: 1, SubjectsRequested: 1, SubjectsDisclosed: 1, RecordsRequested: 1, Disclosed: 1, Indices: []uint64{5}},
		{State: "FR", Channel: "agreement", Requests: 1, SubjectsRequested: 2, Pending: 1, ThirdStateExcluded: 1, Indices: []uint64{4}},
		{State: "FR", Channel: "direct", Requests: 1, SubjectsRequested: 500, RecordsRequested: 500, Refused: 1, Indices: []uint64{3}},
		{State: "FR", Channel: "mla", Requests: 2, SubjectsRequested: 10, SubjectsDisclosed: 8, RecordsRequested: 17, Disclosed: 2, ThirdStateExcluded: 1, Indices: []uint64{1, 19}},
	}
	if !reflect.DeepEqual(r.Rows, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", r.Rows, want)
	}
	tot := r.Totals
	if tot.Requests != 5 || tot.SubjectsRequested != 513 || tot.SubjectsDisclosed != 9 || tot.Disclosed != 3 || tot.ThirdStateExcluded != 2 ||
		!reflect.DeepEqual(tot.Indices, []uint64{1, 3, 4, 5, 19}) {
		t.Errorf("totals = %+v", r.Totals)
	}
	// Each decision counts once by outcome.
	for _, row := range append(r.Rows, r.Totals) {
		if row.Disclosed+row.Refused+row.Pending != row.Requests {
			t.Errorf("row %s/%s: %d+%d+%d outcomes for %d requests", row.State, row.Channel, row.Disclosed, row.Refused, row.Pending, row.Requests)
		}
	}
	if r.Voided != 1 {
		t.Errorf("voided = %d, want 1 (index 7)", r.Voided)
	}
	// Cases answered after 2 days and after 10 days: median of two is 6 days.
	if r.AnsweredCases != 2 || r.MedianAnswer != 6*24*time.Hour {
		t.Errorf("median = %v over %d cases, want 144h over 2", r.MedianAnswer, r.AnsweredCases)
	}
	wantChanges := []uint64{12, 13, 16, 18}
	var gotChanges []uint64
	for _, c := range r.Changes {
		gotChanges = append(gotChanges, c.Index)
	}
	if !reflect.DeepEqual(gotChanges, wantChanges) || r.VoidedChanges != 1 {
		t.Errorf("changes at %v (%d voided), want %v (1 voided: index 14)", gotChanges, r.VoidedChanges, wantChanges)
	}
	if c := r.Changes[0]; c.Kind != "registry-change" || c.Subject != "fr-bepi" || c.Jurisdiction != "FR" || c.KeyFingerprint != fpA || c.Action != "put" {
		t.Errorf("key change = %+v", c)
	}
	if c := r.Changes[1]; c.Kind != "pack-change" || c.Subject != "gdsi" || c.Version != "2026.11.0" {
		t.Errorf("pack change = %+v", c)
	}
	if c := r.Changes[3]; c.Kind != "catalog-change" || c.Subject != "crm-eu" || c.Location != "FR" || c.Digest != fpA || c.Action != "put" {
		t.Errorf("catalog change = %+v", c)
	}
	wantCounts := []ChangeCount{
		{Kind: "catalog-change", Subject: "crm-eu", Changes: 1, Indices: []uint64{18}},
		{Kind: "pack-change", Subject: "gdsi", Changes: 1, Indices: []uint64{13}},
		{Kind: "registry-change", Subject: "fr-bepi", Changes: 2, Indices: []uint64{12, 16}},
	}
	if !reflect.DeepEqual(r.ChangeCounts, wantCounts) {
		t.Errorf("change counts:\n got %+v\nwant %+v", r.ChangeCounts, wantCounts)
	}
	if empty := Build(p, nil); empty.Changes == nil || empty.ChangeCounts == nil {
		t.Error("an empty report's changes must be empty lists, not null")
	}
	var buf bytes.Buffer
	if err := Write(&buf, Build(p, nil), "json", locale.For("en")); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("null")) {
		t.Errorf("an empty report holds null: %s", buf.Bytes())
	}
	if r.EntriesRead != 20 {
		t.Errorf("entries read = %d", r.EntriesRead)
	}
}

func TestWriteGolden(t *testing.T) {
	p, _ := ParsePeriod("2026-H2")
	r := Build(p, fixture())
	for _, tag := range locale.Report {
		lang := tag.String()
		for _, format := range Formats {
			var buf bytes.Buffer
			if err := Write(&buf, r, format, locale.For(lang)); err != nil {
				t.Fatalf("%s %s: %v", lang, format, err)
			}
			golden := filepath.Join("testdata", "report."+lang+"."+format)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/report -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from the golden file:\n%s", golden, buf.Bytes())
			}
		}
	}
	if err := Write(&bytes.Buffer{}, r, "pdf", locale.For("en")); err == nil {
		t.Error("Write with format pdf succeeded, want error")
	}
}

// TestReadsSelectsWhatBuildCounts builds the report from the entries Reads
// selects (in their canonical bytes) and from all of them: the same report,
// but for the count of entries read. The company's own access is left out.
func TestReadsSelectsWhatBuildCounts(t *testing.T) {
	p, _ := ParsePeriod("2026-H2")
	all := fixture()
	var picked []Logged
	for _, l := range all {
		e := l.Entry
		e.Version = ledger.EntryVersion
		e.RecordHash = strings.Repeat("ab", 32)
		raw, err := e.Marshal()
		if err != nil {
			t.Fatalf("entry %d: %v", l.Index, err)
		}
		if Reads(raw) {
			picked = append(picked, l)
		} else if l.Index != 6 {
			t.Errorf("Reads leaves out entry %d: %s", l.Index, raw)
		}
	}
	if len(picked) != len(all)-1 {
		t.Fatalf("Reads picked %d of %d entries, want all but the company's", len(picked), len(all))
	}
	full, part := Build(p, all), Build(p, picked)
	full.EntriesRead, part.EntriesRead = 0, 0
	if !reflect.DeepEqual(full, part) {
		t.Errorf("report from the selected entries differs:\n got %+v\nwant %+v", part, full)
	}
}

// fullFixture is fixture with an advisory and its notice, so that every
// section of the report is drawn.
func fullFixture() []Logged {
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	pub := int64(3 * 3600 * 1e9)
	return append(fixture(),
		Logged{Index: 30, Entry: ledger.Entry{Kind: ledger.KindAdvisory, Action: "publish", Subject: "acme", Severity: "critical", Rules: []string{"gdsi8-forced-upgrade"}, Time: day}},
		Logged{Index: 31, Entry: ledger.Entry{Kind: ledger.KindNotice, Subject: "acme", Severity: "critical", Outcome: "delivered", SincePublished: &pub, Time: day}},
	)
}

// TestReportLanguages: the report is complete in each of the six UN
// languages (no sentence falls back to English), Arabic is laid out right
// to left, and counts are written as each language writes numbers in HTML
// while CSV keeps digits for programs.
func TestReportLanguages(t *testing.T) {
	p, _ := ParsePeriod("2026-H2")
	r := Build(p, fullFixture())
	if len(r.Vendors) == 0 || len(r.Changes) == 0 || r.AnsweredCases == 0 {
		t.Fatalf("the fixture does not draw every section: %+v", r)
	}
	r.Checkpoint = &Checkpoint{Origin: "accord.example/test", Size: 32, RootHash: "AAAA", Note: "accord.example/test\n32\nAAAA\n"}
	r.Rows[0].SubjectsRequested = 50000
	for _, tag := range locale.Report {
		lang := tag.String()
		pr := locale.For(lang)
		var html, csv bytes.Buffer
		if err := Write(&html, r, "html", pr); err != nil {
			t.Fatal(err)
		}
		if err := Write(&csv, r, "csv", pr); err != nil {
			t.Fatal(err)
		}
		if m := pr.Missing(); len(m) > 0 {
			t.Errorf("%s: the report prints these in English: %q", lang, m)
		}
		wantDir := map[string]string{"ar": "rtl"}[lang]
		if wantDir == "" {
			wantDir = "ltr"
		}
		if head := `<html lang="` + lang + `" dir="` + wantDir + `">`; !strings.Contains(html.String(), head) {
			t.Errorf("%s: no %s in the HTML report", lang, head)
		}
		if n := pr.Number(50000); !strings.Contains(html.String(), "<td>"+n+"</td>") {
			t.Errorf("%s: 50000 subjects not written %q in HTML", lang, n)
		}
		if !strings.Contains(csv.String(), ",50000,") {
			t.Errorf("%s: CSV does not keep 50000 as digits:\n%s", lang, csv.String())
		}
		for _, bad := range []string{"h0m0s", "2026-07-01 ", "1 decisions"} {
			if strings.Contains(html.String(), bad) {
				t.Errorf("%s: %q in the HTML report", lang, bad)
			}
		}
	}
}
