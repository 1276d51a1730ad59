package console

import (
	"bytes"
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/accord-dev/accord/internal/report"
)

// reportsPage is the data of the Reports page.
type reportsPage struct {
	Period  string
	Report  *report.Report
	Charts  []*chart
	Channel []string
	Export  map[string]string
	Columns [][2]string
	// Key is the log's verifier key the report's checkpoint verifies with.
	Key string
}

// outcomeSeries are the outcome series of every chart, in one order.
func outcomeSeries(v *view) []series {
	return []series{{v.T("disclosed"), "s-allow"}, {v.T("refused"), "s-deny"}, {v.T("pending"), "s-pending"}}
}

// reports draws the transparency report of a period with its charts:
// requests by state and channel, outcomes, a monthly trend and, once
// advisories exist, the time to notice.
func (c *Console) reports(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Reports"), "reports"
	q := r.URL.Query()
	period := q.Get("period")
	if period == "" {
		period = strconv.Itoa(c.cfg.Now().UTC().Year())
	}
	d := &reportsPage{Period: period, Export: map[string]string{}, Key: c.cfg.VerifierKey}
	v.Data = d
	errs := map[string]string{}
	for k := range q {
		if k != "period" && k != "lang" {
			errs["form"] = v.T("unknown parameter %q", k)
		}
	}
	p, err := report.ParsePeriod(period)
	if err != nil {
		errs["period"] = v.T("must be a year (2026), a half (2026-H2), a quarter (2026-Q3), a month (2026-11) or all")
	}
	if c.badFilters(w, v, "reports", errs) {
		return
	}
	var rep report.Report
	err = c.getJSON(r, s, "/v1/reports/transparency", url.Values{"period": {period}, "format": {"json"}}, &rep)
	var ae *apiError
	switch {
	case errors.Is(err, errSignedOut):
		c.toSignin(w, r, "ended")
		return
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		v.Error = v.T("Transparency reports are for auditors; your role may not read them.")
		c.render(w, http.StatusForbidden, "reports", v)
		return
	case err != nil:
		c.fail(w, v, err)
		return
	}
	d.Report = &rep
	for _, f := range []string{"html", "csv", "json"} {
		d.Export[f] = "/console/reports/export?" + url.Values{"period": {period}, "format": {f}, "lang": {v.Lang}}.Encode()
	}
	// Requests by state and channel.
	channels := []string{}
	for _, row := range rep.Rows {
		if !slices.Contains(channels, row.Channel) {
			channels = append(channels, row.Channel)
		}
	}
	sort.Strings(channels)
	d.Channel = channels
	var ss []series
	for i, ch := range channels {
		ss = append(ss, series{Name: v.T(ch), Class: "s" + strconv.Itoa(i%6)})
	}
	byState := map[string][]int{}
	var states []string
	for _, row := range rep.Rows {
		if _, ok := byState[row.State]; !ok {
			byState[row.State] = make([]int, len(channels))
			states = append(states, row.State)
		}
		byState[row.State][slices.Index(channels, row.Channel)] += row.Requests
	}
	var rows []barRow
	for _, st := range states {
		rows = append(rows, barRow{Label: st, Values: byState[st]})
	}
	d.Charts = append(d.Charts, stackedBars("by-state", v.T("Requests by state and channel"),
		v.T("Horizontal bars, one per requesting state, split by channel; the same figures are in the table below."), ss, rows, v.Num))
	// Outcomes.
	t := rep.Totals
	d.Charts = append(d.Charts, stackedBars("outcomes", v.T("Outcomes"),
		v.T("One bar split into disclosed, refused and pending decisions; the same figures are in the table below."),
		outcomeSeries(v), []barRow{{Label: v.T("total"), Values: []int{t.Disclosed, t.Refused, t.Pending}}}, v.Num))
	// Monthly trend over the months of the period (at most 12, not for
	// "all" nor beyond today).
	var months []barRow
	now := c.cfg.Now().UTC()
	for m := p.From; m.Before(p.To) && !m.After(now) && len(months) < 12 && period != "all"; m = m.AddDate(0, 1, 0) {
		name := m.Format("2006-01")
		var mr report.Report
		if name == period {
			mr = rep
		} else if err := c.getJSON(r, s, "/v1/reports/transparency", url.Values{"period": {name}, "format": {"json"}}, &mr); err != nil {
			break
		}
		months = append(months, barRow{Label: name, Values: []int{mr.Totals.Requests}})
	}
	if len(months) > 0 {
		d.Charts = append(d.Charts, columns("trend", v.T("Monthly trend"), v.T("One column per month: the number of requests."), months, "s0", v.Num))
	}
	// Time to notice, once advisories exist.
	if len(rep.Vendors) > 0 {
		var vr []barRow
		for _, vd := range rep.Vendors {
			vr = append(vr, barRow{Label: vd.Vendor, Values: []int{int(vd.MedianNotice / time.Minute)}})
		}
		d.Charts = append(d.Charts, stackedBars("notice", v.T("Time to notice (median minutes)"),
			v.T("One bar per vendor: the median minutes from publishing a serious advisory to a delivered notice."),
			[]series{{v.T("minutes"), "s3"}}, vr, v.Num))
	}
	d.Columns = [][2]string{
		{v.T("requesting state"), v.T("the state whose authority or company asked")},
		{v.T("channel"), v.T("how it asked: mutual legal assistance, an agreement, an emergency, or a direct order")},
		{v.T("requests"), v.T("binding decisions logged in the period")},
		{v.T("subjects requested"), v.T("data subjects the requests named")},
		{v.T("subjects disclosed"), v.T("data subjects of allowed requests, less those of third states left out")},
		{v.T("disclosed"), v.T("decisions that allowed")},
		{v.T("refused"), v.T("decisions that denied")},
		{v.T("pending"), v.T("decisions that wait for an authorization or a measure")},
		{v.T("third-state excluded"), v.T("decisions in which data of a third state was left out")},
	}
	c.render(w, http.StatusOK, "reports", v)
}

