package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/internal/jsonstrict"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// idPattern is what dataset and override ids look like.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// datasetBody is what a client sends for a dataset: its id and labels.
type datasetBody struct {
	ID                 string                      `json:"id"`
	Location           string                      `json:"location"`
	Origin             []string                    `json:"origin,omitempty"`
	Categories         []string                    `json:"categories,omitempty"`
	Subjects           map[string]int64            `json:"subjects,omitempty"`
	SubjectsByCategory map[string]map[string]int64 `json:"subjects_by_category,omitempty"`
	Records            int64                       `json:"records,omitempty"`
	Devices            int64                       `json:"devices,omitempty"`
	Classification     string                      `json:"classification,omitempty"`
	CII                *model.CII                  `json:"cii,omitempty"`
	Holder             string                      `json:"holder,omitempty"`
}

// decodeDataset reads and checks a dataset body.
func (s *Server) decodeDataset(w http.ResponseWriter, r *http.Request) (store.Dataset, *Problem) {
	body, p := readBody(w, r)
	if p != nil {
		return store.Dataset{}, p
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var b datasetBody
	if err := dec.Decode(&b); err != nil {
		return store.Dataset{}, jsonDecodeProblem(err)
	}
	if dec.More() {
		return store.Dataset{}, newProblem(http.StatusBadRequest, locale.Errorf("unexpected data after the JSON object"))
	}
	d := store.Dataset{ID: b.ID, Location: b.Location, Origin: b.Origin, Categories: b.Categories, Subjects: b.Subjects,
		SubjectsByCategory: b.SubjectsByCategory, Records: b.Records, Devices: b.Devices, Classification: b.Classification, CII: b.CII, Holder: b.Holder}
	if p := s.validateDataset(&d); p != nil {
		return d, p
	}
	if d.Holder != "" {
		if _, err := s.cfg.Store.Principal(r.Context(), d.Holder); errors.Is(err, store.ErrNotFound) {
			return d, fieldProblem(http.StatusBadRequest, "holder", locale.Errorf("%q is not a registered principal; register it before naming it as a holder", d.Holder))
		} else if err != nil {
			return d, s.storeProblem(err, locale.Errorf("principal"))
		}
	}
	return d, nil
}

// validateDataset checks labels as DecodeRequest checks a request's data,
// and completes d.Subjects from d.SubjectsByCategory as it completes a
// request's (model.Data.CheckSubjects).
func (s *Server) validateDataset(d *store.Dataset) *Problem {
	known := s.cfg.Registry.KnownJurisdiction
	bad := func(field string, msg error) *Problem { return fieldProblem(http.StatusBadRequest, field, msg) }
	if !idPattern.MatchString(d.ID) {
		return bad("id", locale.Errorf("required: letters, digits, '.', '_' or '-', at most 128"))
	}
	if d.Location == "" {
		return bad("location", locale.Errorf("required"))
	}
	if !known(d.Location) {
		return bad("location", locale.Errorf("unknown jurisdiction %q", d.Location))
	}
	for i, o := range d.Origin {
		if !known(o) {
			return bad(fmt.Sprintf("origin[%d]", i), locale.Errorf("unknown jurisdiction %q", o))
		}
	}
	for i, c := range d.Categories {
		if !model.KnownCategory(c) {
			return bad(fmt.Sprintf("categories[%d]", i), locale.Errorf("unknown category %q", c))
		}
	}
	for st, n := range d.Subjects {
		if !known(st) {
			return bad("subjects."+st, locale.Errorf("unknown jurisdiction %q", st))
		}
		if n < 0 {
			return bad("subjects."+st, locale.Errorf("must not be negative"))
		}
	}
	for _, cat := range slices.Sorted(maps.Keys(d.SubjectsByCategory)) {
		field := jsonstrict.Member("subjects_by_category", cat)
		if !model.KnownCategory(cat) {
			return bad(field, locale.Errorf("unknown category %q", cat))
		}
		for _, st := range slices.Sorted(maps.Keys(d.SubjectsByCategory[cat])) {
			if !known(st) {
				return bad(jsonstrict.Member(field, st), locale.Errorf("unknown jurisdiction %q", st))
			}
			if d.SubjectsByCategory[cat][st] < 0 {
				return bad(jsonstrict.Member(field, st), locale.Errorf("must not be negative"))
			}
		}
	}
	if len(d.SubjectsByCategory) > 0 {
		md := model.Data{Categories: d.Categories, Subjects: maps.Clone(d.Subjects), SubjectsByCategory: d.SubjectsByCategory}
		if err := md.CheckSubjects(); err != nil {
			var ie *model.InputError
			if errors.As(err, &ie) {
				return bad(strings.TrimPrefix(ie.Path, "data."), ie.Reason())
			}
			return bad("subjects_by_category", err)
		}
		d.Subjects = md.Subjects
	}
	if d.Records < 0 {
		return bad("records", locale.Errorf("must not be negative"))
	}
	if d.Devices < 0 {
		return bad("devices", locale.Errorf("must not be negative"))
	}
	if d.Classification != "" && !slices.Contains(model.Classifications, d.Classification) {
		return bad("classification", locale.Errorf("must be one of %v", model.Classifications))
	}
	if d.CII != nil && !known(d.CII.State) {
		return bad("cii.state", locale.Errorf("unknown jurisdiction %q", d.CII.State))
	}
	return nil
}

// DatasetList is the answer of GET /v1/datasets: a page of the catalog,
// by id.
type DatasetList struct {
	Datasets []store.Dataset `json:"datasets"`
	// NextPageToken, when set, asks for the next page (page_token).
	NextPageToken string `json:"next_page_token,omitempty"`
}

func (s *Server) listDatasets(w http.ResponseWriter, r *http.Request, c caller) {
	pg, p := parseQuery(r, true)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	ds, err := s.cfg.Store.ListDatasets(r.Context())
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("datasets")))
		return
	}
	var out DatasetList
	out.Datasets, out.NextPageToken = paginate(ds, func(d store.Dataset) string { return d.ID }, pg)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getDataset(w http.ResponseWriter, r *http.Request, c caller) {
	if _, p := parseQuery(r, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	d, err := s.cfg.Store.Dataset(r.Context(), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("dataset %s", r.PathValue("id"))))
		return
	}
	if notModified(w, r, versionETag(d.Updated)) {
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) createDataset(w http.ResponseWriter, r *http.Request, c caller) {
	if !s.mayChangeCatalog(w, r) {
		return
	}
	d, p := s.decodeDataset(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	change, ok := s.applyCatalogChange(w, r, c, d, false, true, precondition{})
	if !ok {
		return
	}
	s.answerDataset(w, r, d.ID, http.StatusCreated, change.LogIndex)
}

func (s *Server) putDataset(w http.ResponseWriter, r *http.Request, c caller) {
	if !s.mayChangeCatalog(w, r) {
		return
	}
	id := r.PathValue("id")
	pre, p := datasetPrecondition(r, id)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	d, p := s.decodeDatasetFor(w, r, id)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	change, ok := s.applyCatalogChange(w, r, c, d, false, false, pre)
	if !ok {
		return
	}
	s.answerDataset(w, r, id, http.StatusOK, change.LogIndex)
}

// decodeDatasetFor decodes a PUT body, whose id may be omitted but must
// match the path when given.
func (s *Server) decodeDatasetFor(w http.ResponseWriter, r *http.Request, id string) (store.Dataset, *Problem) {
	body, p := readBody(w, r)
	if p != nil {
		return store.Dataset{}, p
	}
	var probe struct {
		ID *string `json:"id"`
	}
	_ = json.Unmarshal(body, &probe)
	if probe.ID != nil && *probe.ID != id {
		return store.Dataset{}, fieldProblem(http.StatusBadRequest, "id", locale.Errorf("%q does not match the path's %q", *probe.ID, id))
	}
	if probe.ID == nil {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err == nil {
			m["id"], _ = json.Marshal(id)
			body, _ = json.Marshal(m)
		}
	}
	r.Body = http.NoBody
	r2 := r.Clone(r.Context())
	r2.Body = readCloser{bytes.NewReader(body)}
	return s.decodeDataset(w, r2)
}

type readCloser struct{ *bytes.Reader }

// Close does nothing: the body is in memory.
func (readCloser) Close() error { return nil }

// answerDataset answers with the dataset as stored and the log index of
// the change that made it so.
func (s *Server) answerDataset(w http.ResponseWriter, r *http.Request, id string, status int, logIndex uint64) {
	d, err := s.cfg.Store.Dataset(r.Context(), id)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("dataset %s", id)))
		return
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", "/v1/datasets/"+id)
	}
	w.Header().Set("ETag", versionETag(d.Updated))
	w.Header().Set("Accord-Log-Index", strconv.FormatUint(logIndex, 10))
	writeJSON(w, status, d)
}

func (s *Server) deleteDataset(w http.ResponseWriter, r *http.Request, c caller) {
	if !s.mayChangeCatalog(w, r) {
		return
	}
	id := r.PathValue("id")
	pre, p := datasetPrecondition(r, id)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	change, ok := s.applyCatalogChange(w, r, c, store.Dataset{ID: id}, true, false, pre)
	if !ok {
		return
	}
	w.Header().Set("Accord-Log-Index", strconv.FormatUint(change.LogIndex, 10))
	w.WriteHeader(http.StatusNoContent)
}

// datasetPrecondition reads the If-Match a replace or delete of a dataset
// needs (428 without it; If-None-Match has no use there).
func datasetPrecondition(r *http.Request, id string) (precondition, *Problem) {
	pre, p := parsePrecondition(r)
	if p != nil {
		return pre, p
	}
	if pre.ifNoneMatchAny {
		return pre, newProblem(http.StatusBadRequest, locale.Errorf("If-None-Match: a dataset is created with POST /v1/datasets; replace or delete it with If-Match"))
	}
	return pre, pre.required(locale.Errorf("dataset %s", id), false)
}
