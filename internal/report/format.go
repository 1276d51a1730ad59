package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"

	"github.com/accord-dev/accord/internal/locale"
)

// Formats lists the output formats Write knows.
var Formats = []string{"json", "csv", "html"}

// Write writes r in format (json, csv or html), with headings and labels in
// the language of p. JSON keys are not translated: they are for programs.
// CSV holds one table, the lawful-access rows; the registry and pack
// changes are in JSON and HTML.
func Write(w io.Writer, r *Report, format string, p *locale.Printer) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		return writeCSV(w, r, p)
	case "html":
		return writeHTML(w, r, p)
	}
	return fmt.Errorf("report format %q: want one of %v", format, Formats)
}

// columns are the translated headings of a row, in order.
func columns(p *locale.Printer) []string {
	return []string{
		p.Sprintf("requesting state"), p.Sprintf("channel"), p.Sprintf("requests"),
		p.Sprintf("subjects requested"), p.Sprintf("subjects disclosed"), p.Sprintf("records requested"),
		p.Sprintf("disclosed"), p.Sprintf("refused"), p.Sprintf("pending"), p.Sprintf("third-state excluded"),
		p.Sprintf("log indices"),
	}
}

// cells are the cells of a row for CSV: numbers as digits, for programs.
func cells(p *locale.Printer, row *Row) []string {
	return rowCells(p, row, func(n int64) string { return strconv.FormatInt(n, 10) })
}

// displayCells are the cells of a row for people: numbers as the language
// writes them (12 000 in French).
func displayCells(p *locale.Printer, row *Row) []string {
	return rowCells(p, row, p.Number)
}

func rowCells(p *locale.Printer, row *Row, num func(int64) string) []string {
	idx := ""
	for i, n := range row.Indices {
		if i > 0 {
			idx += " "
		}
		idx += strconv.FormatUint(n, 10)
	}
	return []string{
		row.State, channelName(p, row.Channel), num(int64(row.Requests)),
		num(row.SubjectsRequested), num(row.SubjectsDisclosed), num(row.RecordsRequested),
		num(int64(row.Disclosed)), num(int64(row.Refused)), num(int64(row.Pending)), num(int64(row.ThirdStateExcluded)),
		idx,
	}
}

func writeCSV(w io.Writer, r *Report, p *locale.Printer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(columns(p))
	for i := range r.Rows {
		_ = cw.Write(cells(p, &r.Rows[i]))
	}
	_ = cw.Write(cells(p, &r.Totals))
	cw.Flush()
	return cw.Error()
}

// changeColumns are the translated headings of a registry or pack change.
func changeColumns(p *locale.Printer) []string {
	return []string{
		p.Sprintf("change"), p.Sprintf("subject"), p.Sprintf("state"), p.Sprintf("action"), p.Sprintf("version"),
		p.Sprintf("key fingerprint"), p.Sprintf("digest"), p.Sprintf("time"), p.Sprintf("log index"),
	}
}

func changeCells(p *locale.Printer, c *Change) []string {
	action := c.Action
	if action != "" {
		action = p.Sprintf(action)
	}
	state := c.Jurisdiction
	if state == "" {
		state = c.Location
	}
	return []string{
		p.Sprintf(c.Kind), c.Subject, state, action, c.Version,
		c.KeyFingerprint, c.Digest, c.Time.UTC().Format(time.RFC3339), strconv.FormatUint(c.Index, 10),
	}
}

