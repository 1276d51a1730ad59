package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// Approvals configures the data holders' approval endpoints
// (/v1/approvals; package approval). Nil: they answer 404.
type Approvals struct {
	// Service makes, answers and lists approval requests. Required.
	Service *approval.Service
}

// Who may call the approval endpoints. A requester sees and asks for its
// own requests; an approver sees and answers those on the datasets its
// principal holds; an auditor (and an admin) reads them all. Answering is
// for approvers only: the service refuses anyone else, admins included.
var (
	rolesReadApprovals   = []string{store.RoleRequester, store.RoleApprover, store.RoleAuditor}
	rolesAskApprovals    = []string{store.RoleRequester}
	rolesAnswerApprovals = []string{store.RoleApprover}
)

// approvalAllow lists the methods of the approval paths, for 405s.
var approvalAllow = map[string]string{
	"/v1/approvals":              "GET, POST",
	"/v1/approvals/{id}":         "GET",
	"/v1/approvals/{id}/approve": "POST",
	"/v1/approvals/{id}/deny":    "POST",
}

func (s *Server) approvalRoutes() {
	m := s.mux
	m.Handle("GET /v1/approvals", s.auth(rolesReadApprovals, s.approvals(s.listApprovals)))
	m.Handle("POST /v1/approvals", s.auth(rolesAskApprovals, s.idempotent(s.approvals(s.askApproval))))
	m.Handle("GET /v1/approvals/{id}", s.auth(rolesReadApprovals, s.approvals(s.getApproval)))
	m.Handle("POST /v1/approvals/{id}/approve", s.auth(rolesAnswerApprovals, s.idempotent(s.approvals(s.answerApproval(approval.StatusApproved)))))
	m.Handle("POST /v1/approvals/{id}/deny", s.auth(rolesAnswerApprovals, s.idempotent(s.approvals(s.answerApproval(approval.StatusDenied)))))
}

// approvals passes the service to h, or answers 404 when the server has
// none.
func (s *Server) approvals(h func(http.ResponseWriter, *http.Request, caller, *approval.Service)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		if s.cfg.Approvals == nil || s.cfg.Approvals.Service == nil {
			writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("approvals are not configured on this server")))
			return
		}
		h(w, r, c, s.cfg.Approvals.Service)
	}
}

// ApprovalList is the answer of GET /v1/approvals: a page of approval
// requests, oldest first.
type ApprovalList struct {
	Approvals []*approval.Request `json:"approvals"`
	// NextPageToken, when set, asks for the next page (page_token).
	NextPageToken string `json:"next_page_token,omitempty"`
}

// scope narrows what a caller sees: a requester its own requests, an
// approver those it is to answer; others everything.
func scope(c caller) approval.Filter {
	switch c.role {
	case store.RoleRequester:
		return approval.Filter{Requester: c.principal.ID}
	case store.RoleApprover:
		return approval.Filter{Holder: c.principal.ID}
	}
	return approval.Filter{}
}

// mayReadApproval says whether the caller sees request a.
func mayReadApproval(a *approval.Request, c caller) bool {
	switch c.role {
	case store.RoleRequester:
		return a.Requester == c.principal.ID
	case store.RoleApprover:
		return a.Holder == c.principal.ID
	}
	return true
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request, c caller, svc *approval.Service) {
	pg, p := parseQuery(r, true, "status", "dataset")
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	f := scope(c)
	f.Dataset = r.URL.Query().Get("dataset")
	if st := r.URL.Query().Get("status"); st != "" {
		if !slices.Contains(approval.Statuses, st) {
			writeProblem(w, r, fieldProblem(http.StatusBadRequest, "status", locale.Errorf("one of %s", strings.Join(approval.Statuses, ", "))))
			return
		}
		f.Status = st
	}
	list, err := svc.List(r.Context(), f)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("approvals")))
		return
	}
	var out ApprovalList
	out.Approvals, out.NextPageToken = paginate(list, func(a *approval.Request) string {
		return fmt.Sprintf("%020d/%s", a.Created.UnixNano(), a.ID)
	}, pg)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getApproval(w http.ResponseWriter, r *http.Request, c caller, svc *approval.Service) {
	if _, p := parseQuery(r, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	a, p := s.readApproval(r, c, svc)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	if notModified(w, r, a.ETag()) {
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// readApproval reads the request named in the path, as the caller may see
// it: one it may not see is 404, as one that does not exist.
func (s *Server) readApproval(r *http.Request, c caller, svc *approval.Service) (*approval.Request, *Problem) {
	id := r.PathValue("id")
	a, err := svc.Get(r.Context(), id)
	if errors.Is(err, approval.ErrNotFound) || (err == nil && !mayReadApproval(a, c)) {
		return nil, newProblem(http.StatusNotFound, locale.Errorf("approval request %s not found", id))
	}
	if err != nil {
		return nil, s.storeProblem(err, locale.Errorf("approval request"))
	}
	return a, nil
}

// askBody is the body of POST /v1/approvals.
type askBody struct {
	// Decision is the id of the caller's own decision that waits on an
	// approval.
	Decision string `json:"decision"`
	// DurationSeconds is how long the approval is asked for (default
	// approval.DefaultDuration).
	DurationSeconds int64 `json:"duration_seconds"`
}

// answerBody is the body of POST /v1/approvals/{id}/approve and deny.
type answerBody struct {
	// DurationSeconds is how long an approval lasts from now (default: as
	// requested). A denial takes none.
	DurationSeconds int64 `json:"duration_seconds"`
}

// decodeApprovalBody decodes an approval endpoint's body strictly into v
// (unknown fields refused, naming them), returning a 400 naming the field.
func decodeApprovalBody(body []byte, v any) *Problem {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute):
			return fieldProblem(http.StatusBadRequest, ute.Field, locale.Errorf("must be %s (at byte %s)", ute.Type.String(), strconv.FormatInt(ute.Offset, 10)))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return fieldProblem(http.StatusBadRequest, name, locale.Errorf("unknown field: who asks and who answers come from the credential, what is approved from the request on file"))
		}
		return newProblem(http.StatusBadRequest, locale.Errorf("the body must be a JSON object (at byte %s): %v", strconv.FormatInt(dec.InputOffset(), 10), err))
	}
	if dec.More() {
		return newProblem(http.StatusBadRequest, locale.Errorf("data after the JSON object at byte %s", strconv.FormatInt(dec.InputOffset(), 10)))
	}
	return nil
}

