package console

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/report"
)

// table is a generic table: a caption, column heads and rows of cells.
type table struct {
	Columns []string
	Rows    [][]string
}

// logPage is the data of the Log page.
type logPage struct {
	Checkpoint string
	Origin     string
	Size       string
	Root       string
	Key        string
	// Signers are the names that signed the checkpoint: the log, then
	// witnesses.
	Signers   []signer
	Changes   table
	Audit     *report.Report
	AuditAt   time.Time
	AuditNote string
	AuditErr  string
}

type signer struct {
	Name    string
	Witness bool
}

// logPageView draws the log's checkpoint, key, witnesses, registry
// changes and, for auditors, a full audit.
func (c *Console) logPage(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Log"), "log"
	if _, _, errs := readFilters(v, r); len(errs) > 0 {
		v.Errors, v.Error = errs, errs["form"]
		c.render(w, http.StatusBadRequest, "error", v)
		return
	}
	d := &logPage{Key: c.cfg.VerifierKey}
	v.Data = d
	rec, err := c.call(r, "", http.MethodGet, "/log/checkpoint", nil, nil, http.Header{"Accept": {"text/plain"}})
	if err == nil {
		d.Checkpoint = rec.body.String()
		lines := strings.Split(d.Checkpoint, "\n")
		if len(lines) >= 3 {
			d.Origin, d.Size, d.Root = lines[0], lines[1], lines[2]
		}
		if i := strings.Index(d.Checkpoint, "\n\n"); i >= 0 {
			for _, l := range strings.Split(d.Checkpoint[i+2:], "\n") {
				name, _, ok := strings.Cut(strings.TrimPrefix(l, "\u2014 "), " ")
				if ok && strings.HasPrefix(l, "\u2014 ") {
					d.Signers = append(d.Signers, signer{Name: name, Witness: name != d.Origin})
				}
			}
		}
	}
	var changes struct {
		Changes []struct {
			LogIndex uint64 `json:"log_index"`
			Kind     string `json:"kind"`
			ID       string `json:"id"`
			Action   string `json:"action"`
			Digest   string `json:"digest"`
			Time     string `json:"time"`
		} `json:"changes"`
	}
	if err := c.getJSON(r, s, "/v1/registry/changes", url.Values{"page_size": {"100"}}, &changes); err != nil {
		if errors.Is(err, errSignedOut) {
			c.toSignin(w, r, "ended")
			return
		}
		d.Changes.Columns = []string{v.T("error")}
		d.Changes.Rows = [][]string{{err.Error()}}
	} else {
		d.Changes.Columns = []string{v.T("log index"), v.T("time"), v.T("kind"), v.T("id"), v.T("action"), v.T("digest")}
		for _, ch := range changes.Changes {
			dg := ch.Digest
			if len(dg) > 16 {
				dg = dg[:16] + "…"
			}
			d.Changes.Rows = append(d.Changes.Rows, []string{v.Num(ch.LogIndex), ch.Time, ch.Kind, ch.ID, ch.Action, dg})
		}
	}
	if v.IsRole("auditor") {
		d.Audit, d.AuditAt, d.AuditErr = c.lastAudit(r, s)
	} else {
		d.AuditNote = v.T("A full audit (every entry re-hashed against the checkpoint) is run for auditors; your role sees its outcome in the transparency report.")
	}
	c.render(w, http.StatusOK, "log", v)
}

// registryKinds are the registry's kinds, in menu order.
var registryKinds = []string{"jurisdictions", "blocs", "agreements", "authorities"}

// registryPage is the data of the Registry page.
type registryPage struct {
	Kind   string
	Kinds  []string
	Table  table
	Next   string
	Export string
}

