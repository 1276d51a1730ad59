package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
)

// summary is one decision of GET /v1/decisions: codes and counts only.
type summary struct {
	ID              string    `json:"id"`
	Time            time.Time `json:"time"`
	LogIndex        *uint64   `json:"log_index"`
	Outcome         string    `json:"outcome"`
	Action          string    `json:"action"`
	Purpose         string    `json:"purpose"`
	RequestingState string    `json:"requesting_state"`
	Location        string    `json:"location"`
	Origin          []string  `json:"origin"`
	SubjectStates   []string  `json:"subject_states"`
	Packs           []string  `json:"packs"`
	Rules           []string  `json:"rules"`
	PendingOn       struct {
		States   []string `json:"states"`
		Measures []string `json:"measures"`
	} `json:"pending_on"`
	Binding bool `json:"binding"`
}

// summaryList is the answer of GET /v1/decisions.
type summaryList struct {
	Decisions     []summary `json:"decisions"`
	NextPageToken string    `json:"next_page_token"`
}

// filterField says how one filter of the decision list is checked.
type filterField struct {
	Name string
	// Check returns the value to send to the API, or an error message key.
	Check func(string) (string, string)
}

var (
	stateCode = regexp.MustCompile(`^[A-Z]{2}$`)
	codeValue = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$`)
	tokenLike = regexp.MustCompile(`^[A-Za-z0-9._~=-]{1,512}$`)
)

func checkState(s string) (string, string) {
	s = strings.ToUpper(s)
	if !stateCode.MatchString(s) {
		return "", "must be a two-letter state code, such as FR"
	}
	return s, ""
}

func checkCode(s string) (string, string) {
	if !codeValue.MatchString(s) {
		return "", "must be a code (letters, digits, . _ : / -), at most 100 characters"
	}
	return s, ""
}

// oneOfPrefix marks a message of checkOneOf: the list follows it.
const oneOfPrefix = "one-of:"

func checkOneOf(vals ...string) func(string) (string, string) {
	return func(s string) (string, string) {
		for _, v := range vals {
			if s == v {
				return s, ""
			}
		}
		return "", oneOfPrefix + strings.Join(vals, ", ")
	}
}

// fieldMessage translates a check's message.
func fieldMessage(v *view, msg string) string {
	if list, ok := strings.CutPrefix(msg, oneOfPrefix); ok {
		return v.T("must be one of: %s", list)
	}
	return v.T(msg)
}

// checkTime reads a date (2026-11-22) or an RFC 3339 time; a date in
// until means the end of that day.
func checkTime(endOfDay bool) func(string) (string, string) {
	return func(s string) (string, string) {
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			if endOfDay {
				t = t.AddDate(0, 0, 1)
			}
			return t.UTC().Format(time.RFC3339), ""
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC().Format(time.RFC3339), ""
		}
		return "", "must be a date (2026-11-22) or a time (2026-11-22T10:00:00Z)"
	}
}

// decisionFilters are the filters of the decision list, in form order.
var decisionFilters = []filterField{
	{"outcome", checkOneOf("allow", "deny", "pending")},
	{"requesting_state", checkState},
	{"location", checkState},
	{"subject_state", checkState},
	{"pack", checkCode},
	{"rule", checkCode},
	{"action", checkOneOf("access", "transfer", "disclose", "collect", "modify", "delete", "localize")},
	{"purpose", checkCode},
	{"pending_on", checkCode},
	{"since", checkTime(false)},
	{"until", checkTime(true)},
	{"page_token", func(s string) (string, string) {
		if !tokenLike.MatchString(s) {
			return "", "is not a page token this list gave"
		}
		return s, ""
	}},
	{"page_size", func(s string) (string, string) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return "", "must be a number from 1 to 500"
		}
		return s, ""
	}},
}

// readFilters checks the query of r against decisionFilters: the API query
// to send, the form's values, and an error per field. A parameter that is
// not a filter is an error too (naming it), never ignored.
func readFilters(v *view, r *http.Request, allowed ...string) (api url.Values, form map[string]string, errs map[string]string) {
	api, form, errs = url.Values{}, map[string]string{}, map[string]string{}
	q := r.URL.Query()
	known := map[string]bool{"lang": true}
	for _, a := range allowed {
		known[a] = true
	}
	for _, f := range decisionFilters {
		known[f.Name] = true
		raw := strings.TrimSpace(q.Get(f.Name))
		form[f.Name] = raw
		if raw == "" {
			continue
		}
		val, msg := f.Check(raw)
		if msg != "" {
			errs[f.Name] = fieldMessage(v, msg)
			continue
		}
		api.Set(f.Name, val)
	}
	for k := range q {
		if !known[k] {
			errs["form"] = v.T("unknown parameter %q", k)
		}
	}
	return api, form, errs
}

// decisionsPage is the data of the Decisions and Pending pages.
type decisionsPage struct {
	Form     map[string]string
	List     []summary
	Next     string
	NextURL  string
	Export   string
	ExportJS string
	// Unavailable is set when the server has no decision listing.
	Unavailable bool
	// Outcomes, Actions fill the form's selects.
	Outcomes, Actions []string
	// Lodged is the answer of an authorization lodged from this page.
	Lodged *lodged
	// Idem is a fresh Idempotency-Key for this page's forms.
	Idem string
	// Approvals are the pending approval requests the user sees (Pending
	// page); ApprovalOf maps a decision id to the request it made.
	Approvals  []*approval.Request
	ApprovalOf map[string]string
	// NoList is set when the user's role lists no decisions: the page
	// shows the rest without the list.
	NoList bool
}

// decisions draws the filterable list of decisions.
func (c *Console) decisions(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Decisions"), "decisions"
	c.listPage(w, r, s, v, "decisions", nil, &decisionsPage{})
}

// listPage draws the decision list with the filters of r (and force, set
// last: the Pending page forces outcome=pending).
func (c *Console) listPage(w http.ResponseWriter, r *http.Request, s *session, v *view, page string, force url.Values, data *decisionsPage) {
	api, form, errs := readFilters(v, r)
	for k, vs := range force {
		api[k] = vs
		form[k] = vs[0]
	}
	data.Form, data.Outcomes = form, []string{"allow", "deny", "pending"}
	data.Actions, data.Idem = []string{"access", "transfer", "disclose", "collect", "modify", "delete", "localize"}, randomToken()
	v.Data = data
	status := http.StatusOK
	if c.badFilters(w, v, page, errs) {
		return
	}
	if data.NoList {
		c.render(w, status, page, v)
		return
	}
	if api.Get("page_size") == "" {
		api.Set("page_size", "50")
	}
	var list summaryList
	err := c.getJSON(r, s, "/v1/decisions", api, &list)
	var ae *apiError
	switch {
	case errors.Is(err, errSignedOut):
		c.toSignin(w, r, "ended")
		return
	case errors.As(err, &ae) && (ae.Status == http.StatusMethodNotAllowed || ae.Status == http.StatusNotFound):
		data.Unavailable = true
		v.Error = v.T("This server has no decision listing (GET /v1/decisions); open a decision by its id below.")
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		v.Error = v.T("Your role may not list decisions.")
	case err != nil:
		c.fail(w, v, err)
		return
	}
	data.List, data.Next = list.Decisions, list.NextPageToken
	if data.Next != "" {
		nq := url.Values{}
		for k, val := range form {
			if val != "" && k != "page_token" && force.Get(k) == "" {
				nq.Set(k, val)
			}
		}
		nq.Set("page_token", data.Next)
		data.NextURL = r.URL.Path + "?" + nq.Encode()
	}
	exp := url.Values{}
	for k, vs := range api {
		if k != "page_token" && k != "page_size" {
			exp[k] = vs
		}
	}
	exp.Set("format", "csv")
	data.Export = "/console/decisions/export?" + exp.Encode()
	exp.Set("format", "json")
	data.ExportJS = "/console/decisions/export?" + exp.Encode()
	c.render(w, status, page, v)
}

// exportDecisions sends the filtered decisions as CSV or JSON, as the API
// exports them, as a download.
func (c *Console) exportDecisions(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Decisions"), "decisions"
	api, _, errs := readFilters(v, r, "format")
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "json" {
		errs["format"] = v.T("must be one of: %s", "csv, json")
	}
	if len(errs) > 0 {
		v.Errors = errs
		msgs := []string{}
		for k, m := range errs {
			msgs = append(msgs, k+": "+m)
		}
		v.Error = strings.Join(msgs, "; ")
		c.render(w, http.StatusBadRequest, "error", v)
		return
	}
	api.Set("format", format)
	h := http.Header{}
	if format == "csv" {
		h.Set("Accept", "text/csv")
	}
	rec, err := c.call(r, s.token, http.MethodGet, "/v1/decisions", api, nil, h)
	if err != nil {
		if errors.Is(err, errSignedOut) {
			c.toSignin(w, r, "ended")
			return
		}
		c.fail(w, v, err)
		return
	}
	ct := rec.hdr.Get("Content-Type")
	if ct == "" {
		ct = map[string]string{"csv": "text/csv; charset=utf-8", "json": "application/json"}[format]
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"decisions-%s.%s\"", c.cfg.Now().UTC().Format("20060102T150405Z"), format))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(rec.body.Bytes())
}

// record mirrors api.DecisionRecord.
type record struct {
	Decision model.Decision  `json:"decision"`
	Request  *model.Request  `json:"request"`
	Receipt  *ledger.Receipt `json:"receipt"`
	Private  *ledger.Private `json:"private"`
}

// decisionPage is the data of one decision's page.
type decisionPage struct {
	ID      string
	Rec     record
	Verify  *verification
	Command string
	// Measures are the measures a requester may resubmit with.
	Measures []string
	// States are the states whose authorization it waits for.
	States []string
	Idem   string
	// Approval is the approval request the decision made, when it waits
	// on the data holder's approval and the user may read the request.
	Approval *approval.Request
}

var decisionID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// loadDecision reads one decision for the page; it draws the error itself
// and returns false when it cannot.
func (c *Console) loadDecision(w http.ResponseWriter, r *http.Request, s *session, v *view, wait string) (*decisionPage, bool) {
	id := r.PathValue("id")
	v.Title, v.Nav = v.T("Decision %s", id), "decisions"
	if !decisionID.MatchString(id) {
		v.Error = v.T("%q is not a decision id.", id)
		c.render(w, http.StatusBadRequest, "error", v)
		return nil, false
	}
	var rec record
	err := c.getJSON(r, s, "/v1/decisions/"+escapePath(id), url.Values{"wait": {wait}}, &rec)
	if errors.Is(err, errSignedOut) {
		c.toSignin(w, r, "ended")
		return nil, false
	}
	if err != nil {
		c.fail(w, v, err)
		return nil, false
	}
	d := &decisionPage{ID: id, Rec: rec, Idem: randomToken()}
	if apr := approvalOf(rec.Decision.Reasons); apr != "" {
		var a approval.Request
		if err := c.getJSON(r, s, "/v1/approvals/"+escapePath(apr), nil, &a); err == nil {
			d.Approval = &a
		} else if errors.Is(err, errSignedOut) {
			c.toSignin(w, r, "ended")
			return nil, false
		}
	}
	for _, q := range rec.Decision.Requires {
		if q.Measure != "" && (d.Approval == nil || !slices.Contains(d.Approval.Measures, q.Measure)) {
			d.Measures = append(d.Measures, q.Measure)
		}
		if q.AuthorizationFrom != "" {
			d.States = append(d.States, q.AuthorizationFrom)
		}
	}
	d.Command = "accord log verify-receipt receipt-" + id + ".json --key \"" + c.cfg.VerifierKey + "\""
	return d, true
}

// openDecision sends the browser to the page of the decision ?id= names.
func (c *Console) openDecision(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	if !decisionID.MatchString(id) {
		v.Title, v.Nav = v.T("Decisions"), "decisions"
		v.Errors = map[string]string{"id": v.T("%q is not a decision id.", id)}
		v.Error = v.Errors["id"]
		c.render(w, http.StatusBadRequest, "error", v)
		return
	}
	http.Redirect(w, r, "/console/decisions/"+url.PathEscape(id), http.StatusSeeOther)
}

// decision draws one decision: reasons, citations, requirements,
// obligations, its receipt and the verify button.
func (c *Console) decision(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	d, ok := c.loadDecision(w, r, s, v, "1s")
	if !ok {
		return
	}
	v.Data = d
	c.render(w, http.StatusOK, "decision", v)
}

// receiptFile sends the decision's receipt as a file, for the offline
// check.
func (c *Console) receiptFile(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	d, ok := c.loadDecision(w, r, s, v, "2s")
	if !ok {
		return
	}
	if d.Rec.Receipt == nil {
		v.Error = v.T("No receipt yet: the log has not published a checkpoint that covers this decision. Try again in a few seconds.")
		c.render(w, http.StatusNotFound, "error", v)
		return
	}
	b, err := json.MarshalIndent(d.Rec.Receipt, "", "  ")
	if err != nil {
		c.fail(w, v, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", "attachment; filename=\"receipt-"+d.ID+".json\"")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(append(b, '\n'))
}

// verification is the result of checking a receipt on the server.
type verification struct {
	OK     bool
	Steps  []verifyStep
	Origin string
	Size   uint64
	Index  uint64
}

type verifyStep struct {
	Name string
	OK   bool
	Note string
}

// verify checks the decision's receipt against the log's key and origin,
// and the private record against the entry's record hash.
func (c *Console) verify(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	d, ok := c.loadDecision(w, r, s, v, "3s")
	if !ok {
		return
	}
	d.Verify = c.check(v, d.Rec)
	v.Data = d
	if r.Header.Get("HX-Request") != "" {
		c.renderFragment(w, http.StatusOK, "decision", "verify", v)
		return
	}
	c.render(w, http.StatusOK, "decision", v)
}

// check verifies rec's receipt step by step.
func (c *Console) check(v *view, rec record) *verification {
	out := &verification{}
	add := func(name string, err error, okNote string) bool {
		st := verifyStep{Name: name, OK: err == nil, Note: okNote}
		if err != nil {
			st.Note = err.Error()
		}
		out.Steps = append(out.Steps, st)
		return err == nil
	}
	if c.verifier == nil {
		add(v.T("log key"), errors.New(v.T("this server was not given the log's verifier key")), "")
		return out
	}
	rc := rec.Receipt
	if rc == nil {
		add(v.T("receipt"), errors.New(v.T("no receipt yet: no published checkpoint covers this decision")), "")
		return out
	}
	out.Index = rc.Index
	if !add(v.T("inclusion proof"), ledger.VerifyReceipt(rc, c.verifier, c.cfg.Origin), v.T("signature, origin, entry hash and proof hold")) {
		return out
	}
	cp, err := ledger.ParseCheckpoint([]byte(rc.Checkpoint), c.verifier, c.cfg.Origin)
	if !add(v.T("checkpoint"), err, "") {
		return out
	}
	out.Origin, out.Size = cp.Origin, cp.Size
	e, err := rc.ParsedEntry()
	if !add(v.T("entry"), err, e.Kind) {
		return out
	}
	if rec.Decision.LogIndex == nil || *rec.Decision.LogIndex != rc.Index {
		add(v.T("log index"), errors.New(v.T("the receipt is for another entry than the decision's")), "")
		return out
	}
	if rec.Private == nil {
		add(v.T("private record"), errors.New(v.T("your role does not see the private record")), "")
		return out
	}
	if !add(v.T("private record"), ledger.VerifyPrivate(e, exactRecord(*rec.Private)), v.T("matches the entry's record hash")) {
		return out
	}
	out.OK = true
	return out
}

// exactRecord returns the private record as it was hashed. The API writes
// its answers indented, and encoding/json re-indents an embedded raw
// record; the record was written compact (escaped as encoding/json
// escapes), so compacting gives back the hashed bytes. Any other change
// makes the check fail, as it should.
func exactRecord(p ledger.Private) ledger.Private {
	var buf bytes.Buffer
	if err := json.Compact(&buf, p.Record); err != nil {
		return p
	}
	return ledger.Private{Record: buf.Bytes(), Salt: p.Salt}
}
