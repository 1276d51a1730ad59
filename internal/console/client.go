package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxAnswer bounds what the console reads of one API answer (an export of
// 100,000 decisions as CSV fits well within it).
const maxAnswer = 64 << 20

// recorder is the ResponseWriter the API writes its answer to, in process.
type recorder struct {
	hdr    http.Header
	status int
	body   bytes.Buffer
	over   bool
}

func newRecorder() *recorder { return &recorder{hdr: http.Header{}} }

// Header returns the answer's headers.
func (w *recorder) Header() http.Header { return w.hdr }

// WriteHeader records the status.
func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

// Write keeps the body, up to maxAnswer.
func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.body.Len()+len(b) > maxAnswer {
		w.over = true
		return 0, errors.New("console: API answer too large")
	}
	return w.body.Write(b)
}

// apiError is an API answer other than 2xx: its status, the problem's
// detail, and the JSON path of the member at fault when the API named one.
type apiError struct {
	Status int
	Detail string
	Field  string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Detail) }

// errSignedOut says the API refused the session's token: the session has
// been ended.
var errSignedOut = errors.New("console: the API refused the session's token")

// call sends one request to the API with token and returns the answer.
// r is the browser's request (its context and address go along, so rate
// limits and logs see the real client).
func (c *Console) call(r *http.Request, token, method, path string, q url.Values, body []byte, header http.Header) (*recorder, error) {
	target := path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("console: API request %s %s: %w", method, path, err)
	}
	req.RemoteAddr, req.Host, req.TLS = r.RemoteAddr, r.Host, r.TLS
	for k, vs := range header {
		req.Header[k] = vs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := newRecorder()
	c.cfg.API.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.over {
		return nil, &apiError{Status: http.StatusInsufficientStorage, Detail: "the answer is larger than the console shows"}
	}
	if rec.status == http.StatusUnauthorized && token != "" {
		c.sessions.endToken(token)
		return nil, errSignedOut
	}
	if rec.status >= 300 {
		return rec, problemOf(rec)
	}
	return rec, nil
}

// problemOf reads an RFC 9457 problem from a failed answer.
func problemOf(rec *recorder) *apiError {
	var p struct {
		Detail string `json:"detail"`
		Title  string `json:"title"`
		Field  string `json:"field"`
	}
	_ = json.Unmarshal(rec.body.Bytes(), &p)
	d := p.Detail
	if d == "" {
		d = p.Title
	}
	if d == "" {
		d = http.StatusText(rec.status)
	}
	return &apiError{Status: rec.status, Detail: d, Field: p.Field}
}

// getJSON asks the API for path as s and decodes its JSON answer into out.
func (c *Console) getJSON(r *http.Request, s *session, path string, q url.Values, out any) error {
	rec, err := c.call(r, s.token, http.MethodGet, path, q, nil, nil)
	if err != nil {
		return err
	}
	return jsonInto(rec, path, out)
}

// jsonInto decodes the API's answer to path into out.
func jsonInto(rec *recorder, path string, out any) error {
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
		return fmt.Errorf("console: decode %s: %w", path, err)
	}
	return nil
}

// postJSON sends body to path as s with an Idempotency-Key, and decodes
// the answer into out (when not nil).
func (c *Console) postJSON(r *http.Request, s *session, path string, body []byte, idem string, out any) error {
	_, err := c.send(r, s, http.MethodPost, path, body, idem, "", out)
	return err
}

// send sends body to path with method as s, with an Idempotency-Key
// (when idem is not empty) and an If-Match (when ifMatch is not empty),
// and decodes the answer into out (when not nil). It returns the answer,
// for its headers.
func (c *Console) send(r *http.Request, s *session, method, path string, body []byte, idem, ifMatch string, out any) (*recorder, error) {
	h := http.Header{}
	if idem != "" {
		h.Set("Idempotency-Key", idem)
	}
	if ifMatch != "" {
		h.Set("If-Match", ifMatch)
	}
	rec, err := c.call(r, s.token, method, path, nil, body, h)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := jsonInto(rec, path, out); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// formIdem returns the Idempotency-Key a form carries, or "" when it is
// not one this console could have drawn.
func formIdem(r *http.Request) string {
	if idem := r.PostFormValue("idem"); tokenLike.MatchString(idem) {
		return idem
	}
	return ""
}

// refused sorts out an API call's error as every form does: a refused
// token sends the browser to sign-in, and a failure that is not an answer
// of the API draws the error page (done: the caller stops there). An
// answer of the API comes back for the form to show; nil when err is nil.
func (c *Console) refused(w http.ResponseWriter, r *http.Request, v *view, err error) (ae *apiError, done bool) {
	switch {
	case err == nil:
		return nil, false
	case errors.Is(err, errSignedOut):
		c.toSignin(w, r, "ended")
		return nil, true
	case errors.As(err, &ae):
		return ae, false
	}
	c.fail(w, v, err)
	return nil, true
}

// escapePath escapes one path segment for an API path.
func escapePath(s string) string { return url.PathEscape(strings.TrimSpace(s)) }
