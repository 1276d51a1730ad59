package console

import (
	"bytes"
	"encoding/csv"
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
	"github.com/accord-dev/accord/internal/decide"
	"github.com/accord-dev/accord/internal/model"
)

// approvalsPage is the data of the Approvals pages: the list, or one
// request with the approver's answer forms.
type approvalsPage struct {
	Form     map[string]string
	Statuses []string
	List     []*approval.Request
	Export   string
	ExportJS string
	// One is the request of the detail page.
	One *approval.Request
	// Durations are the durations an approver may grant ("" is as asked).
	// The answer forms take their Idempotency-Key from the template
	// function idem.
	Durations []string
}

// approvalDurations are the durations the approve form offers; the API
// takes any whole number of seconds within approval.MinDuration and
// MaxDuration.
var approvalDurations = []string{"1h", "8h", "24h", "72h", "168h"}

var (
	approvalID  = regexp.MustCompile(`^apr-[0-9a-f]{8,64}$`)
	approvalRef = regexp.MustCompile(`\bapr-[0-9a-f]{8,64}\b`)
	versionNum  = regexp.MustCompile(`^[0-9]{1,19}$`)
)

// readApprovals reads the approval requests of GET /v1/approvals with
// filter.
func (c *Console) readApprovals(r *http.Request, s *session, filter url.Values) ([]*approval.Request, error) {
	return readPages[*approval.Request](c, r, s, "/v1/approvals", "approvals", filter)
}

// approvalsList draws the approval requests the user may see: a requester
// its own, an approver those on the datasets its principal holds, an
// auditor all; filtered by status and dataset, with their export.
func (c *Console) approvalsList(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Approvals"), "approvals"
	q := r.URL.Query()
	d := &approvalsPage{Form: map[string]string{"status": strings.TrimSpace(q.Get("status")), "dataset": strings.TrimSpace(q.Get("dataset"))},
		Statuses: approval.Statuses}
	v.Data = d
	errs := checkListQuery(v, q, "status", "dataset")
	api := url.Values{}
	if st := d.Form["status"]; st != "" {
		if !slices.Contains(approval.Statuses, st) {
			errs["status"] = v.T("must be one of: %s", strings.Join(approval.Statuses, ", "))
		}
		api.Set("status", st)
	}
	if ds := d.Form["dataset"]; ds != "" {
		if _, msg := checkCode(ds); msg != "" {
			errs["dataset"] = fieldMessage(v, msg)
		}
		api.Set("dataset", ds)
	}
	if c.badFilters(w, v, "approvals", errs) {
		return
	}
	list, err := c.readApprovals(r, s, api)
	ae, done := c.refused(w, r, v, err)
	if done {
		return
	}
	if ae != nil {
		c.listRefused(w, v, "approvals", ae, map[int]string{
			http.StatusForbidden: v.T("Your role does not see approval requests: a requester sees its own, a data holder's approver those on its datasets, an auditor all."),
			http.StatusNotFound:  v.T("This server has no approvals (GET /v1/approvals answered 404)."),
		})
		return
	}
	d.List = list
	if c.exportShown(w, v, q.Get("format"), "approvals", nonNil(list), func() []byte { return approvalsCSV(list) }) {
		return
	}
	d.Export, d.ExportJS = exportLinks("/console/approvals", d.Form)
	c.render(w, http.StatusOK, "approvals", v)
}

// approvalsCSV writes approval requests as CSV (codes and ids only).
func approvalsCSV(list []*approval.Request) []byte {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"id", "status", "dataset", "action", "purpose", "requester", "on_behalf_of", "holder", "rules", "decision", "created", "lapses", "expires"})
	for _, a := range list {
		expires := ""
		if a.Answer != nil && a.Answer.Expires != nil {
			expires = a.Answer.Expires.UTC().Format(time.RFC3339)
		}
		_ = cw.Write([]string{a.ID, a.Status, a.Dataset, a.Action, a.Purpose, a.Requester, a.OnBehalfOf, a.Holder, strings.Join(a.Rules, " "),
			a.Decision, a.Created.UTC().Format(time.RFC3339), a.Lapses.UTC().Format(time.RFC3339), expires})
	}
	cw.Flush()
	return buf.Bytes()
}

