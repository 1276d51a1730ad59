package console

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/internal/advisory"
	"github.com/accord-dev/accord/internal/model"
)

// advisoryDoc mirrors api.AdvisoryDocument: a published advisory as the
// API lists it.
type advisoryDoc struct {
	Key       string             `json:"key"`
	Vendor    string             `json:"vendor"`
	ID        string             `json:"id"`
	Format    string             `json:"format"`
	Severity  string             `json:"severity"`
	Flags     []string           `json:"flags"`
	Lint      []advisory.Finding `json:"lint,omitempty"`
	Affected  int                `json:"affected"`
	LogIndex  uint64             `json:"log_index"`
	Published string             `json:"published"`
}

// advisoriesPage is the data of the Advisories page.
type advisoriesPage struct {
	Filter   map[string]string
	List     []advisoryDoc
	Export   string
	ExportJS string
	// Published is the answer to the advisory just published.
	Published *advisoryDoc
	// Form holds the publish and vendor-key forms' values.
	Form map[string]string
	Idem string
}

// maxAdvisoryForm bounds a pasted or uploaded envelope: the console's
// form limit, below the API's own (2 × advisory.MaxAdvisory).
const maxAdvisoryForm = maxUpload

// advisories draws the published advisories, filtered by vendor and
// severity, with their export; a vendor also gets the publish form, an
// operator the form registering a vendor's key.
func (c *Console) advisories(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	c.advisoriesPage(w, r, s, v, &advisoriesPage{Form: map[string]string{}}, http.StatusOK)
}

// advisoriesPage draws the page with d (a form's values and outcome).
func (c *Console) advisoriesPage(w http.ResponseWriter, r *http.Request, s *session, v *view, d *advisoriesPage, status int) {
	v.Title, v.Nav = v.T("Advisories"), "advisories"
	q := r.URL.Query()
	d.Filter = map[string]string{"vendor": strings.TrimSpace(q.Get("vendor")), "severity": strings.TrimSpace(q.Get("severity"))}
	d.Idem = randomToken()
	v.Data = d
	errs := checkListQuery(v, q, "vendor", "severity")
	for _, f := range []string{"vendor", "severity"} {
		if val := d.Filter[f]; val != "" && !codeValue.MatchString(val) {
			errs[f] = fieldMessage(v, "must be a code (letters, digits, . _ : / -), at most 100 characters")
		}
	}
	if c.badFilters(w, v, "advisories", errs) {
		return
	}
	var list struct {
		Advisories []advisoryDoc `json:"advisories"`
	}
	err := c.getJSON(r, s, "/v1/advisories", nil, &list)
	ae, done := c.refused(w, r, v, err)
	if done {
		return
	}
	if ae != nil {
		c.listRefused(w, v, "advisories", ae, map[int]string{
			http.StatusNotFound: v.T("This server has no advisories (GET /v1/advisories answered 404)."),
		})
		return
	}
	for _, a := range list.Advisories {
		if (d.Filter["vendor"] == "" || a.Vendor == d.Filter["vendor"]) && (d.Filter["severity"] == "" || a.Severity == d.Filter["severity"]) {
			d.List = append(d.List, a)
		}
	}
	if c.exportShown(w, v, q.Get("format"), "advisories", nonNil(d.List), func() []byte { return advisoriesCSV(d.List) }) {
		return
	}
	d.Export, d.ExportJS = exportLinks("/console/advisories", d.Filter)
	c.render(w, status, "advisories", v)
}

// advisoriesCSV writes advisories as CSV.
func advisoriesCSV(list []advisoryDoc) []byte {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"key", "vendor", "id", "format", "severity", "flags", "affected", "log_index", "published"})
	for _, a := range list {
		_ = cw.Write([]string{a.Key, a.Vendor, a.ID, a.Format, a.Severity, strings.Join(a.Flags, " "), strconv.Itoa(a.Affected),
			strconv.FormatUint(a.LogIndex, 10), a.Published})
	}
	cw.Flush()
	return buf.Bytes()
}

