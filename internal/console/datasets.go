package console

import (
	"bytes"
	"encoding/csv"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// datasetsPage is the data of the Datasets pages: the catalog, or one
// dataset and its form.
type datasetsPage struct {
	Filter   map[string]string
	List     []store.Dataset
	Export   string
	ExportJS string
	// One is the dataset of the detail page (nil on the New form).
	One *store.Dataset
	// Form holds the form's values; ETag the version the edit form was
	// drawn from (sent back as If-Match).
	Form map[string]string
	ETag string
	// Classifications and Categories fill the form's choices.
	Classifications []string
	Categories      []string
	Idem            string
	// Saved is the log index of the change just made.
	Saved string
}

var (
	datasetID  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	entityTag  = regexp.MustCompile(`^"[\x21\x23-\x7e]{1,128}"$`)
	formFields = []string{"id", "location", "origin", "categories", "classification", "holder", "records", "devices", "subjects"}
)

// readDatasets reads the whole catalog.
func (c *Console) readDatasets(r *http.Request, s *session) ([]store.Dataset, error) {
	return readPages[store.Dataset](c, r, s, "/v1/datasets", "datasets", nil)
}

// datasetsList draws the catalog, filtered by location and holder, with
// its export; an operator also gets the links to add and edit.
func (c *Console) datasetsList(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Datasets"), "datasets"
	q := r.URL.Query()
	d := &datasetsPage{Filter: map[string]string{"location": strings.ToUpper(strings.TrimSpace(q.Get("location"))), "holder": strings.TrimSpace(q.Get("holder"))}}
	v.Data = d
	errs := checkListQuery(v, q, "location", "holder")
	if l := d.Filter["location"]; l != "" && !stateCode.MatchString(l) {
		errs["location"] = v.T("must be a two-letter state code, such as FR")
	}
	if h := d.Filter["holder"]; h != "" && !codeValue.MatchString(h) {
		errs["holder"] = fieldMessage(v, "must be a code (letters, digits, . _ : / -), at most 100 characters")
	}
	if c.badFilters(w, v, "datasets", errs) {
		return
	}
	all, err := c.readDatasets(r, s)
	ae, done := c.refused(w, r, v, err)
	if done {
		return
	}
	if ae != nil {
		c.listRefused(w, v, "datasets", ae, map[int]string{
			http.StatusForbidden: v.T("Your role does not read the catalog."),
		})
		return
	}
	for _, ds := range all {
		if (d.Filter["location"] == "" || ds.Location == d.Filter["location"]) && (d.Filter["holder"] == "" || ds.Holder == d.Filter["holder"]) {
			d.List = append(d.List, ds)
		}
	}
	if c.exportShown(w, v, q.Get("format"), "datasets", nonNil(d.List), func() []byte { return datasetsCSV(d.List) }) {
		return
	}
	d.Export, d.ExportJS = exportLinks("/console/datasets", d.Filter)
	c.render(w, http.StatusOK, "datasets", v)
}

// datasetsCSV writes datasets as CSV.
func datasetsCSV(list []store.Dataset) []byte {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"id", "location", "origin", "categories", "classification", "holder", "records", "devices", "subjects", "updated"})
	for _, d := range list {
		_ = cw.Write([]string{d.ID, d.Location, strings.Join(d.Origin, " "), strings.Join(d.Categories, " "), d.Classification, d.Holder,
			strconv.FormatInt(d.Records, 10), strconv.FormatInt(d.Devices, 10), subjectsText(d.Subjects), d.Updated.UTC().Format("2006-01-02T15:04:05Z")})
	}
	cw.Flush()
	return buf.Bytes()
}

// subjectsText writes subject counts as "FR=1000, DE=20", by state.
func subjectsText(m map[string]int64) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+strconv.FormatInt(m[k], 10))
	}
	return strings.Join(parts, ", ")
}

// formOf returns the form's values for d.
func formOf(d *store.Dataset) map[string]string {
	num := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	return map[string]string{"id": d.ID, "location": d.Location, "origin": strings.Join(d.Origin, ", "), "categories": strings.Join(d.Categories, ", "),
		"classification": d.Classification, "holder": d.Holder, "records": num(d.Records), "devices": num(d.Devices), "subjects": subjectsText(d.Subjects)}
}