// loadApproval reads the approval request of the path for its page; it
// draws the error itself and returns nil when it cannot.
func (c *Console) loadApproval(w http.ResponseWriter, r *http.Request, s *session, v *view) *approvalsPage {
	id := r.PathValue("id")
	v.Title, v.Nav = v.T("Approval request %s", id), "approvals"
	if !approvalID.MatchString(id) {
		v.Error = v.T("%q is not an approval request id.", id)
		c.render(w, http.StatusBadRequest, "error", v)
		return nil
	}
	var a approval.Request
	if err := c.getJSON(r, s, "/v1/approvals/"+escapePath(id), nil, &a); err != nil {
		if errors.Is(err, errSignedOut) {
			c.toSignin(w, r, "ended")
			return nil
		}
		c.fail(w, v, err)
		return nil
	}
	d := &approvalsPage{One: &a, Durations: approvalDurations}
	v.Data = d
	return d
}

// approvalPage draws one approval request: what is asked, by whom, why,
// until when, the answer once given and, for the holder's approver while
// it is pending, the Approve and Deny forms.
func (c *Console) approvalPage(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	for k := range r.URL.Query() {
		if k != "lang" && k != "done" {
			v.Title, v.Nav = v.T("Approvals"), "approvals"
			v.Errors = map[string]string{"form": v.T("unknown parameter %q", k)}
			v.Error = v.Errors["form"]
			c.render(w, http.StatusBadRequest, "error", v)
			return
		}
	}
	d := c.loadApproval(w, r, s, v)
	if d == nil {
		return
	}
	switch r.URL.Query().Get("done") {
	case "approve":
		v.Notice = v.T("Approved: the answer is signed and logged. The requester can now ask again for its decision.")
	case "deny":
		v.Notice = v.T("Denied: the answer is signed and logged.")
	}
	c.render(w, http.StatusOK, "approval", v)
}

// answerApproval approves or denies a request as the holder's approver:
// POST /v1/approvals/{id}/approve or deny, with If-Match naming the
// version the form was drawn from, so that an answer given meanwhile is
// never overwritten.
func (c *Console) answerApproval(verb string) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session, v *view) {
		d := c.loadApproval(w, r, s, v)
		if d == nil {
			return
		}
		errs := map[string]string{}
		version := strings.TrimSpace(r.PostFormValue("version"))
		if !versionNum.MatchString(version) {
			errs["version"] = v.T("is missing or not a number; reload the page and answer again")
		}
		body := []byte(`{}`)
		duration := strings.TrimSpace(r.PostFormValue("duration"))
		switch {
		case duration == "":
		case verb == "deny":
			errs["duration"] = v.T("a denial takes no duration")
		default:
			dur, err := time.ParseDuration(duration)
			if err != nil || dur < approval.MinDuration || dur > approval.MaxDuration || dur%time.Second != 0 {
				errs["duration"] = v.T("must be a duration from %s to %s, such as 8h", approval.MinDuration, approval.MaxDuration)
				break
			}
			body = []byte(fmt.Sprintf(`{"duration_seconds":%d}`, int64(dur/time.Second)))
		}
		if len(errs) > 0 {
			v.Errors = errs
			v.Error = v.T("The answer was not sent.")
			c.render(w, http.StatusBadRequest, "approval", v)
			return
		}
		idem := formIdem(r)
		n, _ := strconv.ParseUint(version, 10, 64)
		_, err := c.send(r, s, http.MethodPost, "/v1/approvals/"+escapePath(d.One.ID)+"/"+verb, body, idem, fmt.Sprintf(`"v%d"`, n), nil)
		ae, done := c.refused(w, r, v, err)
		if done {
			return
		}
		if ae != nil {
			if ae.Status == http.StatusPreconditionFailed {
				v.Error = v.T("This request changed since the page was drawn (answered meanwhile?); it is shown as it is now, and nothing was sent.")
			} else {
				v.Error = v.T("The server refused the answer: %s", ae.Detail)
			}
			if ae.Field == "duration_seconds" {
				v.Errors = map[string]string{"duration": ae.Detail}
			}
			c.render(w, ae.Status, "approval", v)
			return
		}
		http.Redirect(w, r, "/console/approvals/"+url.PathEscape(d.One.ID)+"?done="+verb, http.StatusSeeOther)
	}
}

// approvalOf returns the id of the approval request a pending decision
// made (its reason accord.approval-requested names it), or "".
func approvalOf(reasons []model.Reason) string {
	for _, r := range reasons {
		if r.Rule == decide.RuleApprovalRequested {
			return approvalRef.FindString(r.Message)
		}
	}
	return ""
}
