package console

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/console/browsertest"
)

// TestBrowserFilterAndExport signs in with a real Chromium, filters the
// decision list through the form and exports what it shows, against an
// API that serves the decision listing contract (the real listing is
// tested in cmd/accord once the server has it). axe checks each page.
func TestBrowserFilterAndExport(t *testing.T) {
	api := newFakeAPI()
	c, err := New(Config{API: api})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Mount(c, api))
	defer srv.Close()
	b := browsertest.Start(t)

	b.Go(t, srv.URL+"/")
	if h := b.Text(t, "main h1"); h != "Sign in" {
		t.Fatalf("/ opens on %q", h)
	}
	b.Axe(t, "sign-in")
	b.Type(t, "#f-token", "tok-bad")
	b.Submit(t, "form.signin button")
	if e := b.Text(t, "#f-token-err"); !strings.Contains(e, "unknown, expired or revoked") {
		t.Fatalf("bad token: %q", e)
	}
	b.Axe(t, "sign-in with an error")
	b.Type(t, "#f-token", "tok-auditor")
	b.Submit(t, "form.signin button")
	if h := b.Text(t, "main h1"); h != "Decisions" {
		t.Fatalf("after sign-in: %q", h)
	}
	b.Axe(t, "decisions")
	b.Shot(t, "decisions")
	if n := strings.Count(b.HTML(t), `href="/console/decisions/dec-`); n != 3 {
		t.Fatalf("%d decisions listed, want 3", n)
	}

	// Filter: pending decisions requested by DE.
	b.Eval(t, `(document.getElementById("f-outcome").value = "pending", true)`, nil)
	b.Type(t, "#f-requesting_state", "de")
	b.Submit(t, "#f-form button[type=submit]")
	html := b.HTML(t)
	if n := strings.Count(html, `href="/console/decisions/dec-`); n != 1 || !strings.Contains(html, "dec-2") {
		t.Fatalf("filtered list: %d decisions\n%s", n, html)
	}
	var loc string
	b.Eval(t, `location.search`, &loc)
	if !strings.Contains(loc, "outcome=pending") || !strings.Contains(loc, "requesting_state=de") {
		t.Fatalf("the filter is not in the URL: %s", loc)
	}
	b.Axe(t, "decisions filtered")

	// Export exactly what is shown.
	var href string
	b.Eval(t, `document.querySelector("p.exports a").getAttribute("href")`, &href)
	st, csv := b.Fetch(t, href)
	if st != 200 || csv != "id,time,outcome,requesting_state,location\ndec-2,2026-11-22T11:00:00Z,pending,DE,FR\n" {
		t.Fatalf("export %s: %d\n%s", href, st, csv)
	}

	// A filter the server refuses names its field.
	b.Go(t, srv.URL+"/console/decisions?since=yesterday")
	if e := b.Text(t, "#f-since-err"); !strings.Contains(e, "must be a date") {
		t.Fatalf("since error: %q", e)
	}
	b.Axe(t, "decisions with a bad filter")

	// Flows over the listed decisions, as an SVG matrix and a table.
	b.Go(t, srv.URL+"/console/flows?since=2026-11-01")
	if n := strings.Count(b.HTML(t), "<circle"); n != 3 {
		t.Fatalf("flows draw %d circles, want 3", n)
	}
	b.Axe(t, "flows")
	b.Shot(t, "flows")

	// The decision page, in Arabic, right to left.
	b.Go(t, srv.URL+"/console/decisions/dec-2?lang=ar")
	var dir string
	b.Eval(t, `document.documentElement.dir`, &dir)
	if dir != "rtl" {
		t.Fatalf("Arabic page dir %q", dir)
	}
	b.Axe(t, "decision (ar)")
	b.Shot(t, "decision-ar")
}
