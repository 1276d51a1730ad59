package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/store"
)

// TestDuplicateKeysEverywhere: a duplicate key at any depth, in any JSON
// body the API reads, is a 400 naming the member and its byte offset, and
// nothing changes. Keys are compared decoded, so an escape does not hide a
// duplicate.
func TestDuplicateKeysEverywhere(t *testing.T) {
	le := newLawfulEnv(t)
	op, req, auth := le.tokens[store.RoleOperator], le.tokens[store.RoleRequester], le.tokens["cn-moj"]
	if a := le.do(call{method: "POST", path: "/v1/datasets", token: op, body: okDataset}); a.status != 201 {
		t.Fatalf("seed dataset: %d %s", a.status, a.body)
	}
	dupSubjects := `{"id":"crm-us","location":"US","categories":["personal.contact"],"subjects":{"US":1,"US":900000},"records":2,"classification":"general"}`
	cases := []struct {
		name, method, path, token, body, field string
	}{
		{"dataset POST, nested", "POST", "/v1/datasets", op, dupSubjects, "subjects.US"},
		{"dataset POST, top level", "POST", "/v1/datasets", op, `{"id":"crm-us","location":"US","location":"FR"}`, "location"},
		{"dataset POST, escaped key", "POST", "/v1/datasets", op, `{"id":"crm-us","location":"US","\u006cocation":"FR"}`, "location"},
		{"dataset POST, key in another case", "POST", "/v1/datasets", op, `{"id":"crm-us","location":"US","Location":"FR"}`, "Location"},
		{"dataset PUT, nested", "PUT", "/v1/datasets/crm-eu", op, strings.Replace(okDataset, `"FR":12`, `"FR":12,"FR":0`, 1), "subjects.FR"},
		{"registry PUT", "PUT", "/v1/registry/jurisdictions/XA", op, `{"id":"XA","name":"X","name":"Y"}`, "name"},
		{"decision, in data", "POST", "/v1/decisions", req, strings.Replace(okRequest, `"FR":12`, `"FR":12,"FR":1`, 1), "data.subjects.FR"},
		{"check, in an array", "POST", "/v1/check", req, `{"action":"access","data":{"location":"FR"},"basis":{"kind":"consent","authorizations":[{"payload":"a","payload":"b"}]}}`, "basis.authorizations[0].payload"},
		{"authorization", "POST", "/v1/authorizations", auth, `{"payloadType":"a","payload":"b","payload":"c","signatures":[]}`, "payload"},
		{"MLA case", "POST", "/v1/mla", auth, `{"id":"MLA-1","requested_state":"FR","requested_state":"DE"}`, "requested_state"},
	}
	for _, c := range cases {
		a := le.do(call{method: c.method, path: c.path, token: c.token, body: c.body, invalid: true})
		off := strings.LastIndex(c.body, `"`+c.field[strings.LastIndexAny(c.field, ".]")+1:]+`"`)
		if c.name == "dataset POST, escaped key" {
			off = strings.Index(c.body, `"\u006c`)
		}
		if a.status != 400 || a.problem.Field != c.field || !strings.Contains(a.problem.Detail, fmt.Sprintf("duplicate key at byte %d", off)) {
			t.Errorf("%s: %d %+v, want 400 on %s at byte %d", c.name, a.status, a.problem, c.field, off)
		}
		if strings.Contains(c.name, "another case") != strings.Contains(a.problem.Detail, "letter case") {
			t.Errorf("%s: %q says (or not) that keys differ only in case", c.name, a.problem.Detail)
		}
	}
	// Nothing changed.
	if a := le.do(call{method: "GET", path: "/v1/datasets/crm-us", token: op}); a.status != 404 {
		t.Errorf("a refused dataset was stored: %d", a.status)
	}
	var ds struct{ Subjects map[string]int64 }
	a := le.do(call{method: "GET", path: "/v1/datasets/crm-eu", token: op})
	if json.Unmarshal(a.body, &ds); ds.Subjects["FR"] != 12 {
		t.Errorf("a refused PUT changed the dataset: %s", a.body)
	}
	if len(le.log.kinds()) != 0 {
		t.Errorf("refused bodies reached the log: %v", le.log.kinds())
	}
}

// TestCharset: a JSON body in any charset but UTF-8 is 415; utf-8 in any
// case is accepted.
func TestCharset(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[store.RoleOperator]
	for _, ct := range []string{"application/json; charset=latin1", "application/json; charset=ISO-8859-1", "application/json;charset=utf-16", "application/json; charset=\"us-ascii\"", "application/json; charset=utf-8; charset=latin1"} {
		a := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: okDataset, contentType: ct, invalid: true})
		if a.status != 415 || !strings.Contains(a.problem.Detail, "charset") {
			t.Errorf("%s: %d %+v, want 415 naming the charset", ct, a.status, a.problem)
		}
	}
	if a := e.do(call{method: "POST", path: "/v1/check", token: e.tokens[store.RoleRequester], body: okRequest, contentType: "application/json; charset=latin1", invalid: true}); a.status != 415 {
		t.Errorf("check in latin1: %d", a.status)
	}
	for i, ct := range []string{"application/json; charset=UTF-8", "application/json; charset=utf-8", "application/json"} {
		body := strings.Replace(okDataset, `"crm-eu"`, fmt.Sprintf(`"crm-%d"`, i), 1)
		if a := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: body, contentType: ct, invalid: true}); a.status != 201 {
			t.Errorf("%s: %d %s", ct, a.status, a.body)
		}
	}
}