// newDatasetPage returns the page data for the form, with its choices.
func newDatasetPage(one *store.Dataset, form map[string]string) *datasetsPage {
	return &datasetsPage{One: one, Form: form, Classifications: model.Classifications, Categories: model.Categories, Idem: randomToken()}
}

// datasetNew draws the empty form of a new dataset.
func (c *Console) datasetNew(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("New dataset"), "datasets"
	v.Data = newDatasetPage(nil, map[string]string{})
	if !v.IsRole("operator") {
		v.Error = v.T("Only an operator adds or changes datasets.")
		c.render(w, http.StatusForbidden, "dataset", v)
		return
	}
	c.render(w, http.StatusOK, "dataset", v)
}

// loadDataset reads the dataset of the path and its ETag; it draws the
// error itself and returns nil when it cannot.
func (c *Console) loadDataset(w http.ResponseWriter, r *http.Request, s *session, v *view) (*store.Dataset, string) {
	id := r.PathValue("id")
	v.Title, v.Nav = v.T("Dataset %s", id), "datasets"
	if !datasetID.MatchString(id) {
		v.Error = v.T("%q is not a dataset id.", id)
		c.render(w, http.StatusBadRequest, "error", v)
		return nil, ""
	}
	rec, err := c.call(r, s.token, http.MethodGet, "/v1/datasets/"+escapePath(id), nil, nil, nil)
	var ds store.Dataset
	if err == nil {
		err = jsonInto(rec, "/v1/datasets/"+id, &ds)
	}
	if err != nil {
		if errors.Is(err, errSignedOut) {
			c.toSignin(w, r, "ended")
			return nil, ""
		}
		c.fail(w, v, err)
		return nil, ""
	}
	return &ds, rec.hdr.Get("ETag")
}

// datasetPage draws one dataset and, for an operator, its edit form.
func (c *Console) datasetPage(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	ds, etag := c.loadDataset(w, r, s, v)
	if ds == nil {
		return
	}
	d := newDatasetPage(ds, formOf(ds))
	d.ETag = etag
	if saved := r.URL.Query().Get("saved"); saved != "" && versionNum.MatchString(saved) {
		v.Notice = v.T("Saved: the change is on the log at index %s.", saved)
	}
	v.Data = d
	c.render(w, http.StatusOK, "dataset", v)
}