// registryPageView draws one kind of the registry with its sources and
// validity dates.
func (c *Console) registryPage(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Registry"), "registry"
	q := r.URL.Query()
	kind := q.Get("kind")
	if kind == "" {
		kind = "jurisdictions"
	}
	d := &registryPage{Kind: kind, Kinds: registryKinds}
	v.Data = d
	for k := range q {
		if k != "kind" && k != "lang" && k != "page_token" && k != "format" {
			v.Errors = map[string]string{"form": v.T("unknown parameter %q", k)}
		}
	}
	if !slices.Contains(registryKinds, kind) {
		v.Errors = map[string]string{"kind": v.T("must be one of: %s", strings.Join(registryKinds, ", "))}
	}
	api := url.Values{"page_size": {"500"}}
	if pt := q.Get("page_token"); pt != "" {
		if !tokenLike.MatchString(pt) {
			v.Errors = map[string]string{"page_token": v.T("is not a page token this list gave")}
		}
		api.Set("page_token", pt)
	}
	if c.badFilters(w, v, "registry", v.Errors) {
		return
	}
	var list struct {
		Items         []map[string]any `json:"items"`
		NextPageToken string           `json:"next_page_token"`
	}
	if q.Get("format") == "json" {
		rec, err := c.call(r, s.token, http.MethodGet, "/v1/registry/"+kind, api, nil, nil)
		if err != nil {
			if errors.Is(err, errSignedOut) {
				c.toSignin(w, r, "ended")
				return
			}
			c.fail(w, v, err)
			return
		}
		download(w, "application/json", "registry-"+kind+".json", rec.body.Bytes())
		return
	}
	if f := q.Get("format"); f != "" {
		v.Errors = map[string]string{"format": v.T("must be one of: %s", "json")}
		v.Error = "format: " + v.Errors["format"]
		c.render(w, http.StatusBadRequest, "registry", v)
		return
	}
	d.Export = "/console/registry?" + url.Values{"kind": {kind}, "format": {"json"}}.Encode()
	if err := c.getJSON(r, s, "/v1/registry/"+kind, api, &list); err != nil {
		if errors.Is(err, errSignedOut) {
			c.toSignin(w, r, "ended")
			return
		}
		c.fail(w, v, err)
		return
	}
	cols := map[string][]string{
		"jurisdictions": {"code", "names", "blocs", "source", "checked"},
		"blocs":         {"id", "name", "members", "source", "checked"},
		"agreements":    {"id", "title", "kind", "parties", "purposes", "valid_from", "valid_to", "citation", "source"},
		"authorities":   {"id", "name", "role", "jurisdiction", "public_key", "source"},
	}[kind]
	for _, col := range cols {
		d.Table.Columns = append(d.Table.Columns, v.T(strings.ReplaceAll(col, "_", " ")))
	}
	for _, it := range list.Items {
		row := make([]string, len(cols))
		for i, col := range cols {
			row[i] = cell(it[col], v.Lang)
		}
		d.Table.Rows = append(d.Table.Rows, row)
	}
	d.Next = list.NextPageToken
	c.render(w, http.StatusOK, "registry", v)
}

// cell renders one JSON value as table text: lists joined, a names map as
// the page language's name (else English), keys shortened.
func cell(x any, lang string) string {
	switch t := x.(type) {
	case nil:
		return ""
	case string:
		if len(t) > 48 && !strings.Contains(t, " ") && !strings.HasPrefix(t, "http") {
			return t[:24] + "…"
		}
		return t
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			parts = append(parts, cell(e, lang))
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		base, _, _ := strings.Cut(lang, "-")
		if n, ok := t[base].(string); ok {
			return n
		}
		if n, ok := t["en"].(string); ok {
			return n
		}
		b, _ := json.Marshal(t)
		return string(b)
	case float64:
		return fmt.Sprintf("%v", t)
	case bool:
		return fmt.Sprintf("%v", t)
	}
	return fmt.Sprint(x)
}

// mlaPage is the data of the Lawful access pages.
type mlaPage struct {
	Export  string
	Cases   []*mla.Case
	Overdue map[string]time.Duration
	Form    map[string]string
	States  []string
	Case    *mla.Case
	Next    string
}

// caseStates are the states an MLA case can be in, in order.
var caseStates = []string{string(mla.Opened), string(mla.Received), string(mla.Accepted), string(mla.Narrowed),
	string(mla.Refused), string(mla.Executed), string(mla.Closed)}

