package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/advisory"
	"github.com/accord-dev/accord/internal/console/browsertest"
)

// TestConsoleRolesInBrowser runs the web console of `accord serve --demo`
// in a real headless Chromium for the roles whose work the other browser
// test does not cover, each from its own landing page: a vendor's request
// waits on the data holder's approval; acme's approver (the holder of
// firmware-fr, docs/custody.md) approves it on the Approvals page; the
// vendor's resubmission is then allowed. The operator adds a dataset and
// changes its labels, and registers the vendor's advisory key; the vendor
// publishes a signed advisory by pasting its envelope. axe-core checks
// every page: no serious or critical violation.
//
// ACCORD_CONSOLE_SCREENSHOTS=DIR saves a PNG of each new page there.
func TestConsoleRolesInBrowser(t *testing.T) {
	s := startDemo(t, t.TempDir())
	b := browsertest.Start(t)
	text := func(sel string) string { t.Helper(); return strings.TrimSpace(b.Text(t, sel)) }
	page := func(name string) {
		t.Helper()
		b.Axe(t, name)
		b.Shot(t, name)
	}
	signIn := func(token, landing string) {
		t.Helper()
		b.Go(t, s.base+"/")
		b.Type(t, "#f-token", s.tokens[token])
		b.Submit(t, "form.signin button")
		if h := text("main h1"); h != landing {
			t.Fatalf("signed in as %s, the console opens on %q, want %q\n%s", token, h, landing, b.HTML(t))
		}
	}
	signOut := func() {
		t.Helper()
		b.Submit(t, ".who form button")
	}
	set := func(id, value string) {
		t.Helper()
		js, _ := json.Marshal(value)
		b.Eval(t, `(document.getElementById("`+id+`").value = `+string(js)+`, true)`, nil)
	}

	// The vendor asks, from the New request form, for maintenance access
	// to firmware-fr: pending on the customer's approval.
	signIn("GLOBEX", "Decisions")
	b.Submit(t, "#new-request")
	page("request")
	set("f-action", "access")
	set("f-dataset", "firmware-fr")
	set("f-purpose", "maintenance")
	set("f-basis", "contract")
	b.Submit(t, "#request-button")
	if o := text("#outcome"); o != "pending" {
		t.Fatalf("the vendor's request is %q, want pending\n%s", o, b.HTML(t))
	}
	if a := text("#approval"); !strings.Contains(a, "apr-") || !strings.Contains(a, "pending") {
		t.Fatalf("the decision does not say it waits on the holder's approval: %q", a)
	}
	page("decision-waits-approval")
	var decision string
	b.Eval(t, `location.pathname`, &decision)
	signOut()

	// The holder's approver: Approvals is its first page; Pending shows
	// the request with its answer buttons; it approves for an hour.
	signIn("APPROVER", "Approvals")
	page("approvals")
	b.Go(t, s.base+"/console/pending")
	if !strings.Contains(text("#pending-approvals"), "firmware-fr") {
		t.Fatalf("Pending does not show the approval request:\n%s", b.HTML(t))
	}
	page("pending-approvals")
	b.Go(t, s.base+"/console/approvals?status=pending")
	b.Submit(t, "#approvals tbody a")
	page("approval")
	set("f-duration", "1h")
	b.Submit(t, "#approve-button")
	if st, n := text("#approval-status"), text("p.notice"); st != "approved" || !strings.Contains(n, "Approved") {
		t.Fatalf("after approving: status %q, notice %q", st, n)
	}
	page("approval-approved")
	signOut()

	// The vendor resubmits: allowed, citing the approval.
	signIn("GLOBEX", "Decisions")
	b.Go(t, s.base+decision)
	b.Submit(t, "form[action$='/resubmit'] button")
	if o := text("#outcome"); o != "allow" {
		t.Fatalf("after the approval, the resubmission is %q\n%s", o, b.HTML(t))
	}
	if !strings.Contains(b.HTML(t), "accord.approval") {
		t.Fatal("the allow does not cite the approval")
	}
	signOut()

	// The operator adds a dataset, changes its holder, and registers the
	// vendor's advisory key.
	signIn("OPERATOR", "Datasets")
	page("datasets")
	b.Submit(t, "#new-dataset")
	set("f-id", "hr-fr")
	set("f-location", "fr")
	set("f-categories", "personal.contact, personal.financial")
	set("f-records", "not a number")
	b.Submit(t, "#dataset-save")
	if e := text("#f-records-err"); !strings.Contains(e, "whole number") {
		t.Fatalf("records error: %q", e)
	}
	page("dataset-error")
	set("f-records", "120")
	set("f-subjects", "FR=100, DE=20")
	b.Submit(t, "#dataset-save")
	if n := text("p.notice"); !strings.Contains(n, "on the log at index") {
		t.Fatalf("after adding: %q\n%s", n, b.HTML(t))
	}
	set("f-holder", "acme")
	b.Submit(t, "#dataset-save")
	if h := b.HTML(t); !strings.Contains(h, "<dd>acme</dd>") || !strings.Contains(h, `class="notice"`) {
		t.Fatalf("after the edit:\n%s", h)
	}
	page("dataset")
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Go(t, s.base+"/console/advisories")
	set("f-vendor_id", "globex")
	set("f-public_key", base64.StdEncoding.EncodeToString(pub))
	b.Submit(t, "#key-form button")
	if n := text("p.notice"); !strings.Contains(n, "is registered") {
		t.Fatalf("vendor key: %q\n%s", n, b.HTML(t))
	}
	signOut()

	// The vendor publishes a signed advisory by pasting its envelope.
	signIn("VENDOR", "Advisories")
	doc, err := os.ReadFile("../../internal/advisory/testdata/csaf/acme-2026-001.json")
	if err != nil {
		t.Fatal(err)
	}
	env, err := advisory.Sign(context.Background(), doc, priv)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.MarshalIndent(env, "", "  ")
	set("f-envelope", "{not json")
	b.Submit(t, "#publish-button")
	if e := text("#f-envelope-err"); !strings.Contains(e, "not JSON") {
		t.Fatalf("a bad envelope: %q", e)
	}
	set("f-envelope", string(raw))
	b.Submit(t, "#publish-button")
	if n := text("p.notice"); !strings.Contains(n, "globex/ACME-2026-001 published") {
		t.Fatalf("publish: %q\n%s", n, b.HTML(t))
	}
	page("advisories")
	if !strings.Contains(text("#advisories"), "ACME-2026-001") {
		t.Fatal("the published advisory is not listed")
	}
	if strings.Contains(s.stderr.String(), s.tokens["VENDOR"]) {
		t.Error("a token reached the server log")
	}
}
