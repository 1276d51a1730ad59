package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/accord-dev/accord/internal/store"
)

// TestConditionalDataset: a dataset has an ETag; a replace or delete needs
// If-Match (428 without, 412 when stale, nothing logged either way);
// If-None-Match on GET answers 304.
func TestConditionalDataset(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[store.RoleOperator]
	created := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: okDataset})
	e1 := created.header.Get("ETag")
	if created.status != http.StatusCreated || e1 == "" {
		t.Fatalf("create: %d, ETag %q", created.status, e1)
	}
	got := e.do(call{method: "GET", path: "/v1/datasets/crm-eu", token: op})
	if got.header.Get("ETag") != e1 {
		t.Fatalf("GET ETag %q, create's %q", got.header.Get("ETag"), e1)
	}
	if a := e.do(call{method: "GET", path: "/v1/datasets/crm-eu", token: op, header: map[string]string{"If-None-Match": `"x", ` + e1}}); a.status != http.StatusNotModified || len(a.body) != 0 {
		t.Errorf("GET If-None-Match current: %d %s, want 304", a.status, a.body)
	}
	if a := e.do(call{method: "GET", path: "/v1/datasets/crm-eu", token: op, header: map[string]string{"If-None-Match": `"old"`}}); a.status != http.StatusOK {
		t.Errorf("GET If-None-Match stale: %d, want 200", a.status)
	}
	logged := len(e.log.all())
	moved := `{"location":"DE"}`
	for _, c := range []struct {
		name   string
		call   call
		status int
	}{
		{"PUT without If-Match", call{method: "PUT", path: "/v1/datasets/crm-eu", token: op, body: moved, bare: true}, http.StatusPreconditionRequired},
		{"PUT with a bogus If-Match", call{method: "PUT", path: "/v1/datasets/crm-eu", token: op, body: moved, header: map[string]string{"If-Match": `"bogus"`}}, http.StatusPreconditionFailed},
		{"PUT with a weak If-Match", call{method: "PUT", path: "/v1/datasets/crm-eu", token: op, body: moved, header: map[string]string{"If-Match": "W/" + e1}}, http.StatusPreconditionFailed},
		{"PUT with a malformed If-Match", call{method: "PUT", path: "/v1/datasets/crm-eu", token: op, body: moved, header: map[string]string{"If-Match": "abc"}, invalid: true}, http.StatusBadRequest},
		{"DELETE without If-Match", call{method: "DELETE", path: "/v1/datasets/crm-eu", token: op, bare: true}, http.StatusPreconditionRequired},
		{"DELETE with a bogus If-Match", call{method: "DELETE", path: "/v1/datasets/crm-eu", token: op, header: map[string]string{"If-Match": `"bogus"`}}, http.StatusPreconditionFailed},
	} {
		a := e.do(c.call)
		if a.status != c.status || !strings.Contains(a.problem.Detail, "If-Match") {
			t.Errorf("%s: %d %s; want %d naming If-Match", c.name, a.status, a.body, c.status)
		}
	}
	if n := len(e.log.all()); n != logged {
		t.Errorf("refused writes appended %d entries", n-logged)
	}
	if d, _ := e.st.Dataset(t.Context(), "crm-eu"); d.Location != "FR" {
		t.Errorf("a refused write changed the dataset: %+v", d)
	}
	// Two writers read e1; both replace: exactly one wins, the other is 412
	// (it would have undone the first's change).
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		sts = map[int]int{}
		e2  string
	)
	for _, loc := range []string{"DE", "BE"} {
		wg.Go(func() {
			a := e.do(call{method: "PUT", path: "/v1/datasets/crm-eu", token: op, body: `{"location":"` + loc + `"}`, header: map[string]string{"If-Match": e1}})
			mu.Lock()
			defer mu.Unlock()
			sts[a.status]++
			if a.status == http.StatusOK {
				e2 = a.header.Get("ETag")
			}
		})
	}
	wg.Wait()
	if sts[http.StatusOK] != 1 || sts[http.StatusPreconditionFailed] != 1 || e2 == "" || e2 == e1 {
		t.Fatalf("two writers at one version: %v, new ETag %q (was %q); want one 200 with a new ETag and one 412", sts, e2, e1)
	}
	if a := e.do(call{method: "DELETE", path: "/v1/datasets/crm-eu", token: op, header: map[string]string{"If-Match": e1}}); a.status != http.StatusPreconditionFailed {
		t.Errorf("DELETE at the old version: %d", a.status)
	}
	if a := e.do(call{method: "DELETE", path: "/v1/datasets/crm-eu", token: op, header: map[string]string{"If-Match": e2}}); a.status != http.StatusNoContent {
		t.Errorf("DELETE at the current version: %d %s", a.status, a.body)
	}
}