// readDatasetForm checks the form's labels and returns the body to send,
// or an error per field. base is the dataset as stored (nil for a new
// one): the labels the form does not show (cii, subjects by category) are
// kept from it.
func readDatasetForm(v *view, r *http.Request, base *store.Dataset) (store.Dataset, map[string]string, map[string]string) {
	form := map[string]string{}
	for _, f := range formFields {
		form[f] = strings.TrimSpace(r.PostFormValue(f))
	}
	errs := map[string]string{}
	var b store.Dataset
	if base != nil {
		form["id"] = base.ID
		b.CII, b.SubjectsByCategory = base.CII, base.SubjectsByCategory
	}
	b.ID = form["id"]
	if !datasetID.MatchString(b.ID) {
		errs["id"] = v.T("required: letters, digits, '.', '_' or '-', at most 128")
	}
	b.Location = strings.ToUpper(form["location"])
	if !stateCode.MatchString(b.Location) {
		errs["location"] = v.T("must be a two-letter state code, such as FR")
	}
	for _, o := range splitList(form["origin"]) {
		if o = strings.ToUpper(o); !stateCode.MatchString(o) {
			errs["origin"] = v.T("must be two-letter state codes separated by commas, such as FR, DE")
		}
		b.Origin = append(b.Origin, o)
	}
	for _, cat := range splitList(form["categories"]) {
		if !model.KnownCategory(cat) {
			errs["categories"] = v.T("%q is not a category of the taxonomy", cat)
		}
		b.Categories = append(b.Categories, cat)
	}
	if cl := form["classification"]; cl != "" && !slices.Contains(model.Classifications, cl) {
		errs["classification"] = v.T("must be one of: %s", strings.Join(model.Classifications, ", "))
	} else {
		b.Classification = cl
	}
	if h := form["holder"]; h != "" && !datasetID.MatchString(h) {
		errs["holder"] = v.T("must be the id of a registered principal, such as acme")
	} else {
		b.Holder = h
	}
	for _, f := range []struct {
		name string
		to   *int64
	}{{"records", &b.Records}, {"devices", &b.Devices}} {
		if form[f.name] == "" {
			continue
		}
		n, err := strconv.ParseInt(form[f.name], 10, 64)
		if err != nil || n < 0 {
			errs[f.name] = v.T("must be a whole number, 0 or more")
			continue
		}
		*f.to = n
	}
	if sub := form["subjects"]; sub != "" {
		b.Subjects = map[string]int64{}
		for _, pair := range splitList(sub) {
			st, n, ok := strings.Cut(pair, "=")
			st = strings.ToUpper(strings.TrimSpace(st))
			count, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
			if !ok || !stateCode.MatchString(st) || err != nil || count < 0 {
				errs["subjects"] = v.T("must be STATE=COUNT pairs separated by commas, such as FR=1000, DE=20")
				break
			}
			b.Subjects[st] = count
		}
	}
	return b, form, errs
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// formField maps a JSON path the API named to the form's field.
func formField(path string) string {
	for _, f := range formFields {
		if path == f || strings.HasPrefix(path, f+"[") || strings.HasPrefix(path, f+".") {
			return f
		}
	}
	if strings.HasPrefix(path, "subjects_by_category") {
		return "subjects"
	}
	return ""
}

// saveDataset creates (POST /console/datasets) or replaces (POST
// /console/datasets/{id}, sent as PUT with If-Match) a dataset of the
// catalog, as the signed-in operator.
func (c *Console) saveDataset(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	var base *store.Dataset
	etag := ""
	if r.PathValue("id") != "" {
		if base, _ = c.loadDataset(w, r, s, v); base == nil {
			return
		}
		etag = strings.TrimSpace(r.PostFormValue("etag"))
	} else {
		v.Title, v.Nav = v.T("New dataset"), "datasets"
	}
	body, form, errs := readDatasetForm(v, r, base)
	d := newDatasetPage(base, form)
	d.ETag = etag
	v.Data = d
	if base != nil && !entityTag.MatchString(etag) {
		errs["etag"] = v.T("is missing; reload the page and edit again")
	}
	if !v.IsRole("operator") {
		v.Error = v.T("Only an operator adds or changes datasets.")
		c.render(w, http.StatusForbidden, "dataset", v)
		return
	}
	if len(errs) > 0 {
		v.Errors = errs
		v.Error = v.T("Nothing was saved.")
		c.render(w, http.StatusBadRequest, "dataset", v)
		return
	}
	raw, err := withoutMembers(body, "created", "updated")
	if err != nil {
		c.fail(w, v, err)
		return
	}
	idem := formIdem(r)
	method, path := http.MethodPost, "/v1/datasets"
	if base != nil {
		method, path = http.MethodPut, "/v1/datasets/"+escapePath(base.ID)
	}
	rec, err := c.send(r, s, method, path, raw, idem, etag, nil)
	ae, done := c.refused(w, r, v, err)
	if done {
		return
	}
	if ae != nil {
		v.Error = v.T("Nothing was saved: %s", ae.Detail)
		if ae.Status == http.StatusPreconditionFailed {
			v.Error = v.T("The dataset changed since this form was drawn; nothing was saved. Reload it to see the change, then edit again.")
		}
		if f := formField(ae.Field); f != "" {
			v.Errors = map[string]string{f: ae.Detail}
		}
		c.render(w, ae.Status, "dataset", v)
		return
	}
	http.Redirect(w, r, "/console/datasets/"+url.PathEscape(body.ID)+"?saved="+url.QueryEscape(rec.hdr.Get("Accord-Log-Index")), http.StatusSeeOther)
}
