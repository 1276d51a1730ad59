package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLogUnwritable breaks the log's storage under a running server for
// real (its tile directory replaced by a file, which root cannot write
// under either): /readyz answers 503, decisions and logged POSTs answer
// 503 with Retry-After (not 500), the failure is logged at ERROR once for
// the incident, and everything recovers once the storage is repaired.
func TestLogUnwritable(t *testing.T) {
	dir := t.TempDir()
	srv := startDemo(t, dir)
	decision := `{"action":"access","data":{"location":"FR","categories":["personal.contact"],"subjects":{"FR":1}},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`
	do := func(method, path, token, body string) *http.Response {
		t.Helper()
		var req *http.Request
		if body != "" {
			req, _ = http.NewRequest(method, srv.base+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req, _ = http.NewRequest(method, srv.base+path, nil)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+srv.tokens[token])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := do("POST", "/v1/decisions", "REQUESTER", decision); r.StatusCode != 201 {
		t.Fatalf("decision on a healthy log: %d", r.StatusCode)
	}
	if r := do("GET", "/readyz", "", ""); r.StatusCode != 200 {
		t.Fatalf("readyz on a healthy log: %d", r.StatusCode)
	}

	tiles := filepath.Join(dir, "log", "tile")
	if err := os.Rename(tiles, tiles+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tiles, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		r := do("POST", "/v1/decisions", "REQUESTER", decision)
		if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("decision on an unwritable log: %d, Retry-After %q, %s", r.StatusCode, r.Header.Get("Retry-After"), r.Header.Get("Content-Type"))
		}
	}
	r := do("POST", "/v1/mla", "FR_BEPI", `{"id":"MLA-2026-0099","requested_state":"CN","agreement":"cn-fr-mla-2005","provider":"mailco-cn",
		"scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"selectors":{"kind":"specific","count":3},"max_subjects":3,"subject_states":["CN","FR"]}}`)
	if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
		t.Errorf("MLA case on an unwritable log: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	for i := 0; i < 2; i++ {
		if r := do("GET", "/readyz", "", ""); r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
			t.Errorf("readyz on an unwritable log: %d", r.StatusCode)
		}
		time.Sleep(600 * time.Millisecond) // past a probe
	}
	errorLines := func() int {
		n := 0
		for _, line := range strings.Split(srv.stderr.String(), "\n") {
			var l struct{ Level, Msg string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Level == "ERROR" {
				if !strings.HasPrefix(l.Msg, "the log cannot be written") {
					t.Errorf("unexpected ERROR line: %s", line)
				}
				n++
			}
		}
		return n
	}
	if n := errorLines(); n != 1 {
		t.Errorf("%d ERROR lines for one incident, want 1:\n%s", n, srv.stderr.String())
	}

	// Repaired: readiness comes back by itself, then decisions.
	os.Remove(tiles)
	if err := os.Rename(tiles+".moved", tiles); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return do("GET", "/readyz", "", "").StatusCode == 200 })
	if r := do("POST", "/v1/decisions", "REQUESTER", decision); r.StatusCode != 201 {
		t.Errorf("decision after repair: %d", r.StatusCode)
	}
	if !strings.Contains(srv.stderr.String(), "the log can be written again") {
		t.Error("recovery not logged")
	}
}

// TestServeRawErrors talks raw TCP to a real serve: a header block over
// 64 KiB is a 431 problem+json, one under it is served; a /log/ path that
// does not exist is a 404 problem+json for a client that accepts JSON.
func TestServeRawErrors(t *testing.T) {
	srv := startDemo(t, t.TempDir())
	addr := strings.TrimPrefix(srv.base, "http://")
	send := func(raw string) (*http.Response, []byte) {
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
	isProblem := func(resp *http.Response, body []byte, status int) bool {
		var p struct {
			Type   string
			Status int
		}
		return resp.StatusCode == status && resp.Header.Get("Content-Type") == "application/problem+json" &&
			json.Unmarshal(body, &p) == nil && p.Status == status && strings.HasPrefix(p.Type, "/problems/")
	}
	big := func(n int) string {
		return "GET /healthz HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nX-Pad: " + strings.Repeat("p", n) + "\r\nConnection: close\r\n\r\n"
	}
	if resp, body := send(big(60 << 10)); resp.StatusCode != 200 {
		t.Errorf("60 KiB of headers: %d %s", resp.StatusCode, body)
	}
	// net/http allows 4 KiB beyond MaxHeaderBytes; past that, 431.
	if resp, body := send(big(72 << 10)); !isProblem(resp, body, 431) {
		t.Errorf("72 KiB of headers: %d %q %s, want 431 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, body := send("GET /log/tile/0/999 HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n"); !isProblem(resp, body, 404) {
		t.Errorf("missing log tile, JSON client: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, _ := send("GET /log/tile/0/999 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); resp.StatusCode != 404 || strings.Contains(resp.Header.Get("Content-Type"), "json") {
		t.Errorf("missing log tile, tlog client: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