// sickLog is a log whose storage fails: Err reports it, as *ledger.Log's
// does.
type sickLog struct {
	fakeLog
	err error
}

func (l *sickLog) Err() error { return l.err }

// TestReadyzLogUnwritable: /readyz answers 503 with Retry-After while the
// log cannot be written, as it does when the database does not answer.
func TestReadyzLogUnwritable(t *testing.T) {
	sick := &sickLog{fakeLog: fakeLog{ready: 100}}
	e := newEnv(t, func(c *api.Config) { c.Log = sick })
	if a := e.do(call{method: "GET", path: "/readyz"}); a.status != 200 {
		t.Fatalf("readyz on a healthy log: %d", a.status)
	}
	sick.err = fmt.Errorf("append decision entry: %w: %w", ledger.ErrUnavailable, syscall.ENOSPC)
	a := e.do(call{method: "GET", path: "/readyz"})
	if a.status != 503 || a.header.Get("Retry-After") == "" || !strings.Contains(a.problem.Detail, "log") {
		t.Errorf("readyz on an unwritable log: %d %+v, Retry-After %q", a.status, a.problem, a.header.Get("Retry-After"))
	}
	if strings.Contains(string(a.body), "no space") {
		t.Errorf("readyz leaks the internal error: %s", a.body)
	}
}

// TestUnavailableRetryAfter: every 503, from the database or from the log,
// carries Retry-After; a log append that fails for a storage reason is 503
// on the lawful endpoints too, not 500.
func TestUnavailableRetryAfter(t *testing.T) {
	le := newLawfulEnv(t)
	le.log.fail = fmt.Errorf("append: %w: %w", ledger.ErrUnavailable, syscall.ENOSPC)
	authzCN := le.sign("cn-moj", authorization("CN-A-9", "cn-moj", "CN"))
	for _, c := range []call{
		{method: "POST", path: "/v1/authorizations", token: le.tokens["cn-moj"], body: authzCN},
		{method: "POST", path: "/v1/mla", token: le.tokens["fr-bepi"], body: `{"id":"MLA-2026-0077","requested_state":"CN","agreement":"cn-fr-mla-2005","provider":"mailco-cn","scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"selectors":{"kind":"specific","count":1}}}`},
	} {
		if a := le.do(c); a.status != 503 || a.header.Get("Retry-After") == "" {
			t.Errorf("%s %s on an unwritable log: %d %s, Retry-After %q", c.method, c.path, a.status, a.body, a.header.Get("Retry-After"))
		}
	}

	e := newEnv(t, func(c *api.Config) {
		c.ErrorStatus = func(err error) int {
			if errors.Is(err, ledger.ErrUnavailable) {
				return 503
			}
			return 0
		}
	})
	e.st.Close()
	for _, c := range []call{
		{method: "POST", path: "/v1/decisions", body: okRequest, token: e.tokens[store.RoleRequester]},
		{method: "POST", path: "/v1/datasets", body: okDataset, token: e.tokens[store.RoleOperator]},
		{method: "GET", path: "/v1/datasets", token: e.tokens[store.RoleOperator]},
		{method: "GET", path: "/readyz"},
	} {
		if a := e.do(c); a.status != 503 || a.header.Get("Retry-After") == "" {
			t.Errorf("%s %s with the database down: %d, Retry-After %q", c.method, c.path, a.status, a.header.Get("Retry-After"))
		}
	}
}

// rawRequest sends raw bytes over TCP and returns the response.
func rawRequest(t *testing.T, addr, raw string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestProblemListener: the errors net/http answers before any handler (431
// for a header block over MaxHeaderBytes, 400 for a malformed request) go
// out as problem+json over a raw TCP connection; other answers are
// untouched.
func TestProblemListener(t *testing.T) {
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: api.New(*e.cfg), MaxHeaderBytes: 64 << 10, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(api.ProblemListener(ln))
	t.Cleanup(func() { hs.Shutdown(context.Background()) })
	addr := ln.Addr().String()

	cases := []struct {
		name   string
		raw    string
		status int
	}{
		{"headers over 64 KiB", "GET /healthz HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nX-Big: " + strings.Repeat("a", 80<<10) + "\r\n\r\n", 431},
		{"malformed request line", "GET /healthz HTTP/9\r\nHost: x\r\n\r\n", 400},
		{"no Host", "GET /healthz HTTP/1.1\r\n\r\n", 400},
	}
	for _, c := range cases {
		resp, body := rawRequest(t, addr, c.raw)
		var p api.Problem
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(body, &p) != nil || p.Status != c.status || p.Type == "" ||
			(c.status == 431 && p.Type != "/problems/headers-too-large") {
			t.Errorf("%s: %d %q %s, want %d as problem+json", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), body, c.status)
		}
	}
	// Within the limit, and a handler's own answers, pass untouched.
	resp, body := rawRequest(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 60<<10)+"\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ok") {
		t.Errorf("60 KiB of headers: %d %s", resp.StatusCode, body)
	}
	resp, _ = rawRequest(t, addr, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 404 || resp.Header.Get("Date") == "" {
		t.Errorf("a handler's 404 was rewritten: %d %v", resp.StatusCode, resp.Header)
	}
}