// TestConditionalOverride: an override is created with If-None-Match: *,
// replaced and deleted with If-Match; GET answers its ETag and 304.
func TestConditionalOverride(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[store.RoleOperator]
	path := "/v1/registry/blocs/nordic"
	if a := e.do(call{method: "PUT", path: path, token: op, body: `{"members":["DK"]}`, bare: true}); a.status != http.StatusPreconditionRequired || !strings.Contains(a.problem.Detail, "If-None-Match: *") {
		t.Errorf("PUT without a precondition: %d %s", a.status, a.body)
	}
	created := e.do(call{method: "PUT", path: path, token: op, body: `{"members":["DK"]}`, header: ifNoneMatchAny})
	o1 := created.header.Get("ETag")
	if created.status != http.StatusCreated || created.header.Get("Location") != path || o1 == "" {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	if a := e.do(call{method: "PUT", path: path, token: op, body: `{"members":["SE"]}`, header: ifNoneMatchAny}); a.status != http.StatusPreconditionFailed {
		t.Errorf("create again: %d, want 412", a.status)
	}
	got := e.do(call{method: "GET", path: path, token: e.tokens[store.RoleAuditor]})
	if got.status != http.StatusOK || got.header.Get("ETag") != o1 {
		t.Fatalf("GET: %d ETag %q, want %q", got.status, got.header.Get("ETag"), o1)
	}
	if a := e.do(call{method: "GET", path: path, token: op, header: map[string]string{"If-None-Match": o1}}); a.status != http.StatusNotModified {
		t.Errorf("GET If-None-Match: %d, want 304", a.status)
	}
	replaced := e.do(call{method: "PUT", path: path, token: op, body: `{"members":["DK","SE"]}`, header: map[string]string{"If-Match": o1}})
	o2 := replaced.header.Get("ETag")
	if replaced.status != http.StatusOK || o2 == o1 {
		t.Fatalf("replace: %d ETag %q", replaced.status, o2)
	}
	if a := e.do(call{method: "PUT", path: path, token: op, body: `{"members":["NO"]}`, header: map[string]string{"If-Match": o1}}); a.status != http.StatusPreconditionFailed {
		t.Errorf("replace at a stale version: %d, want 412", a.status)
	}
	if a := e.do(call{method: "DELETE", path: path, token: op, bare: true}); a.status != http.StatusPreconditionRequired {
		t.Errorf("DELETE without If-Match: %d, want 428", a.status)
	}
	if a := e.do(call{method: "DELETE", path: path, token: op, header: map[string]string{"If-Match": o2}}); a.status != http.StatusNoContent {
		t.Errorf("DELETE: %d %s", a.status, a.body)
	}
	if n := len(e.log.all()); n != 3 {
		t.Errorf("%d entries logged, want 3 (create, replace, delete)", n)
	}
}

// TestConditionalCase: an MLA case's ETag is its version; a step with a
// stale If-Match is 412 and logs nothing.
func TestConditionalCase(t *testing.T) {
	le := newLawfulEnv(t)
	open := `{"id":"FR-2026-7","requested_state":"CN","provider":"mailco-cn","scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"max_subjects":2}}`
	a := le.do(call{method: "POST", path: "/v1/mla", token: le.tokens["fr-bepi"], body: open})
	v1 := a.header.Get("ETag")
	if a.status != http.StatusCreated || v1 == "" {
		t.Fatalf("open: %d %s", a.status, a.body)
	}
	got := le.do(call{method: "GET", path: "/v1/mla/FR-2026-7", token: le.tokens["cn-moj"]})
	if got.header.Get("ETag") != v1 {
		t.Fatalf("GET ETag %q, open's %q", got.header.Get("ETag"), v1)
	}
	if a := le.do(call{method: "GET", path: "/v1/mla/FR-2026-7", token: le.tokens["cn-moj"], header: map[string]string{"If-None-Match": v1}}); a.status != http.StatusNotModified {
		t.Errorf("GET If-None-Match: %d, want 304", a.status)
	}
	n := len(le.log.kinds())
	if a := le.do(call{method: "POST", path: "/v1/mla/FR-2026-7/receive", token: le.tokens["cn-moj"], header: map[string]string{"If-Match": `"v999"`}}); a.status != http.StatusPreconditionFailed {
		t.Errorf("receive at a stale version: %d %s", a.status, a.body)
	}
	if len(le.log.kinds()) != n {
		t.Error("a refused step was logged")
	}
	moved := le.do(call{method: "POST", path: "/v1/mla/FR-2026-7/receive", token: le.tokens["cn-moj"], header: map[string]string{"If-Match": v1}})
	if moved.status != http.StatusOK || moved.header.Get("ETag") == v1 || moved.header.Get("ETag") == "" {
		t.Errorf("receive at the current version: %d, ETag %q", moved.status, moved.header.Get("ETag"))
	}
	if a := le.do(call{method: "POST", path: "/v1/mla/FR-2026-7/accept", token: le.tokens["cn-moj"], header: map[string]string{"If-Match": v1}}); a.status != http.StatusPreconditionFailed {
		t.Errorf("accept at the version before receive: %d", a.status)
	}
}