// countCells are the cells of a ChangeCount: kind, subject, count, indices.
func countCells(p *locale.Printer, c *ChangeCount) []string {
	idx := ""
	for i, n := range c.Indices {
		if i > 0 {
			idx += " "
		}
		idx += strconv.FormatUint(n, 10)
	}
	return []string{p.Sprintf(c.Kind), c.Subject, p.Number(int64(c.Changes)), idx}
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}" dir="{{.Dir}}">
<head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;text-align:end}td:first-child,th{text-align:start}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Span}}</p>
<table>
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
<tfoot><tr>{{range .Totals}}<th>{{.}}</th>{{end}}</tr></tfoot>
</table>
<p>{{.Median}}</p>
<p>{{.Trace}}</p>
{{if .Pinned}}<p>{{.Pinned}}</p>
<pre>{{.Note}}</pre>
{{end}}<h2>{{.ChangesTitle}}</h2>
<p>{{.ChangesNote}}</p>
{{if .Changes}}<table>
<thead><tr>{{range .CountColumns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Counts}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
<table>
<thead><tr>{{range .ChangeColumns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Changes}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{end}}
{{if .Vendors}}<h2>{{.VendorsTitle}}</h2>
<table>
<thead><tr>{{range .VendorColumns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Vendors}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
<ul>{{range .Limits}}<li>{{.}}</li>{{end}}</ul>
{{end}}</body>
</html>
`))

func writeHTML(w io.Writer, r *Report, p *locale.Printer) error {
	rows := make([][]string, len(r.Rows))
	for i := range r.Rows {
		rows[i] = displayCells(p, &r.Rows[i])
	}
	totals := displayCells(p, &r.Totals)
	totals[0], totals[1] = p.Sprintf("total"), ""
	median := p.Sprintf("no MLA case answered in this period")
	if r.AnsweredCases > 0 {
		median = p.Sprintf("median time to answer an MLA case: %s (%d cases)", p.Duration(r.MedianAnswer), r.AnsweredCases)
	}
	changes := make([][]string, len(r.Changes))
	for i := range r.Changes {
		changes[i] = changeCells(p, &r.Changes[i])
	}
	counts := make([][]string, len(r.ChangeCounts))
	for i := range r.ChangeCounts {
		counts[i] = countCells(p, &r.ChangeCounts[i])
	}
	note := p.Sprintf("No registry, pack or catalog change was logged in this period.")
	if len(r.Changes) > 0 {
		note = p.Sentences(p.Sprintf("%d registry, pack or catalog changes were logged in this period, each before it took effect.", len(r.Changes)),
			p.Sprintf("%d voided changes left out.", r.VoidedChanges))
	}
	pinned, signed := "", ""
	if cp := r.Checkpoint; cp != nil {
		pinned = p.Sprintf("Computed from the log %s at its checkpoint of %d entries, root hash %s; the signed checkpoint:", cp.Origin, int64(cp.Size), cp.RootHash)
		signed = cp.Note
	}
	vendors := make([][]string, len(r.Vendors))
	for i, v := range r.Vendors {
		vendors[i] = []string{v.Vendor, p.Number(int64(v.Advisories)), p.Number(int64(v.Serious)), p.Number(int64(v.Flagged)),
			p.Number(int64(v.Delivered)), p.Number(int64(v.Undelivered)), noticeTime(p, v.MedianNotice, v.Delivered),
			noticeTime(p, v.P95Notice, v.Delivered), p.Number(int64(v.OverLimit))}
	}
	var limits []string
	for _, l := range r.TimeLimits {
		sev := make([]string, len(l.Severities))
		for i, s := range l.Severities {
			sev[i] = p.Sprintf("severity " + s)
		}
		limits = append(limits, p.Sprintf("time limit %[1]s: %[2]s for advisories of severity %[3]s (%[4]s)", l.ID, p.Duration(l.Limit), p.List(sev), l.Source))
	}
	return page.Execute(w, map[string]any{
		"Vendors":      vendors,
		"VendorsTitle": p.Sprintf("Security advisories (GDSI commitment 8)"),
		"VendorColumns": []string{p.Sprintf("vendor"), p.Sprintf("advisories"), p.Sprintf("serious"), p.Sprintf("flagged: forced upgrade or no remedy"),
			p.Sprintf("notices delivered"), p.Sprintf("notices undelivered"), p.Sprintf("median time to notice"), p.Sprintf("p95 time to notice"), p.Sprintf("over the time limit")},
		"Limits":        limits,
		"Pinned":        pinned,
		"Note":          signed,
		"ChangesTitle":  p.Sprintf("Registry, pack and catalog changes"),
		"ChangesNote":   note,
		"CountColumns":  []string{p.Sprintf("change"), p.Sprintf("subject"), p.Sprintf("changes"), p.Sprintf("log indices")},
		"Counts":        counts,
		"ChangeColumns": changeColumns(p),
		"Changes":       changes,
		"Lang":          p.Tag().String(),
		"Dir":           p.Dir(),
		"Title":         p.Sprintf("Transparency report %s", r.Period),
		"Span":          span(p, r),
		"Columns":       columns(p),
		"Rows":          rows,
		"Totals":        totals,
		"Median":        median,
		"Trace": p.Sentences(p.Sprintf("Every figure lists the log indices it counts."), p.Sprintf("%d log entries read.", int64(r.EntriesRead)),
			p.Sprintf("%d voided decisions left out.", int64(r.Voided))),
	})
}

// span says which decisions the report counts, with the period's dates in
// prose; the period "all" has no dates.
func span(p *locale.Printer, r *Report) string {
	if r.Period == "all" {
		return p.Sprintf("Lawful-access requests decided at any time, counted from the transparency log.")
	}
	return p.Sprintf("Lawful-access requests decided from %s to %s (exclusive), counted from the transparency log.", p.Date(r.From), p.Date(r.To))
}

// noticeTime is a time to notice, or a dash when no notice was delivered
// (the median of nothing is not zero).
func noticeTime(p *locale.Printer, d time.Duration, delivered int) string {
	if delivered == 0 || d == 0 {
		return "—"
	}
	return p.Duration(d)
}

// channelName is a channel in the reader's language; "*" (every channel,
// in totals) stays as it is.
func channelName(p *locale.Printer, c string) string {
	if c == "*" {
		return c
	}
	return p.Sprintf(c)
}
