package report

import (
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
)

func TestVendorRows(t *testing.T) {
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	period := Period{Name: "2026-11", From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	secs := func(d time.Duration) *int64 { n := int64(d / time.Second); return &n }
	adv := func(i uint64, vendor, sev string, rules ...string) Logged {
		return Logged{Index: i, Entry: ledger.Entry{Kind: ledger.KindAdvisory, Action: "publish", Subject: vendor, Severity: sev, Rules: rules, Time: day}}
	}
	notice := func(i uint64, vendor, sev, outcome string, pub, disc time.Duration) Logged {
		e := ledger.Entry{Kind: ledger.KindNotice, Subject: vendor, Severity: sev, Outcome: outcome, Time: day, SincePublished: secs(pub)}
		if disc > 0 {
			e.SinceDiscovered = secs(disc)
		}
		return Logged{Index: i, Entry: e}
	}
	ref := uint64(9)
	entries := []Logged{
		adv(1, "acme", "critical"), adv(2, "acme", "high", "gdsi8-forced-upgrade"), adv(3, "acme", "low"), adv(4, "globex", "high"),
		notice(5, "acme", "critical", "delivered", 10*time.Second, 48*time.Hour), // late against the CRA's 24 h, from discovery
		notice(6, "acme", "critical", "delivered", 30*time.Second, 0),
		notice(7, "acme", "high", "delivered", 20*time.Second, 2*time.Hour),
		notice(8, "acme", "high", "failed", time.Hour, 0), // undelivered: over the limit
		notice(9, "globex", "high", "delivered", time.Second, 0),
		{Index: 10, Entry: ledger.Entry{Kind: ledger.KindVoid, Refers: &ref, Time: day}},
		notice(11, "acme", "low", "delivered", 8*24*time.Hour, 0),                                                                          // over the 7-day default
		{Index: 12, Entry: ledger.Entry{Kind: ledger.KindAdvisory, Action: "publish", Subject: "acme", Severity: "high", Time: period.To}}, // outside
	}
	r := Build(period, entries)
	want := []VendorRow{
		{Vendor: "acme", Advisories: 3, Serious: 2, Flagged: 1, Delivered: 4, Undelivered: 1,
			MedianNotice: 20 * time.Second, P95Notice: 30 * time.Second, MedianSinceDiscovery: 2 * time.Hour, OverLimit: 3},
		{Vendor: "globex", Advisories: 1, Serious: 1}, // its only notice is voided
	}
	if len(r.Vendors) != len(want) || r.Vendors[0] != want[0] || r.Vendors[1] != want[1] {
		t.Fatalf("vendors:\n got %+v\nwant %+v", r.Vendors, want)
	}
	if len(r.TimeLimits) != 2 || r.TimeLimits[0].Limit != 24*time.Hour {
		t.Errorf("limits: %+v", r.TimeLimits)
	}
	raw := []byte(`{"kind":"notice","outcome":"delivered"}`)
	if !Reads(raw) || !Reads([]byte(`{"kind":"advisory"}`)) {
		t.Error("Reads skips advisory or notice entries")
	}
}

func TestVendorSectionHTML(t *testing.T) {
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	period := Period{Name: "2026-11", From: day.AddDate(0, 0, -2), To: day.AddDate(0, 1, 0)}
	pub := int64(42)
	r := Build(period, []Logged{
		{Index: 1, Entry: ledger.Entry{Kind: ledger.KindAdvisory, Action: "publish", Subject: "acme", Severity: "critical", Rules: []string{"gdsi8-forced-upgrade"}, Time: day}},
		{Index: 2, Entry: ledger.Entry{Kind: ledger.KindNotice, Subject: "acme", Severity: "critical", Outcome: "delivered", SincePublished: &pub, Time: day}},
	})
	for _, lang := range []string{"en", "fr"} {
		var b strings.Builder
		if err := Write(&b, r, "html", locale.For(lang)); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"en": "Security advisories (GDSI commitment 8)", "fr": "Avis de sécurité (engagement 8 de la GDSI)"}[lang]
		secs := map[string]string{"en": "42 seconds", "fr": "42 secondes"}[lang] // words, not Go's "42s"
		for _, s := range []string{want, "<td>acme</td><td>1</td><td>1</td><td>1</td><td>1</td><td>0</td><td>" + secs + "</td>", "Regulation (EU) 2024/2847"} {
			if !strings.Contains(b.String(), s) {
				t.Errorf("%s: no %q in\n%s", lang, s, b.String())
			}
		}
	}
}
