package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/model"
)

// demoServer is `accord serve --demo` running in the test process.
type demoServer struct {
	base   string
	tokens map[string]string // by demo-tokens.env name without ACCORD_TOKEN_
	stderr *syncBuffer
	stop   func()
}

// startDemo runs serve --demo on dir, with extra flags, until the test
// ends (or stop).
func startDemo(t *testing.T, dir string, extra ...string) *demoServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	prev := routeTesseraLogs
	routeTesseraLogs = func(*slog.Logger) {}
	resetFlags(rootCmd)
	rootCmd.SetOut(&stdout)
	rootCmd.SetErr(&stderr)
	rootCmd.SetArgs(append([]string{"serve", "--demo", "--data", dir, "--addr", "127.0.0.1:0", "--checkpoint-interval", "100ms"}, extra...))
	done := make(chan error, 1)
	go func() { done <- rootCmd.ExecuteContext(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve ended with %v\n%s", err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
		rootCmd.SetArgs(nil)
		routeTesseraLogs = prev
	}
	t.Cleanup(stop)
	s := &demoServer{tokens: map[string]string{}, stderr: &stderr, stop: stop}
	for deadline := time.Now().Add(10 * time.Second); s.base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("serve ended before serving: %v\n%s%s", err, stdout.String(), stderr.String())
		default:
		}
		for _, line := range strings.Split(stderr.String(), "\n") {
			var l struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "accord serving" {
				s.base = l.URL
			}
		}
	}
	if s.base == "" {
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	env, err := os.ReadFile(filepath.Join(dir, demoTokensFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(env), "\n") {
		if name, v, ok := strings.Cut(strings.TrimPrefix(line, "export ACCORD_TOKEN_"), "="); ok {
			s.tokens[name] = v
		}
	}
	return s
}

// call sends body (JSON, or none) as the holder of token name and decodes
// the answer into out (when not nil); it returns the status.
func (s *demoServer) call(t *testing.T, method, path, token, body string, out any) int {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.base+path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[token])
	}
	setPrecondition(req, s.base, req.Header.Get("Authorization"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

const lawfulRequest = `{"action":"disclose",
 "on_behalf_of":{"id":"fr-bepi","kind":"state-authority","role":"central-authority","jurisdiction":"FR"},
 "data":{"location":"CN","origin":["CN"],"categories":["personal.contact"],"subjects":{"CN":2,"DE":1},"records":12,"classification":"general"},
 "destination":"FR","purpose":"law-enforcement","selectors":{"kind":"specific","count":2},
 "basis":{"kind":"mla","ref":"MLA-2026-0042","agreement":"cn-fr-mla-2005","authorizations":[]}}`

// TestServeLawfulAccess runs the docs/lawful-access.md scenario against the
// real server (decider, log, SQLite): the case through its steps, the
// authorization signed with the demo key and lodged, the execution allowed
// with the German subject excluded, a revocation that makes the same
// request pending, still after a restart, and the report that counts it.
func TestServeLawfulAccess(t *testing.T) {
	dir := t.TempDir()
	s := startDemo(t, dir)
	status := func(want int, got int, what string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: status %d, want %d\n%s", what, got, want, s.stderr.String())
		}
	}
	status(201, s.call(t, "POST", "/v1/mla", "FR_BEPI", `{"id":"MLA-2026-0042","requested_state":"CN","agreement":"cn-fr-mla-2005","provider":"mailco-cn",
		"scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"selectors":{"kind":"specific","count":3},"max_subjects":3,"subject_states":["CN","FR"]}}`, nil), "open")
	status(403, s.call(t, "POST", "/v1/mla/MLA-2026-0042/receive", "FR_BEPI", "", nil), "receive by the requesting state")
	status(200, s.call(t, "POST", "/v1/mla/MLA-2026-0042/receive", "CN_MOJ", "", nil), "receive")
	status(200, s.call(t, "POST", "/v1/mla/MLA-2026-0042/narrow", "CN_MOJ",
		`{"scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"selectors":{"kind":"specific","count":2},"max_subjects":2,"subject_states":["CN","FR"]}}`, nil), "narrow")

	var st authz.Statement
	status(200, s.call(t, "GET", "/v1/mla/MLA-2026-0042/authorization", "CN_MOJ", "", &st), "authorization")
	raw, err := os.ReadFile(filepath.Join(dir, "demo-keys", "cn-moj.key"))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := authz.ParsePrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(st *authz.Statement) string {
		env, err := authz.Sign(context.Background(), st, priv)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(env)
		return string(b)
	}
	envelope := sign(&st)
	status(403, s.call(t, "POST", "/v1/authorizations", "FR_BEPI", envelope, nil), "lodge by another state")
	status(201, s.call(t, "POST", "/v1/authorizations", "CN_MOJ", envelope, nil), "lodge")

	var req map[string]any
	json.Unmarshal([]byte(lawfulRequest), &req)
	var env any
	json.Unmarshal([]byte(envelope), &env)
	req["basis"].(map[string]any)["authorizations"] = []any{env}
	body, _ := json.Marshal(req)
	var ex struct {
		Executed bool           `json:"executed"`
		Decision model.Decision `json:"decision"`
	}
	status(201, s.call(t, "POST", "/v1/mla/MLA-2026-0042/execute", "MAILCO_CN", string(body), &ex), "execute")
	if !ex.Executed || ex.Decision.Outcome != model.Allow || len(ex.Decision.Excluded) != 1 || ex.Decision.Excluded[0].State != "DE" {
		t.Fatalf("execution: executed %v, outcome %s, excluded %+v", ex.Executed, ex.Decision.Outcome, ex.Decision.Excluded)
	}

	rev := &authz.Statement{ID: "MLA-2026-0042-A-R", Type: authz.TypeRevocation, Issuer: "cn-moj", IssuerJurisdiction: "CN",
		Revokes: st.ID, ValidFrom: time.Now().UTC().Add(-time.Second).Truncate(time.Second)}
	status(201, s.call(t, "POST", "/v1/revocations", "CN_MOJ", sign(rev), nil), "revoke")
	revoked := func(what string) {
		t.Helper()
		var d model.Decision
		status(200, s.call(t, "POST", "/v1/check", "MAILCO_CN", string(body), &d), what)
		found := false
		for _, r := range d.Reasons {
			found = found || r.Rule == "authz-revoked"
		}
		if d.Outcome != model.Pending || !found {
			t.Fatalf("%s: outcome %s, reasons %+v; want pending with authz-revoked", what, d.Outcome, d.Reasons)
		}
	}
	revoked("check after the revocation")

	// The report counts the execution's decision once a checkpoint covers it.
	var rep struct {
		Rows []struct {
			State, Channel string
			Requests       int
		} `json:"rows"`
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		status(200, s.call(t, "GET", "/v1/reports/transparency?period=all&format=json", "AUDITOR", "", &rep), "report")
		if len(rep.Rows) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(rep.Rows) != 1 || rep.Rows[0].State != "FR" || rep.Rows[0].Channel != "mla" || rep.Rows[0].Requests != 1 {
		t.Fatalf("report rows = %+v, want one FR mla request", rep.Rows)
	}
	recountIndependently(t, s)
	if strings.Contains(s.stderr.String(), "personal.contact") || strings.Contains(s.stderr.String(), `"records"`) {
		t.Errorf("request contents reached the server log:\n%s", s.stderr.String())
	}

	// After a restart the revocation still counts.
	s.stop()
	// The private records of the case's four logged steps are in the
	// database (not in DIR/mla/records.jsonl), each checked against its
	// entry.
	recs := storedMLARecords(t, dir)
	if len(recs) != 4 {
		t.Fatalf("%d MLA records stored, want 4 (opened, received, narrowed, executed)", len(recs))
	}
	for _, r := range recs {
		if r.Case != "MLA-2026-0042" {
			t.Errorf("record at %d is of case %q", r.LogIndex, r.Case)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "mla", "records.jsonl")); !os.IsNotExist(err) {
		t.Errorf("the server wrote DIR/mla/records.jsonl (%v)", err)
	}
	s = startDemo(t, dir)
	revoked("check after a restart")
}
