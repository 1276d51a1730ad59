package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/accord-dev/accord/internal/jsonstrict"
	"github.com/accord-dev/accord/internal/locale"
	"golang.org/x/text/language"
)

// Problem is an RFC 9457 problem detail, the body of every error answer
// (Content-Type application/problem+json).
type Problem struct {
	// Type is a URI naming the kind of problem.
	Type string `json:"type"`
	// Title is a short summary of the kind of problem.
	Title string `json:"title"`
	// Status repeats the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence, naming the field where there is one.
	Detail string `json:"detail,omitempty"`
	// Field is the JSON path of the offending member of the request body
	// (data.location, data.subjects.XX), when the problem is with one.
	Field string `json:"field,omitempty"`
	// Line and Column locate a syntax error in the body.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`

	// detail is Detail as a catalog message, for writeProblem to write
	// in the caller's language.
	detail error
}

// problemBase prefixes Problem.Type: a relative URI reference that
// resolves to the page this server serves for the type (GET
// /problems/{type}, in English and French; see problem_pages.go).
const problemBase = "/problems/"

// problemTypes gives each status Accord answers with its type; the
// type's title, in English and French, is its page's (problemDocs).
var problemTypes = map[int]string{
	http.StatusBadRequest:                  "bad-request",
	http.StatusUnauthorized:                "unauthorized",
	http.StatusForbidden:                   "forbidden",
	http.StatusNotFound:                    "not-found",
	http.StatusMethodNotAllowed:            "method-not-allowed",
	http.StatusConflict:                    "conflict",
	http.StatusUnprocessableEntity:         "beyond-scope",
	http.StatusPreconditionFailed:          "precondition-failed",
	http.StatusPreconditionRequired:        "precondition-required",
	http.StatusRequestEntityTooLarge:       "too-large",
	http.StatusUnsupportedMediaType:        "unsupported-media-type",
	http.StatusTooManyRequests:             "rate-limited",
	http.StatusRequestHeaderFieldsTooLarge: "headers-too-large",
	http.StatusInternalServerError:         "internal",
	http.StatusServiceUnavailable:          "unavailable",
}

// newProblem returns the problem for status with detail, a catalog
// message (locale.Errorf) that writeProblem writes in the caller's
// language; any other error is written as its Error().
func newProblem(status int, detail error) *Problem {
	typ, ok := problemTypes[status]
	if !ok {
		typ = "error"
	}
	return typedProblem(status, typ, detail)
}

// typedProblem returns a problem of type typ (a name of problemDocs, or a
// type more precise than its status's).
func typedProblem(status int, typ string, detail error) *Problem {
	title := http.StatusText(status)
	if doc, ok := problemDocs[typ]; ok {
		title = doc.en[0]
	}
	p := &Problem{Type: problemBase + typ, Title: title, Status: status}
	p.setDetail(detail)
	return p
}

// fieldProblem returns a problem about one member of the body (or one
// query parameter): its detail is "field: msg".
func fieldProblem(status int, field string, msg error) *Problem {
	p := newProblem(status, locale.Errorf("%s: %v", field, msg))
	p.Field = field
	return p
}

// setDetail makes detail the problem's detail: Detail holds it in English
// (Error, logs, tests), writeProblem writes it in the caller's language.
func (p *Problem) setDetail(detail error) {
	p.detail = detail
	p.Detail = ""
	if detail != nil {
		p.Detail = detail.Error()
	}
}

// Error lets a *Problem travel as an error inside the package.
func (p *Problem) Error() string { return p.Detail }

// in returns a copy of p with its title and detail in lp's language.
func (p *Problem) in(lp *locale.Printer) *Problem {
	out := *p
	if lp.Tag() == language.French {
		if doc, ok := problemDocs[strings.TrimPrefix(p.Type, problemBase)]; ok {
			out.Title = doc.fr[0]
		}
	}
	if p.detail != nil {
		out.Detail = locale.Text(lp, p.detail)
	}
	return &out
}

// writeProblem answers r with p, its title and detail in the language
// r's Accept-Language asks for (English when it names none Accord
// writes).
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	lp := requestPrinter(r)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Language", lp.Tag().String())
	w.Header().Add("Vary", "Accept-Language")
	w.Header().Set("Cache-Control", "no-store")
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="accord"`)
	}
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p.in(lp))
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// jsonDecodeProblem turns an encoding/json error for a body decoded into
// a Go value into a problem naming the field.
func jsonDecodeProblem(err error) *Problem {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return newProblem(http.StatusRequestEntityTooLarge, locale.Errorf("the body exceeds 1 MiB"))
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fieldProblem(http.StatusBadRequest, te.Field, locale.Errorf("expected %s, got JSON %s", te.Type.String(), te.Value))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return newProblem(http.StatusBadRequest, locale.Errorf("invalid JSON: %v", syntaxReason(err)))
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return fieldProblem(http.StatusBadRequest, f, locale.Errorf("unknown field"))
	}
	return newProblem(http.StatusBadRequest, locale.Errorf("invalid JSON: %s", strings.TrimPrefix(msg, "json: ")))
}

// syntaxReason returns err, an error of encoding/json, as a catalog
// message when it is a syntax error jsonstrict knows, so that a problem
// writes it in the caller's language; else err itself.
func syntaxReason(err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	return jsonstrict.SyntaxReason(se.Error())
}