var caseID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// mlaList draws the MLA cases the user may read, filtered by state and
// status, overdue first.
func (c *Console) mlaList(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Lawful access"), "mla"
	q := r.URL.Query()
	d := &mlaPage{Form: map[string]string{"state": q.Get("state"), "status": q.Get("status")}, States: caseStates}
	v.Data = d
	errs := map[string]string{}
	for k := range q {
		if k != "state" && k != "status" && k != "lang" && k != "format" {
			errs["form"] = v.T("unknown parameter %q", k)
		}
	}
	state := strings.ToUpper(strings.TrimSpace(q.Get("state")))
	if state != "" && !stateCode.MatchString(state) {
		errs["state"] = v.T("must be a two-letter state code, such as FR")
	}
	status := q.Get("status")
	if status != "" && !slices.Contains(d.States, status) {
		errs["status"] = v.T("must be one of: %s", strings.Join(d.States, ", "))
	}
	if c.badFilters(w, v, "mla", errs) {
		return
	}
	var all []*mla.Case
	overdue := map[string]time.Duration{}
	api := url.Values{"page_size": {"500"}}
	for range 20 { // at most 10,000 cases
		var list struct {
			Cases         []*mla.Case `json:"cases"`
			NextPageToken string      `json:"next_page_token"`
		}
		if err := c.getJSON(r, s, "/v1/mla", api, &list); err != nil {
			if errors.Is(err, errSignedOut) {
				c.toSignin(w, r, "ended")
				return
			}
			c.fail(w, v, err)
			return
		}
		all = append(all, list.Cases...)
		if list.NextPageToken == "" {
			break
		}
		api.Set("page_token", list.NextPageToken)
	}
	var late struct {
		Overdue []mla.OverdueCase `json:"overdue"`
	}
	if err := c.getJSON(r, s, "/v1/mla", url.Values{"overdue": {"true"}, "page_size": {"500"}}, &late); err == nil {
		for _, o := range late.Overdue {
			overdue[o.Case] = o.Late
		}
	}
	for _, cs := range all {
		if state != "" && cs.RequestingState != state && cs.RequestedState != state {
			continue
		}
		if status != "" && string(cs.State) != status {
			continue
		}
		d.Cases = append(d.Cases, cs)
	}
	sort.SliceStable(d.Cases, func(i, j int) bool {
		li, lj := overdue[d.Cases[i].ID], overdue[d.Cases[j].ID]
		if li != lj {
			return li > lj
		}
		return d.Cases[i].AnswerBy.Before(d.Cases[j].AnswerBy)
	})
	d.Overdue = overdue
	switch q.Get("format") {
	case "":
	case "csv":
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		_ = cw.Write([]string{"id", "state", "requesting_state", "requested_state", "opened_at", "answer_by", "late"})
		for _, cs := range d.Cases {
			late := ""
			if l, ok := overdue[cs.ID]; ok {
				late = l.String()
			}
			_ = cw.Write([]string{cs.ID, string(cs.State), cs.RequestingState, cs.RequestedState, cs.OpenedAt.UTC().Format(time.RFC3339), cs.AnswerBy.UTC().Format(time.RFC3339), late})
		}
		cw.Flush()
		download(w, "text/csv; charset=utf-8", "mla-cases.csv", buf.Bytes())
		return
	default:
		v.Errors = map[string]string{"format": v.T("must be one of: %s", "csv")}
		v.Error = "format: " + v.Errors["format"]
		c.render(w, http.StatusBadRequest, "mla", v)
		return
	}
	exp := url.Values{"format": {"csv"}}
	if state != "" {
		exp.Set("state", state)
	}
	if status != "" {
		exp.Set("status", status)
	}
	d.Export = "/console/mla?" + exp.Encode()
	c.render(w, http.StatusOK, "mla", v)
}

// mlaCase draws one case and the history of its steps.
func (c *Console) mlaCase(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	id := r.PathValue("id")
	v.Title, v.Nav = v.T("Case %s", id), "mla"
	if !caseID.MatchString(id) {
		v.Error = v.T("%q is not a case id.", id)
		c.render(w, http.StatusBadRequest, "error", v)
		return
	}
	var cs mla.Case
	if err := c.getJSON(r, s, "/v1/mla/"+escapePath(id), nil, &cs); err != nil {
		if errors.Is(err, errSignedOut) {
			c.toSignin(w, r, "ended")
			return
		}
		c.fail(w, v, err)
		return
	}
	v.Data = &mlaPage{Case: &cs}
	c.render(w, http.StatusOK, "mlacase", v)
}

// download sends body as a file to save.
func download(w http.ResponseWriter, contentType, name string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", "attachment; filename=\""+name+"\"")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// auditEvery bounds how often the Log page runs a full audit: reading and
// hashing every entry costs in proportion to the log, so auditors share
// one result for that long.
const auditEvery = 10 * time.Minute

// audit is the last full audit the Log page ran.
type audit struct {
	mu  sync.Mutex
	at  time.Time
	rep *report.Report
	err string
}

// lastAudit returns the last full audit (the transparency report over the
// whole log, which re-reads and hashes every entry against the checkpoint),
// running one as s when none is younger than auditEvery.
func (c *Console) lastAudit(r *http.Request, s *session) (*report.Report, time.Time, string) {
	c.audit.mu.Lock()
	defer c.audit.mu.Unlock()
	now := c.cfg.Now()
	if !c.audit.at.IsZero() && now.Sub(c.audit.at) < auditEvery && now.After(c.audit.at) {
		return c.audit.rep, c.audit.at, c.audit.err
	}
	var rep report.Report
	err := c.getJSON(r, s, "/v1/reports/transparency", url.Values{"period": {"all"}, "format": {"json"}}, &rep)
	c.audit.at, c.audit.rep, c.audit.err = now, nil, ""
	if err != nil {
		c.audit.err = err.Error()
	} else {
		c.audit.rep = &rep
	}
	return c.audit.rep, c.audit.at, c.audit.err
}
