package console

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
)

// The list pages added for approvals, datasets and advisories share their
// query's rules, their reading of the API's pages and their exports;
// every list page draws its bad filters with badFilters.

// checkListQuery checks a list page's query: each parameter is one of
// known, lang or format, and format is empty, csv or json. It returns an
// error per field.
func checkListQuery(v *view, q url.Values, known ...string) map[string]string {
	errs := map[string]string{}
	for k := range q {
		if k != "lang" && k != "format" && !slices.Contains(known, k) {
			errs["form"] = v.T("unknown parameter %q", k)
		}
	}
	if f := q.Get("format"); f != "" && f != "csv" && f != "json" {
		errs["format"] = v.T("must be one of: %s", "csv, json")
	}
	return errs
}

// readPages reads every page of the API list at path (its items under
// member), with the filters of filter: at most 20 pages of 1,000.
func readPages[T any](c *Console, r *http.Request, s *session, path, member string, filter url.Values) ([]T, error) {
	q := url.Values{"page_size": {"1000"}}
	maps.Copy(q, filter)
	var all []T
	for range 20 {
		var page map[string]json.RawMessage
		if err := c.getJSON(r, s, path, q, &page); err != nil {
			return nil, err
		}
		var items []T
		if raw, ok := page[member]; ok {
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, fmt.Errorf("console: decode %s: %w", path, err)
			}
		}
		all = append(all, items...)
		var next string
		if raw, ok := page["next_page_token"]; ok {
			_ = json.Unmarshal(raw, &next)
		}
		if next == "" {
			break
		}
		q.Set("page_token", next)
	}
	return all, nil
}

// exportShown answers a list page's format=json or csv with what the page
// shows, as a file named after the list and the time; it reports whether
// it answered. The JSON is an object with the list under name.
func (c *Console) exportShown(w http.ResponseWriter, v *view, format, name string, list any, csvOf func() []byte) bool {
	stamp := c.cfg.Now().UTC().Format("20060102T150405Z")
	switch format {
	case "json":
		b, err := json.MarshalIndent(map[string]any{name: list}, "", "  ")
		if err != nil {
			c.fail(w, v, err)
			return true
		}
		download(w, "application/json", name+"-"+stamp+".json", append(b, '\n'))
		return true
	case "csv":
		download(w, "text/csv; charset=utf-8", name+"-"+stamp+".csv", csvOf())
		return true
	}
	return false
}

// exportLinks returns the CSV and JSON exports of the list page at path
// with the filters of filter (empty ones left out).
func exportLinks(path string, filter map[string]string) (csv, js string) {
	q := url.Values{}
	for k, val := range filter {
		if val != "" {
			q.Set(k, val)
		}
	}
	q.Set("format", "csv")
	csv = path + "?" + q.Encode()
	q.Set("format", "json")
	return csv, path + "?" + q.Encode()
}

// badFilters draws page with the errors of its filters (by field) and
// reports whether there were any: a list is not drawn from bad filters.
func (c *Console) badFilters(w http.ResponseWriter, v *view, page string, errs map[string]string) bool {
	if len(errs) == 0 {
		return false
	}
	v.Errors = errs
	v.Error = v.T("Some filters are not valid; the list was not drawn.")
	c.render(w, http.StatusBadRequest, page, v)
	return true
}

// listRefused draws a list page the API refused to fill: with the
// message msgs has for its status (unless the page has an error already,
// such as a form's), or as an error page with the server's words.
func (c *Console) listRefused(w http.ResponseWriter, v *view, page string, ae *apiError, msgs map[int]string) {
	msg, ok := msgs[ae.Status]
	if !ok {
		c.fail(w, v, ae)
		return
	}
	if v.Error == "" {
		v.Error = msg
	}
	c.render(w, ae.Status, page, v)
}

// nonNil returns list, or an empty list for nil (JSON [] rather than null).
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
