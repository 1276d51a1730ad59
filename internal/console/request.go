package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/accord-dev/accord/internal/model"
)

// requestPage is the data of the New request page.
type requestPage struct {
	Form map[string]string
	// Datasets are the catalog's ids (empty when the role cannot read
	// the catalog: the field is then typed).
	Datasets []string
	Actions  []model.Action
	Purposes []model.Purpose
	Bases    []string
	Idem     string
}

// requestFields are the New request form's fields, in order; "request"
// is the JSON alternative to them.
var requestFields = []string{"action", "dataset", "destination", "purpose", "basis", "measures", "request"}

// newRequestPage returns the form's data, with the catalog's datasets.
func (c *Console) newRequestPage(r *http.Request, s *session, form map[string]string) *requestPage {
	d := &requestPage{Form: form, Actions: model.Actions, Purposes: model.Purposes, Bases: model.BasisKinds, Idem: randomToken()}
	if all, err := c.readDatasets(r, s); err == nil {
		for _, ds := range all {
			d.Datasets = append(d.Datasets, ds.ID)
		}
	}
	return d
}

// requestForm draws the form a requester asks for a binding decision
// with.
func (c *Console) requestForm(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("New request"), "decisions"
	v.Data = c.newRequestPage(r, s, map[string]string{"basis": "none"})
	if !v.IsRole("requester") {
		v.Error = v.T("Only a requester asks for decisions.")
		c.render(w, http.StatusForbidden, "request", v)
		return
	}
	c.render(w, http.StatusOK, "request", v)
}

// readRequestForm checks the form and returns the request body, or an
// error per field. The request JSON, when given, is sent as it is (the
// server checks it and names the member at fault); the fields build the
// usual request on a catalogued dataset otherwise.
func readRequestForm(v *view, r *http.Request) ([]byte, map[string]string, map[string]string) {
	form := map[string]string{}
	for _, f := range requestFields {
		form[f] = strings.TrimSpace(r.PostFormValue(f))
	}
	errs := map[string]string{}
	if raw := form["request"]; raw != "" {
		var m map[string]json.RawMessage
		dec := json.NewDecoder(strings.NewReader(raw))
		if err := dec.Decode(&m); err != nil || dec.More() {
			errs["request"] = v.T("must be one JSON object, such as %s", `{"action":"access","data":{"dataset":"crm-eu"},"purpose":"maintenance"}`)
			return nil, form, errs
		}
		if form["dataset"] != "" || form["destination"] != "" || form["measures"] != "" {
			errs["request"] = v.T("give the request as JSON or with the fields above, not both")
			return nil, form, errs
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(raw)); err != nil {
			errs["request"] = v.T("must be one JSON object, such as %s", `{"action":"access","data":{"dataset":"crm-eu"},"purpose":"maintenance"}`)
			return nil, form, errs
		}
		return buf.Bytes(), form, errs
	}
	body := map[string]any{}
	if a := form["action"]; !slices.Contains(model.Actions, model.Action(a)) {
		errs["action"] = v.T("must be one of: %s", joinCodes(model.Actions))
	} else {
		body["action"] = a
	}
	if ds := form["dataset"]; !datasetID.MatchString(ds) {
		errs["dataset"] = v.T("choose a dataset of the catalog")
	} else {
		body["data"] = map[string]string{"dataset": ds}
	}
	if dst := strings.ToUpper(form["destination"]); dst != "" {
		if !stateCode.MatchString(dst) {
			errs["destination"] = v.T("must be a two-letter state code, such as FR")
		}
		body["destination"] = dst
	}
	if p := form["purpose"]; p != "" {
		if !slices.Contains(model.Purposes, model.Purpose(p)) {
			errs["purpose"] = v.T("must be one of: %s", joinCodes(model.Purposes))
		}
		body["purpose"] = p
	}
	basis := map[string]any{}
	if k := form["basis"]; k != "" {
		if !slices.Contains(model.BasisKinds, k) {
			errs["basis"] = v.T("must be one of: %s", strings.Join(model.BasisKinds, ", "))
		}
		basis["kind"] = k
	}
	if ms := splitList(form["measures"]); len(ms) > 0 {
		for _, m := range ms {
			if !codeValue.MatchString(m) {
				errs["measures"] = fieldMessage(v, "must be a code (letters, digits, . _ : / -), at most 100 characters")
			}
		}
		basis["measures"] = ms
	}
	if len(basis) > 0 {
		body["basis"] = basis
	}
	if len(errs) > 0 {
		return nil, form, errs
	}
	raw, err := json.Marshal(body)
	if err != nil {
		errs["request"] = err.Error()
	}
	return raw, form, errs
}

// joinCodes joins string-like codes with ", ".
func joinCodes[T ~string](codes []T) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// requestField maps a JSON path the API named to the form's field.
func requestField(path string, fromJSON bool) string {
	if fromJSON {
		return "request"
	}
	switch {
	case path == "action", path == "destination", path == "purpose":
		return path
	case strings.HasPrefix(path, "data."):
		return "dataset"
	case strings.HasPrefix(path, "basis.measures"):
		return "measures"
	case strings.HasPrefix(path, "basis"):
		return "basis"
	}
	return ""
}

// submitRequest asks the API for a binding decision on the form's
// request, as the signed-in requester, and opens the decision made.
func (c *Console) submitRequest(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("New request"), "decisions"
	body, form, errs := readRequestForm(v, r)
	// The form is drawn again only when nothing was asked: reading the
	// catalog for its choices is not worth it on the way to the decision.
	redraw := func(status int) {
		v.Data = c.newRequestPage(r, s, form)
		c.render(w, status, "request", v)
	}
	if !v.IsRole("requester") {
		v.Error = v.T("Only a requester asks for decisions.")
		redraw(http.StatusForbidden)
		return
	}
	if len(errs) > 0 {
		v.Errors = errs
		v.Error = v.T("Nothing was asked.")
		redraw(http.StatusBadRequest)
		return
	}
	idem := formIdem(r)
	var out record
	err := c.postJSON(r, s, "/v1/decisions", body, idem, &out)
	ae, done := c.refused(w, r, v, err)
	if done {
		return
	}
	if ae != nil {
		v.Error = v.T("The server refused the request: %s", ae.Detail)
		if f := requestField(ae.Field, form["request"] != ""); f != "" {
			v.Errors = map[string]string{f: ae.Detail}
		}
		redraw(ae.Status)
		return
	}
	http.Redirect(w, r, "/console/decisions/"+url.PathEscape(out.Decision.ID), http.StatusSeeOther)
}