// exportReport sends the report as the API writes it (HTML, CSV or JSON)
// in the page's language, as a download.
func (c *Console) exportReport(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Reports"), "reports"
	q := r.URL.Query()
	format := q.Get("format")
	if !slices.Contains([]string{"html", "csv", "json"}, format) {
		v.Errors = map[string]string{"format": v.T("must be one of: %s", "html, csv, json")}
		v.Error = "format: " + v.Errors["format"]
		c.render(w, http.StatusBadRequest, "error", v)
		return
	}
	if _, err := report.ParsePeriod(q.Get("period")); err != nil {
		v.Error = "period: " + v.T("must be a year (2026), a half (2026-H2), a quarter (2026-Q3), a month (2026-11) or all")
		c.render(w, http.StatusBadRequest, "error", v)
		return
	}
	rec, err := c.call(r, s.token, http.MethodGet, "/v1/reports/transparency", url.Values{"period": {q.Get("period")}, "format": {format}, "lang": {v.Lang}}, nil, nil)
	if err != nil {
		if errors.Is(err, errSignedOut) {
			c.toSignin(w, r, "ended")
			return
		}
		c.fail(w, v, err)
		return
	}
	w.Header().Set("Content-Type", rec.hdr.Get("Content-Type"))
	w.Header().Set("Content-Disposition", "attachment; filename=\"transparency-"+q.Get("period")+"-"+v.Lang+"."+format+"\"")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(rec.body.Bytes())
}

// flowsPage is the data of the Flows page.
type flowsPage struct {
	Form   map[string]string
	Chart  *chart
	From   []string
	To     []string
	Cells  map[string][3]int
	Count  int
	Capped bool
	Export string
	// Unavailable is set when the server has no decision listing.
	Unavailable bool
}

// maxFlowDecisions bounds the decisions one Flows page reads.
const maxFlowDecisions = 10000

