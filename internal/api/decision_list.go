package api

import (
	"encoding/csv"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// GET /v1/decisions lists decision summaries (store.DecisionSummary:
// codes and counts, never free text or personal data), newest first, in
// pages (see pagination.go), as JSON or CSV.
//
// Who sees what is fixed by the credential, never by the query:
//
//   - a requester sees the decisions its own principal asked for;
//   - an authority sees the decisions that involve its principal's state:
//     as the data's location or origin, a subject state, the requesting
//     (acting) state or the requester's own state;
//   - an auditor or an admin sees every decision.
//
// The filters only narrow that set, so no filter, page token or
// combination can reach a decision outside it.

// rolesListDecisions may call GET /v1/decisions (admin implicitly).
var rolesListDecisions = []string{store.RoleRequester, store.RoleAuthority, store.RoleAuditor}

// decisionFilters are the query parameters of GET /v1/decisions besides
// page_size and page_token.
var decisionFilters = []string{"outcome", "pack", "rule", "requesting_state", "location", "subject_state",
	"action", "purpose", "since", "until", "pending_on", "format"}

// DecisionList is the JSON answer of GET /v1/decisions.
type DecisionList struct {
	// Decisions are the summaries of this page, newest first.
	Decisions []store.DecisionSummary `json:"decisions"`
	// NextPageToken, when set, asks for the next page (page_token).
	NextPageToken string `json:"next_page_token,omitempty"`
}

// csvColumns are the columns of the CSV answer, in order: the JSON
// members, with pending_on split in two and lists joined by ';'.
var csvColumns = []string{"id", "time", "log_index", "outcome", "action", "purpose", "requesting_state", "location",
	"origin", "subject_states", "packs", "rules", "pending_on_states", "pending_on_measures", "binding"}

// codePattern is what a pack name, rule id or measure looks like.
var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`)

func (s *Server) listDecisions(w http.ResponseWriter, r *http.Request, c caller) {
	pg, p := parseQuery(r, true, decisionFilters...)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	q, p := s.decisionQuery(r.URL.Query())
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	switch c.role {
	case store.RoleRequester:
		q.Principal = c.principal.ID
	case store.RoleAuthority:
		if c.principal.Kind != model.KindStateAuthority || c.principal.Jurisdiction == "" { // nothing to scope by: default deny
			writeProblem(w, r, newProblem(http.StatusForbidden, locale.Errorf("the authority role lists decisions for a state authority's principal with a jurisdiction; this principal is not one")))
			return
		}
		q.State = c.principal.Jurisdiction
	case store.RoleAuditor, store.RoleAdmin:
	default:
		writeProblem(w, r, newProblem(http.StatusForbidden, locale.Errorf("this role may not list decisions")))
		return
	}
	asCSV, p := wantsCSV(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	if pg.after != "" {
		cur, err := store.ParseDecisionCursor(pg.after)
		if err != nil {
			writeProblem(w, r, fieldProblem(http.StatusBadRequest, "page_token", locale.Errorf("not a token this server gave (next_page_token of the previous page)")))
			return
		}
		q.After = &cur
	}
	q.Limit = pg.size + 1
	sums, err := s.cfg.Store.ListDecisions(r.Context(), q)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("decisions")))
		return
	}
	out := DecisionList{Decisions: sums}
	if len(sums) > pg.size {
		out.Decisions = sums[:pg.size]
		last := out.Decisions[pg.size-1]
		out.NextPageToken = pageToken(store.DecisionCursor{Time: last.Time, LogIndex: last.LogIndex}.String())
	}
	if !asCSV {
		writeJSON(w, http.StatusOK, out)
		return
	}
	if out.NextPageToken != "" {
		next := *r.URL
		nq := next.Query()
		nq.Set("page_token", out.NextPageToken)
		next.RawQuery = nq.Encode()
		w.Header().Set("Next-Page-Token", out.NextPageToken)
		w.Header().Set("Link", "<"+next.RequestURI()+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	w.Header().Set("Content-Disposition", `attachment; filename="decisions.csv"`)
	w.WriteHeader(http.StatusOK)
	_ = writeDecisionsCSV(w, out.Decisions)
}

// writeDecisionsCSV writes sums as RFC 4180 CSV (CRLF line ends) with a
// header row.
func writeDecisionsCSV(w http.ResponseWriter, sums []store.DecisionSummary) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvColumns); err != nil {
		return err
	}
	list := func(l []string) string { return strings.Join(l, ";") }
	for _, d := range sums {
		if err := cw.Write([]string{d.ID, d.Time.UTC().Format(time.RFC3339Nano), strconv.FormatUint(d.LogIndex, 10), string(d.Outcome),
			d.Action, d.Purpose, d.RequestingState, d.Location, list(d.Origin), list(d.SubjectStates), list(d.Packs), list(d.Rules),
			list(d.PendingOn.States), list(d.PendingOn.Measures), strconv.FormatBool(d.Binding)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// wantsCSV reads format (json or csv), or else the Accept header (text/csv
// before application/json).
func wantsCSV(r *http.Request) (bool, *Problem) {
	switch f := r.URL.Query().Get("format"); f {
	case "json":
		return false, nil
	case "csv":
		return true, nil
	case "":
	default:
		return false, fieldProblem(http.StatusBadRequest, "format", locale.Errorf("json or csv"))
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/csv":
			return true, nil
		case "application/json", "*/*", "application/*":
			return false, nil
		}
	}
	return false, nil
}

// decisionQuery checks the filters of GET /v1/decisions, naming the first
// bad one.
func (s *Server) decisionQuery(v url.Values) (store.DecisionQuery, *Problem) {
	var q store.DecisionQuery
	if o := v.Get("outcome"); o != "" {
		if !slices.Contains([]model.Outcome{model.Allow, model.Deny, model.Pending}, model.Outcome(o)) {
			return q, fieldProblem(http.StatusBadRequest, "outcome", locale.Errorf("allow, deny or pending"))
		}
		q.Outcome = o
	}
	if a := v.Get("action"); a != "" {
		if !slices.Contains(model.Actions, model.Action(a)) {
			return q, fieldProblem(http.StatusBadRequest, "action", locale.Errorf("one of %s", joinStrings(model.Actions)))
		}
		q.Action = a
	}
	if pu := v.Get("purpose"); pu != "" {
		if !slices.Contains(model.Purposes, model.Purpose(pu)) {
			return q, fieldProblem(http.StatusBadRequest, "purpose", locale.Errorf("one of %s", joinStrings(model.Purposes)))
		}
		q.Purpose = pu
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"requesting_state", &q.RequestingState}, {"location", &q.Location}, {"subject_state", &q.SubjectState}} {
		if code := v.Get(f.name); code != "" {
			if p := s.checkState(f.name, code); p != nil {
				return q, p
			}
			*f.dst = code
		}
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"pack", &q.Pack}, {"rule", &q.Rule}} {
		if code := v.Get(f.name); code != "" {
			if !codePattern.MatchString(code) {
				return q, fieldProblem(http.StatusBadRequest, f.name, locale.Errorf("a pack name or rule id: letters, digits and . _ : / -, at most 128"))
			}
			*f.dst = code
		}
	}
	if po := v.Get("pending_on"); po != "" {
		if isStateCode(po) {
			if p := s.checkState("pending_on", po); p != nil {
				return q, p
			}
		} else if !codePattern.MatchString(po) {
			return q, fieldProblem(http.StatusBadRequest, "pending_on", locale.Errorf("a state code (FR) or a measure name (scc)"))
		}
		q.PendingOn = po
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if t := v.Get(f.name); t != "" {
			at, err := time.Parse(time.RFC3339, t)
			if err != nil {
				return q, fieldProblem(http.StatusBadRequest, f.name, locale.Errorf("an RFC 3339 time such as 2026-11-22T10:00:00Z"))
			}
			*f.dst = at.UTC()
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return q, fieldProblem(http.StatusBadRequest, "until", locale.Errorf("must be after since (since is inclusive, until exclusive)"))
	}
	return q, nil
}

// isStateCode reports whether v has the form of an ISO 3166-1 alpha-2 code.
func isStateCode(v string) bool {
	return len(v) == 2 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z'
}

// checkState answers 400 naming name unless code is a jurisdiction the
// registry knows.
func (s *Server) checkState(name, code string) *Problem {
	if !isStateCode(code) {
		return fieldProblem(http.StatusBadRequest, name, locale.Errorf("%q is not an ISO 3166-1 alpha-2 code such as FR", code))
	}
	if !s.cfg.Registry.KnownJurisdiction(code) {
		return fieldProblem(http.StatusBadRequest, name, locale.Errorf("unknown jurisdiction %q", code))
	}
	return nil
}

func joinStrings[T ~string](l []T) string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = string(v)
	}
	return strings.Join(out, ", ")
}
