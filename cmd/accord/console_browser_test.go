package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/console/browsertest"
	"github.com/accord-dev/accord/internal/model"
)

// TestConsoleInBrowser runs the web console of `accord serve --demo` in a
// real headless Chromium, each demo principal doing its work: the
// authority of the state where data is lodges a signed authorization by
// uploading the envelope `accord authz sign` makes; the requester whose
// decision waited for it resubmits with it and gets an allow, then
// verifies the receipt on the server; an MLA case shows its steps; the
// auditor reads the log, the registry, the flows and the transparency
// report in French and in Arabic (right to left). axe-core checks every
// page: no serious or critical violation.
//
// ACCORD_CONSOLE_SCREENSHOTS=DIR saves a PNG of each page there (the
// README's come from ACCORD_CONSOLE_SCREENSHOTS=../../docs/console, on a
// machine with a CJK font, Debian fonts-wqy-microhei, so that the 中文
// language link is drawn).
func TestConsoleInBrowser(t *testing.T) {
	dir := t.TempDir()
	s := startDemo(t, dir)
	b := browsertest.Start(t)
	status := func(want, got int, what string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: status %d, want %d\n%s", what, got, want, s.stderr.String())
		}
	}

	// What the parties did before opening the console, through the API:
	// a company's transfer, an MLA case received and narrowed, and the
	// provider's request that waits for China's authorization.
	var first struct {
		Decision model.Decision `json:"decision"`
	}
	status(201, s.call(t, "POST", "/v1/decisions", "REQUESTER", `{"action":"transfer","data":{"dataset":"crm-eu"},"destination":"US","purpose":"commercial"}`, &first), "acme decides")
	status(201, s.call(t, "POST", "/v1/mla", "FR_BEPI", `{"id":"MLA-2026-0042","requested_state":"CN","agreement":"cn-fr-mla-2005","provider":"mailco-cn",
		"scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"selectors":{"kind":"specific","count":3},"max_subjects":3,"subject_states":["CN","FR"]}}`, nil), "open")
	status(200, s.call(t, "POST", "/v1/mla/MLA-2026-0042/receive", "CN_MOJ", "", nil), "receive")
	status(200, s.call(t, "POST", "/v1/mla/MLA-2026-0042/narrow", "CN_MOJ",
		`{"scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"selectors":{"kind":"specific","count":2},"max_subjects":2,"subject_states":["CN","FR"]}}`, nil), "narrow")
	var pending struct {
		Decision model.Decision `json:"decision"`
	}
	status(201, s.call(t, "POST", "/v1/decisions", "MAILCO_CN", lawfulRequest, &pending), "the provider's request")
	if pending.Decision.Outcome != model.Pending {
		t.Fatalf("the provider's request is %s, want pending", pending.Decision.Outcome)
	}
	// China's central authority signs the case's authorization offline,
	// as `accord authz sign` does.
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
	env, err := authz.Sign(context.Background(), &st, priv)
	if err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(t.TempDir(), "authorization.dsse.json")
	envJSON, _ := json.Marshal(env)
	if err := os.WriteFile(envFile, envJSON, 0o600); err != nil {
		t.Fatal(err)
	}

	page := func(path, name string) {
		t.Helper()
		b.Go(t, s.base+path)
		b.Axe(t, name)
		b.Shot(t, name)
	}
	signIn := func(token string) {
		t.Helper()
		b.Go(t, s.base+"/")
		if h := b.Text(t, "main h1"); h != "Sign in" {
			t.Fatalf("/ opens on %q", h)
		}
		b.Type(t, "#f-token", s.tokens[token])
		b.Submit(t, "form.signin button")
		if h := b.Text(t, "main h1"); h != "Decisions" {
			t.Fatalf("signed in as %s, the console opens on %q", token, h)
		}
	}
	signOut := func() {
		t.Helper()
		b.Submit(t, ".who form button")
		if h := b.Text(t, "main h1"); h != "Sign in" {
			t.Fatalf("after sign-out: %q", h)
		}
	}

	b.Go(t, s.base+"/")
	b.Axe(t, "sign-in")
	b.Shot(t, "signin")

	// The authority lodges the signed authorization by uploading it.
	signIn("CN_MOJ")
	page("/console/pending", "pending")
	b.Upload(t, "#f-envelope", envFile)
	b.Submit(t, "form[action='/console/authorizations'] button")
	if n := b.Text(t, "p.notice"); !strings.Contains(n, "MLA-2026-0042-A") || !strings.Contains(n, "lodged at log index") {
		t.Fatalf("lodging: %q\n%s", n, b.HTML(t))
	}
	b.Axe(t, "pending after lodging")
	b.Shot(t, "pending-lodged")
	signOut()

	// The provider resubmits its pending request with the authorization.
	signIn("MAILCO_CN")
	page("/console/decisions/"+pending.Decision.ID, "decision-pending")
	if o := b.Text(t, "#outcome"); o != "pending" {
		t.Fatalf("pending decision shows %q", o)
	}
	b.Upload(t, "#f-envelope", envFile)
	b.Submit(t, "form[action$='/resubmit'] button")
	if o := b.Text(t, "#outcome"); o != "allow" {
		t.Fatalf("after resubmitting with the authorization: %q\n%s", o, b.HTML(t))
	}
	b.Axe(t, "decision allowed")
	// Verify the receipt on the server (htmx swaps the result in).
	b.Click(t, "#verify-button", "#verify-result")
	if r := b.Text(t, "#verify-result"); !strings.Contains(r, "Receipt verified") {
		t.Fatalf("verify: %q\n%s", r, b.HTML(t))
	}
	b.Axe(t, "decision verified")
	b.Shot(t, "decision")

	// Lawful access: the case and its steps.
	page("/console/mla", "mla")
	page("/console/mla/MLA-2026-0042", "mla-case")
	if steps := strings.Count(b.HTML(t), "<li>"); steps < 3 {
		t.Fatalf("the case shows %d steps, want opened, received, narrowed", steps)
	}
	signOut()

	// The auditor: decisions, log, registry, flows, reports in French and
	// Arabic.
	signIn("AUDITOR")
	b.Go(t, s.base+"/console/decisions")
	b.Axe(t, "decisions")
	b.Shot(t, "decisions")
	// Filter by outcome, and export what the page shows.
	b.Go(t, s.base+"/console/decisions?outcome=allow")
	html := b.HTML(t)
	if strings.Contains(html, "o-pending") || !strings.Contains(html, "o-allow") {
		t.Fatalf("outcome=allow lists other outcomes:\n%s", html)
	}
	var href string
	b.Eval(t, `document.querySelector("p.exports a").getAttribute("href")`, &href)
	code, csv := b.Fetch(t, href)
	// Every exported row (after the header) is an allow.
	rows := strings.Split(strings.TrimSpace(csv), "\n")
	if code != 200 || len(rows) < 2 {
		t.Fatalf("export %s: %d\n%s", href, code, csv)
	}
	for _, row := range rows[1:] {
		if f := strings.Split(row, ","); len(f) < 4 || f[3] != "allow" {
			t.Fatalf("export %s lists a row that is not an allow: %q\n%s", href, row, csv)
		}
	}
	b.Axe(t, "decisions filtered")
	page("/console/log", "log")
	if a := b.Text(t, "#audit"); !strings.Contains(a, "Every entry re-read") {
		t.Fatalf("log audit: %q", a)
	}
	page("/console/registry?kind=authorities", "registry")
	page("/console/flows", "flows")
	page("/console/reports?period=all&lang=fr", "reports-fr")
	if h := b.Text(t, "main h1"); h != "Rapports" {
		t.Fatalf("French report heading %q", h)
	}
	html = b.HTML(t)
	if !strings.Contains(html, `<svg id="chart-by-state"`) || !strings.Contains(html, "Vérifié sur le journal accord.example/demo") {
		t.Fatalf("French report lacks its charts or its checkpoint:\n%s", html)
	}
	page("/console/reports?period=all&lang=ar", "reports-ar")
	var dir2 string
	b.Eval(t, `document.documentElement.dir`, &dir2)
	if h := b.Text(t, "main h1"); h != "التقارير" || dir2 != "rtl" {
		t.Fatalf("Arabic report: heading %q, dir %q", h, dir2)
	}
	b.Go(t, s.base+"/console/reports?period=all&lang=en")
	page("/console/reports?period=all", "reports")
	if strings.Contains(s.stderr.String(), "personal.contact") || strings.Contains(s.stderr.String(), s.tokens["AUDITOR"]) {
		t.Errorf("request contents or a token reached the server log")
	}
}