// readAdvisoryEnvelope reads the signed advisory of the publish form: the
// pasted text or the uploaded file (one of them), checked to be a DSSE
// envelope of an advisory. It returns the envelope and the field at
// fault with its message.
func readAdvisoryEnvelope(v *view, r *http.Request) ([]byte, string, string) {
	pasted := strings.TrimSpace(r.PostFormValue("envelope"))
	var file []byte
	if r.MultipartForm != nil && len(r.MultipartForm.File["file"]) > 0 {
		f, err := r.MultipartForm.File["file"][0].Open()
		if err != nil {
			return nil, "file", v.T("the file could not be read")
		}
		defer f.Close()
		file, err = io.ReadAll(io.LimitReader(f, maxAdvisoryForm+1))
		if err != nil {
			return nil, "file", v.T("the file could not be read")
		}
		file = bytes.TrimSpace(file)
	}
	field, raw := "envelope", []byte(pasted)
	switch {
	case pasted != "" && len(file) > 0:
		return nil, "envelope", v.T("paste the envelope or upload its file, not both")
	case len(file) > 0:
		field, raw = "file", file
	case pasted == "":
		return nil, "envelope", v.T("paste the signed advisory (the envelope made by accord advisory sign) or upload its file")
	}
	if len(raw) > maxAdvisoryForm {
		return nil, field, v.T("the envelope is larger than %d bytes; publish it with accord advisory publish", maxAdvisoryForm)
	}
	var env model.Envelope
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&env); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, field, v.T("not JSON (byte %d); paste the envelope made by accord advisory sign", se.Offset)
		}
		return nil, field, v.T("not a DSSE envelope (payloadType, payload and signatures are required); sign the advisory with accord advisory sign")
	}
	if dec.More() {
		return nil, field, v.T("not JSON (byte %d); paste the envelope made by accord advisory sign", dec.InputOffset())
	}
	if env.Payload == "" || len(env.Signatures) == 0 {
		return nil, field, v.T("not a DSSE envelope (payloadType, payload and signatures are required); sign the advisory with accord advisory sign")
	}
	if env.PayloadType != advisory.PayloadType {
		return nil, field, v.T("payloadType must be %s: this envelope holds something else than an advisory", advisory.PayloadType)
	}
	return raw, "", ""
}

// publishAdvisory publishes a signed advisory as the signed-in vendor
// (POST /v1/advisories): the server verifies it with the vendor's
// registered key, lints it, matches it and logs it.
func (c *Console) publishAdvisory(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	d := &advisoriesPage{Form: map[string]string{"envelope": r.PostFormValue("envelope")}}
	env, field, msg := readAdvisoryEnvelope(v, r)
	if msg != "" {
		v.Errors = map[string]string{field: msg}
		v.Error = v.T("The advisory was not published.")
		c.advisoriesPage(w, r, s, v, d, http.StatusBadRequest)
		return
	}
	idem := formIdem(r)
	var out advisoryDoc
	err := c.postJSON(r, s, "/v1/advisories", env, idem, &out)
	ae, done := c.refused(w, r, v, err)
	if done {
		return
	}
	if ae != nil {
		v.Errors = map[string]string{"envelope": ae.Detail}
		if ae.Field != "" {
			v.Errors["envelope"] = v.T("at %s: %s", ae.Field, ae.Detail)
		}
		v.Error = v.T("The advisory was not published.")
		c.advisoriesPage(w, r, s, v, d, ae.Status)
		return
	}
	d.Published, d.Form = &out, map[string]string{}
	v.Notice = v.T("Advisory %s published: severity %s, %d deployments affected, logged at index %d.", out.Key, out.Severity, out.Affected, out.LogIndex)
	c.advisoriesPage(w, r, s, v, d, http.StatusCreated)
}

// setVendorKey registers a vendor's advisory key as the signed-in
// operator (PUT /v1/vendors/{id}/key); the registration is logged.
func (c *Console) setVendorKey(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	vendor, key := strings.TrimSpace(r.PostFormValue("vendor_id")), strings.TrimSpace(r.PostFormValue("public_key"))
	d := &advisoriesPage{Form: map[string]string{"vendor_id": vendor, "public_key": key}}
	errs := map[string]string{}
	if !datasetID.MatchString(vendor) {
		errs["vendor_id"] = v.T("must be the id of a registered principal, such as acme")
	}
	if key == "" || len(key) > 4096 {
		errs["public_key"] = v.T("paste the public key printed by accord authz keygen")
	}
	if len(errs) > 0 {
		v.Errors = errs
		v.Error = v.T("The key was not registered.")
		c.advisoriesPage(w, r, s, v, d, http.StatusBadRequest)
		return
	}
	body, err := json.Marshal(map[string]string{"public_key": key})
	if err != nil {
		c.fail(w, v, err)
		return
	}
	idem := formIdem(r)
	var out struct {
		LogIndex uint64 `json:"log_index"`
	}
	_, err = c.send(r, s, http.MethodPut, "/v1/vendors/"+escapePath(vendor)+"/key", body, idem, "", &out)
	ae, done := c.refused(w, r, v, err)
	if done {
		return
	}
	if ae != nil {
		f := "vendor_id"
		if ae.Field == "public_key" {
			f = "public_key"
		}
		v.Errors = map[string]string{f: ae.Detail}
		v.Error = v.T("The key was not registered.")
		c.advisoriesPage(w, r, s, v, d, ae.Status)
		return
	}
	d.Form = map[string]string{}
	v.Notice = v.T("The advisory key of %s is registered (logged at index %d); its advisories are verified with it.", vendor, out.LogIndex)
	c.advisoriesPage(w, r, s, v, d, http.StatusOK)
}