// flows draws state-to-state flows (requesting state to data location)
// by outcome over a period, as a matrix in inline SVG and a table.
func (c *Console) flows(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Flows"), "flows"
	api, form, errs := readFilters(v, r, "format")
	format := r.URL.Query().Get("format")
	if format != "" && format != "csv" {
		errs["format"] = v.T("must be one of: %s", "csv")
	}
	for _, k := range []string{"page_token", "page_size"} {
		if form[k] != "" {
			errs[k] = v.T("unknown parameter %q", k)
		}
	}
	if form["since"] == "" {
		since := c.cfg.Now().UTC().AddDate(0, 0, -90).Format(time.DateOnly)
		form["since"] = since
		api.Set("since", since+"T00:00:00Z")
	}
	d := &flowsPage{Form: form, Cells: map[string][3]int{}}
	v.Data = d
	if c.badFilters(w, v, "flows", errs) {
		return
	}
	api.Set("page_size", "500")
	from, to := map[string]bool{}, map[string]bool{}
	for d.Count < maxFlowDecisions {
		var list summaryList
		err := c.getJSON(r, s, "/v1/decisions", api, &list)
		var ae *apiError
		switch {
		case errors.Is(err, errSignedOut):
			c.toSignin(w, r, "ended")
			return
		case errors.As(err, &ae) && (ae.Status == http.StatusMethodNotAllowed || ae.Status == http.StatusNotFound):
			d.Unavailable = true
			v.Error = v.T("This server has no decision listing (GET /v1/decisions), so flows cannot be drawn.")
			c.render(w, http.StatusOK, "flows", v)
			return
		case err != nil:
			c.fail(w, v, err)
			return
		}
		for _, sm := range list.Decisions {
			if sm.RequestingState == "" || sm.Location == "" {
				continue
			}
			k := sm.RequestingState + ">" + sm.Location
			cell := d.Cells[k]
			switch sm.Outcome {
			case "allow":
				cell[0]++
			case "deny":
				cell[1]++
			default:
				cell[2]++
			}
			d.Cells[k] = cell
			from[sm.RequestingState], to[sm.Location] = true, true
			d.Count++
		}
		if list.NextPageToken == "" {
			break
		}
		api.Set("page_token", list.NextPageToken)
	}
	d.Capped = d.Count >= maxFlowDecisions
	for k := range from {
		d.From = append(d.From, k)
	}
	for k := range to {
		d.To = append(d.To, k)
	}
	sort.Strings(d.From)
	sort.Strings(d.To)
	if format == "csv" {
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		_ = cw.Write([]string{"requesting_state", "location", "allow", "deny", "pending"})
		for _, f := range d.From {
			for _, t := range d.To {
				if cell, ok := d.Cells[f+">"+t]; ok {
					_ = cw.Write([]string{f, t, strconv.Itoa(cell[0]), strconv.Itoa(cell[1]), strconv.Itoa(cell[2])})
				}
			}
		}
		cw.Flush()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", "attachment; filename=\"flows.csv\"")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(buf.Bytes())
		return
	}
	classes := []string{"s-allow", "s-deny", "s-pending"}
	d.Chart = matrix("flows", v.T("Flows from requesting state to data location"),
		v.T("A grid: rows are requesting states, columns data locations; a circle's area grows with the number of decisions, its colour is the most frequent outcome. The same figures are in the table below."),
		d.From, d.To, func(f, t string) (int, string) {
			cell := d.Cells[f+">"+t]
			best := 0
			for i := range cell {
				if cell[i] > cell[best] {
					best = i
				}
			}
			return cell[0] + cell[1] + cell[2], classes[best]
		}, v.Num)
	exp := r.URL.Query()
	exp.Del("lang")
	exp.Set("format", "csv")
	exp.Set("since", form["since"])
	d.Export = "/console/flows?" + exp.Encode()
	c.render(w, http.StatusOK, "flows", v)
}