// seconds turns a duration_seconds member into a duration: 0 when not
// given, else bounded by approval.MinDuration and MaxDuration.
func seconds(n int64) (time.Duration, *Problem) {
	if n == 0 {
		return 0, nil
	}
	lo, hi := int64(approval.MinDuration/time.Second), int64(approval.MaxDuration/time.Second)
	if n < lo || n > hi {
		return 0, fieldProblem(http.StatusBadRequest, "duration_seconds", locale.Errorf("from %s to %s (%s)", strconv.FormatInt(lo, 10), strconv.FormatInt(hi, 10), approval.MaxDuration.String()))
	}
	return time.Duration(n) * time.Second, nil
}

// askApproval asks the holder explicitly, for the caller's own decision
// that waits on an approval: 201 with the new request, or 200 with the
// open one for the same thing.
func (s *Server) askApproval(w http.ResponseWriter, r *http.Request, c caller, svc *approval.Service) {
	body, p := readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	var in askBody
	if p := decodeApprovalBody(body, &in); p != nil {
		writeProblem(w, r, p)
		return
	}
	if in.Decision == "" {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "decision", locale.Errorf("name your decision that waits on an approval (its id, dec-…)")))
		return
	}
	d, p := seconds(in.DurationSeconds)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	a, created, err := svc.AskFor(r.Context(), s.cfg.Store, c.principal.ID, in.Decision, d)
	if err != nil {
		writeProblem(w, r, s.approvalProblem(err, locale.Errorf("decision")))
		return
	}
	w.Header().Set("Location", "/v1/approvals/"+a.ID)
	w.Header().Set("ETag", a.ETag())
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Accord-Log-Index", fmt.Sprint(a.LogIndex))
	}
	writeJSON(w, status, a)
}

// answerApproval approves or denies a request as the holder's approver.
func (s *Server) answerApproval(outcome string) func(http.ResponseWriter, *http.Request, caller, *approval.Service) {
	return func(w http.ResponseWriter, r *http.Request, c caller, svc *approval.Service) {
		pre, p := parsePrecondition(r)
		if p == nil && pre.ifNoneMatchAny {
			p = newProblem(http.StatusBadRequest, locale.Errorf("If-None-Match: an answer takes If-Match"))
		}
		if p != nil {
			writeProblem(w, r, p)
			return
		}
		body, p := readBody(w, r)
		if p != nil {
			writeProblem(w, r, p)
			return
		}
		var in answerBody
		if p := decodeApprovalBody(body, &in); p != nil {
			writeProblem(w, r, p)
			return
		}
		d, p := seconds(in.DurationSeconds)
		if p == nil && outcome == approval.StatusDenied && d != 0 {
			p = fieldProblem(http.StatusBadRequest, "duration_seconds", locale.Errorf("a denial takes no duration"))
		}
		if p != nil {
			writeProblem(w, r, p)
			return
		}
		a, p := s.readApproval(r, c, svc)
		if p != nil {
			writeProblem(w, r, p)
			return
		}
		if p := pre.check(locale.Errorf("approval request %s", a.ID), true, a.ETag()); p != nil {
			writeProblem(w, r, p)
			return
		}
		ans := approval.Answering{ID: a.ID, Outcome: outcome, By: approval.Answerer{Principal: c.principal.ID, Role: c.role}, Duration: d}
		if pre.ifMatch && !pre.any {
			ans.Version = a.Version
		}
		got, err := svc.Answer(r.Context(), ans)
		if err != nil {
			writeProblem(w, r, s.approvalProblem(err, locale.Errorf("approval request")))
			return
		}
		w.Header().Set("ETag", got.ETag())
		w.Header().Set("Accord-Log-Index", fmt.Sprint(got.Answer.LogIndex))
		writeJSON(w, http.StatusOK, got)
	}
}

// approvalProblem maps the approval service's errors to problems.
func (s *Server) approvalProblem(err error, what error) *Problem {
	switch {
	case errors.Is(err, approval.ErrNotFound):
		return newProblem(http.StatusNotFound, err)
	case errors.Is(err, approval.ErrForbidden):
		return newProblem(http.StatusForbidden, err)
	case errors.Is(err, approval.ErrAnswered), errors.Is(err, approval.ErrLapsed), errors.Is(err, approval.ErrNoApprover):
		return newProblem(http.StatusConflict, err)
	case errors.Is(err, approval.ErrNotAsking):
		return fieldProblem(http.StatusConflict, "decision", err)
	case errors.Is(err, approval.ErrStale):
		return newProblem(http.StatusPreconditionFailed, err)
	case errors.Is(err, approval.ErrBadDuration):
		return fieldProblem(http.StatusBadRequest, "duration_seconds", err)
	}
	if st := s.errorStatus(err); st == http.StatusServiceUnavailable {
		return newProblem(st, locale.Errorf("the database or the log is unavailable; nothing was changed, retry later"))
	}
	return s.storeProblem(err, what)
}
