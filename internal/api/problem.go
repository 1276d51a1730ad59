package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
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
}

// problemBase prefixes Problem.Type: a relative URI reference that
// resolves to the page this server serves for the type (GET
// /problems/{type}, in English and French; see problem_pages.go).
const problemBase = "/problems/"

// problemTypes gives each status Accord answers with its type and title.
var problemTypes = map[int][2]string{
	http.StatusBadRequest:                  {"bad-request", "The request is not valid"},
	http.StatusUnauthorized:                {"unauthorized", "A valid bearer token is required"},
	http.StatusForbidden:                   {"forbidden", "The credential does not allow this"},
	http.StatusNotFound:                    {"not-found", "No such resource"},
	http.StatusMethodNotAllowed:            {"method-not-allowed", "Method not allowed"},
	http.StatusConflict:                    {"conflict", "The request conflicts with the state of the resource"},
	http.StatusUnprocessableEntity:         {"beyond-scope", "The request goes beyond the scope granted"},
	http.StatusPreconditionFailed:          {"precondition-failed", "The resource changed since the version the request names"},
	http.StatusPreconditionRequired:        {"precondition-required", "This write needs If-Match"},
	http.StatusRequestEntityTooLarge:       {"too-large", "The request body is too large"},
	http.StatusUnsupportedMediaType:        {"unsupported-media-type", "The request body must be application/json"},
	http.StatusTooManyRequests:             {"rate-limited", "Too many requests from this principal"},
	http.StatusRequestHeaderFieldsTooLarge: {"headers-too-large", "The request's header fields are too large"},
	http.StatusInternalServerError:         {"internal", "Internal error"},
	http.StatusServiceUnavailable:          {"unavailable", "Temporarily unavailable; retry later"},
}

// newProblem returns the problem for status with detail.
func newProblem(status int, detail string) *Problem {
	t, ok := problemTypes[status]
	if !ok {
		t = [2]string{"error", http.StatusText(status)}
	}
	return &Problem{Type: problemBase + t[0], Title: t[1], Status: status, Detail: detail}
}

// typedProblem returns a problem of a type more precise than its
// status's (problemTypes).
func typedProblem(status int, typ, title, detail string) *Problem {
	return &Problem{Type: problemBase + typ, Title: title, Status: status, Detail: detail}
}

// fieldProblem returns a problem about one member of the body.
func fieldProblem(status int, field, msg string) *Problem {
	p := newProblem(status, field+": "+msg)
	p.Field = field
	return p
}

// Error lets a *Problem travel as an error inside the package.
func (p *Problem) Error() string { return p.Detail }

// writeProblem answers with p.
func writeProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="accord"`)
	}
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
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
		return newProblem(http.StatusRequestEntityTooLarge, "the body exceeds 1 MiB")
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fieldProblem(http.StatusBadRequest, te.Field, "expected "+te.Type.String()+", got JSON "+te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return newProblem(http.StatusBadRequest, "invalid JSON: "+se.Error())
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return fieldProblem(http.StatusBadRequest, f, "unknown field")
	}
	return newProblem(http.StatusBadRequest, "invalid JSON: "+strings.TrimPrefix(msg, "json: "))
}
