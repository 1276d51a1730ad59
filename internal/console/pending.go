package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/model"
)

// lodged mirrors api.Lodged: what lodging a statement answered.
type lodged struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Issuer       string `json:"issuer"`
	Jurisdiction string `json:"jurisdiction"`
	KeyID        string `json:"key_id"`
	Digest       string `json:"digest"`
	LogIndex     uint64 `json:"log_index"`
}

// pending draws the pending decisions and what unblocks each: a measure
// for a requester, a signed authorization for an authority, the data
// holder's approval (answered here by the holder's approver).
func (c *Console) pending(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Pending"), "pending"
	data := &decisionsPage{NoList: !v.IsRole("requester", "authority", "auditor")}
	if v.IsRole("requester", "approver", "auditor") {
		list, err := c.readApprovals(r, s, url.Values{"status": {approval.StatusPending}})
		var ae *apiError
		switch {
		case errors.Is(err, errSignedOut):
			c.toSignin(w, r, "ended")
			return
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound: // no approvals on this server
		case err != nil:
			c.fail(w, v, err)
			return
		}
		data.Approvals, data.ApprovalOf = list, map[string]string{}
		for _, a := range list {
			data.ApprovalOf[a.Decision] = a.ID
		}
	}
	c.listPage(w, r, s, v, "pending", url.Values{"outcome": {"pending"}}, data)
}

// readEnvelope reads the uploaded file of field as a DSSE envelope; nil
// with no message when no file was sent.
func readEnvelope(v *view, r *http.Request, field string) ([]byte, string) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[field]) == 0 {
		return nil, ""
	}
	fh := r.MultipartForm.File[field][0]
	if fh.Size > 256<<10 {
		return nil, v.T("the file is larger than 256 KB; an envelope is a few KB")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, v.T("the file could not be read")
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, 256<<10+1))
	if err != nil {
		return nil, v.T("the file could not be read")
	}
	raw = bytes.TrimSpace(raw)
	var env model.Envelope
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&env); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, v.T("the file is not JSON (byte %d); upload the envelope made by accord authz sign", se.Offset)
		}
		return nil, v.T("the file is not a DSSE envelope; upload the file made by accord authz sign")
	}
	if dec.InputOffset() != int64(len(raw)) {
		return nil, v.T("the file is not JSON (byte %d); upload the envelope made by accord authz sign", dec.InputOffset())
	}
	if env.PayloadType == "" || env.Payload == "" || len(env.Signatures) == 0 {
		return nil, v.T("the file is not a DSSE envelope (payloadType, payload and signatures are required); upload the file made by accord authz sign")
	}
	return raw, ""
}

// lodge uploads a signed authorization (DSSE envelope made by `accord authz
// sign`) to POST /v1/authorizations, as the signed-in authority.
func (c *Console) lodge(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	v.Title, v.Nav = v.T("Pending"), "pending"
	env, msg := readEnvelope(v, r, "envelope")
	if msg == "" && env == nil {
		msg = v.T("choose the envelope file made by accord authz sign")
	}
	data := &decisionsPage{Form: map[string]string{}, Idem: randomToken(), Unavailable: true}
	v.Data = data
	if msg != "" {
		v.Errors = map[string]string{"envelope": msg}
		v.Error = v.T("The authorization was not lodged.")
		c.render(w, http.StatusBadRequest, "pending", v)
		return
	}
	idem := formIdem(r)
	var out lodged
	err := c.postJSON(r, s, "/v1/authorizations", env, idem, &out)
	ae, done := c.refused(w, r, v, err)
	if done {
		return
	}
	if ae != nil {
		v.Errors = map[string]string{"envelope": ae.Detail}
		v.Error = v.T("The authorization was not lodged.")
		c.render(w, ae.Status, "pending", v)
		return
	}
	data.Lodged = &out
	v.Notice = v.T("Authorization %s of %s lodged at log index %d. The requester can now resubmit with it.", out.ID, out.Issuer, out.LogIndex)
	c.render(w, http.StatusCreated, "pending", v)
}

// resubmit asks for a new binding decision on a pending decision's
// request, adding the measure chosen or the uploaded authorization. Only a
// measure the decision requires may be added.
func (c *Console) resubmit(w http.ResponseWriter, r *http.Request, s *session, v *view) {
	d, ok := c.loadDecision(w, r, s, v, "0s")
	if !ok {
		return
	}
	v.Data = d
	errs := map[string]string{}
	measure := strings.TrimSpace(r.PostFormValue("measure"))
	if measure != "" && !slices.Contains(d.Measures, measure) {
		errs["measure"] = v.T("must be one of the measures this decision waits for: %s", strings.Join(d.Measures, ", "))
	}
	env, msg := readEnvelope(v, r, "envelope")
	if msg != "" {
		errs["envelope"] = msg
	}
	approved := d.Approval != nil && d.Approval.Status == approval.StatusApproved
	switch {
	case measure != "" || env != nil || len(errs) > 0 || approved:
	case d.Approval != nil:
		errs["approval"] = v.T("the data holder's approval %s is %s; ask again once it is approved", d.Approval.ID, v.T(d.Approval.Status))
	default:
		errs["measure"] = v.T("choose a measure or upload a signed authorization")
	}
	if d.Rec.Request == nil {
		v.Error = v.T("Your role does not see this decision's request, so it cannot resubmit it.")
		c.render(w, http.StatusForbidden, "decision", v)
		return
	}
	if len(errs) > 0 {
		v.Errors = errs
		v.Error = v.T("Nothing was resubmitted.")
		c.render(w, http.StatusBadRequest, "decision", v)
		return
	}
	req := *d.Rec.Request
	basis := req.Basis
	basis.Measures = slices.Clone(basis.Measures)
	basis.Authorizations = slices.Clone(basis.Authorizations)
	if measure != "" && !slices.Contains(basis.Measures, measure) {
		basis.Measures = append(basis.Measures, measure)
	}
	if env != nil {
		var e model.Envelope
		if err := json.Unmarshal(env, &e); err != nil {
			c.fail(w, v, err)
			return
		}
		basis.Authorizations = append(basis.Authorizations, e)
	}
	req.Basis = basis
	body, err := requestBody(&req)
	if err != nil {
		c.fail(w, v, err)
		return
	}
	idem := formIdem(r)
	var out record
	err = c.postJSON(r, s, "/v1/decisions", body, idem, &out)
	ae, done := c.refused(w, r, v, err)
	if done {
		return
	}
	if ae != nil {
		v.Error = v.T("The server refused the new request: %s", ae.Detail)
		c.render(w, ae.Status, "decision", v)
		return
	}
	http.Redirect(w, r, "/console/decisions/"+url.PathEscape(out.Decision.ID)+"?from="+url.QueryEscape(d.ID), http.StatusSeeOther)
}

// requestBody is req as a binding request's body: without its time (a
// binding decision is made at the server's clock, which refuses a time in
// the body).
func requestBody(req *model.Request) ([]byte, error) {
	return withoutMembers(req, "time")
}

// withoutMembers is v as a JSON object without the members named (the
// ones the server sets and refuses in a body).
func withoutMembers(v any, names ...string) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("console: encode %T: %w", v, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("console: encode %T: %w", v, err)
	}
	for _, n := range names {
		delete(m, n)
	}
	return json.Marshal(m)
}
