package report

import (
	"slices"
	"sort"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
)

// TimeLimit is a dated, cited limit on the time from a vulnerability's
// discovery to users being told, against which notices are counted.
type TimeLimit struct {
	// ID names the limit in the report.
	ID string `json:"id"`
	// Limit is the time allowed.
	Limit time.Duration `json:"limit_ns"`
	// Severities are the advisory severities it applies to.
	Severities []string `json:"severities"`
	// Source cites where the limit comes from, and its date.
	Source string `json:"source"`
}

// DefaultTimeLimits are the limits the report counts against: the EU Cyber
// Resilience Act's early warning within 24 hours for actively exploited
// vulnerabilities, applied to critical and high advisories, and Accord's
// default of 7 days for the others.
var DefaultTimeLimits = []TimeLimit{
	{ID: "eu-cra-art14-early-warning", Limit: 24 * time.Hour, Severities: []string{"critical", "high"},
		Source: "Regulation (EU) 2024/2847 (Cyber Resilience Act) of 23 October 2024, Article 14(2)(a): early warning within 24 hours; applies from 11 September 2026"},
	{ID: "accord-default", Limit: 7 * 24 * time.Hour, Severities: []string{"medium", "low", "none"},
		Source: "Accord default, 2026-12-01: one week for advisories that are not serious"},
}

// VendorRow is one vendor's advisories and notices in the period (GDSI
// commitment 8: « informer rapidement »).
type VendorRow struct {
	// Vendor is the vendor principal id (the subject of its entries).
	Vendor string `json:"vendor"`
	// Advisories counts the advisories it published in the period;
	// Serious those of severity critical or high; Flagged those the
	// remedy lint flagged.
	Advisories int `json:"advisories"`
	Serious    int `json:"serious"`
	Flagged    int `json:"flagged"`
	// Delivered and Undelivered count notice outcomes in the period.
	Delivered   int `json:"delivered"`
	Undelivered int `json:"undelivered"`
	// MedianNotice and P95Notice are the times from publication to
	// delivered notices of serious advisories.
	MedianNotice time.Duration `json:"median_notice_ns"`
	P95Notice    time.Duration `json:"p95_notice_ns"`
	// MedianSinceDiscovery is the time from the vendor's stated discovery
	// to delivered notices of serious advisories (those that state one).
	MedianSinceDiscovery time.Duration `json:"median_since_discovery_ns"`
	// OverLimit counts notices (delivered or not) later than the limit for
	// their severity, counted from discovery when stated, else from
	// publication.
	OverLimit int `json:"over_limit"`
}

func serious(sev string) bool { return sev == "critical" || sev == "high" }

func limitFor(limits []TimeLimit, sev string) (time.Duration, bool) {
	for _, l := range limits {
		if slices.Contains(l.Severities, sev) {
			return l.Limit, true
		}
	}
	return 0, false
}

// quantile is the q-quantile of sorted ds (nearest rank).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(q*float64(len(ds))+0.999999) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// vendorRows builds the per-vendor section from advisory and notice
// entries in the period; voided entries are left out.
func vendorRows(period Period, entries []Logged, voided map[uint64]bool, limits []TimeLimit) []VendorRow {
	rows := map[string]*VendorRow{}
	pub := map[string][]time.Duration{}
	disc := map[string][]time.Duration{}
	row := func(v string) *VendorRow {
		if rows[v] == nil {
			rows[v] = &VendorRow{Vendor: v}
		}
		return rows[v]
	}
	for _, l := range entries {
		e := &l.Entry
		if e.Time.Before(period.From) || !e.Time.Before(period.To) || voided[l.Index] || e.Subject == "" {
			continue
		}
		switch {
		case e.Kind == ledger.KindAdvisory && e.Action == "publish":
			r := row(e.Subject)
			r.Advisories++
			if serious(e.Severity) {
				r.Serious++
			}
			if len(e.Rules) > 0 {
				r.Flagged++
			}
		case e.Kind == ledger.KindNotice:
			r := row(e.Subject)
			if e.Outcome == "delivered" {
				r.Delivered++
			} else {
				r.Undelivered++
			}
			var since time.Duration
			if e.SincePublished != nil {
				since = time.Duration(*e.SincePublished) * time.Second
			}
			from := since
			if e.SinceDiscovered != nil {
				from = time.Duration(*e.SinceDiscovered) * time.Second
			}
			if lim, ok := limitFor(limits, e.Severity); ok && (from > lim || e.Outcome != "delivered") {
				r.OverLimit++
			}
			if e.Outcome == "delivered" && serious(e.Severity) {
				pub[e.Subject] = append(pub[e.Subject], since)
				if e.SinceDiscovered != nil {
					disc[e.Subject] = append(disc[e.Subject], from)
				}
			}
		}
	}
	var out []VendorRow
	for v, r := range rows {
		slices.Sort(pub[v])
		slices.Sort(disc[v])
		r.MedianNotice, r.P95Notice = quantile(pub[v], 0.5), quantile(pub[v], 0.95)
		r.MedianSinceDiscovery = quantile(disc[v], 0.5)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Vendor < out[j].Vendor })
	return out
}
