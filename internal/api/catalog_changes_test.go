package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/store"
)

// ApplyCatalogChange writes through to SQLite and keeps the change with the
// in-memory registry changes, which ListRegistryChanges reads.
func (s *changeStore) ApplyCatalogChange(ctx context.Context, c store.RegistryChange, d store.Dataset, cond store.CatalogCondition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if err := s.Store.ApplyCatalogChange(ctx, c, d, cond); err != nil {
		return err
	}
	s.changes = append(s.changes, c)
	return nil
}

// TestCatalogChangeLogged: creating, replacing and deleting a dataset each
// append a catalog-change entry (codes only) before the catalog changes;
// the stored change rebuilds the entry's record; the changes are listed.
func TestCatalogChangeLogged(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	op := e.tokens[store.RoleOperator]
	var before []string // the dataset's location when each entry was appended
	e.log.onAppend = func(le ledger.Entry) {
		d, err := e.st.Dataset(ctx, "crm-eu")
		switch {
		case errors.Is(err, store.ErrNotFound):
			before = append(before, "-")
		case err != nil:
			t.Error(err)
		default:
			before = append(before, d.Location)
		}
	}
	if a := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: okDataset}); a.status != http.StatusCreated || a.header.Get("Accord-Log-Index") != "0" {
		t.Fatalf("create: %d %s (log index %q)", a.status, a.body, a.header.Get("Accord-Log-Index"))
	}
	moved := strings.Replace(okDataset, `"location":"FR"`, `"location":"DE"`, 1)
	if a := e.do(call{method: "PUT", path: "/v1/datasets/crm-eu", token: op, body: moved}); a.status != http.StatusOK {
		t.Fatalf("update: %d %s", a.status, a.body)
	}
	if a := e.do(call{method: "DELETE", path: "/v1/datasets/crm-eu", token: op}); a.status != http.StatusNoContent || a.header.Get("Accord-Log-Index") != "2" {
		t.Fatalf("delete: %d %s", a.status, a.body)
	}
	if strings.Join(before, " ") != "- FR DE" {
		t.Errorf("the catalog held %v when each change was logged; want - FR DE (logged before it took effect)", before)
	}
	entries := e.log.all()
	if len(entries) != 3 {
		t.Fatalf("%d entries, want 3", len(entries))
	}
	wantLoc := []string{"FR", "DE", "DE"}
	wantAction := []string{"put", "put", "delete"}
	for i, le := range entries {
		if le.Kind != ledger.KindCatalogChange || le.Subject != "crm-eu" || le.Location != wantLoc[i] || le.Action != wantAction[i] || le.Jurisdiction != "" {
			t.Errorf("entry %d = %+v; want catalog-change of crm-eu at %s, %s", i, le, wantLoc[i], wantAction[i])
		}
		raw, _ := json.Marshal(le)
		for _, leak := range []string{"personal.contact", "ops", `"BE"`, `"subjects"`, `"records"`, "general"} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("entry %d carries %s: %s", i, leak, raw)
			}
		}
	}
	cs, _ := e.st.ListRegistryChanges(ctx, 0, 0)
	if len(cs) != 3 {
		t.Fatalf("stored changes %+v", cs)
	}
	for i, c := range cs {
		priv, err := api.RegistryChangeRecord(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := ledger.VerifyPrivate(entries[i], priv); err != nil {
			t.Errorf("stored change %d does not rebuild the logged record: %v", i, err)
		}
		if c.Action == "put" && entries[i].Digest != api.Digest(c.Body) {
			t.Errorf("entry %d digest %s is not the digest of the stored document", i, entries[i].Digest)
		}
	}
	a := e.do(call{method: "GET", path: "/v1/registry/changes?kind=dataset", token: e.tokens[store.RoleAuditor]})
	var list api.ChangeList
	_ = json.Unmarshal(a.body, &list)
	if a.status != http.StatusOK || len(list.Changes) != 3 || list.Changes[2].Kind != store.CatalogKind || list.Changes[2].Action != "delete" {
		t.Errorf("listed catalog changes: %d %s", a.status, a.body)
	}
}

// TestCatalogChangeRefused: a change the log refuses, or that the catalog
// refuses, is not in effect; conflicts are caught before logging.
func TestCatalogChangeRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	op := e.tokens[store.RoleOperator]
	e.log.err = ledger.ErrClosed
	if a := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: okDataset}); a.status != http.StatusServiceUnavailable {
		t.Errorf("log down: %d %s", a.status, a.body)
	}
	if _, err := e.st.Dataset(ctx, "crm-eu"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("created although the log refused it: %v", err)
	}
	e.log.err = nil
	if a := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: okDataset}); a.status != http.StatusCreated {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	n := len(e.log.all())
	for _, c := range []call{
		{method: "POST", path: "/v1/datasets", token: op, body: okDataset},
		{method: "PUT", path: "/v1/datasets/nope", token: op, body: `{"location":"FR"}`},
		{method: "DELETE", path: "/v1/datasets/nope", token: op},
		{method: "POST", path: "/v1/datasets", token: op, body: `{"id":"` + strings.Repeat("x", 65) + `","location":"FR"}`},
	} {
		if a := e.do(c); a.status < 400 {
			t.Errorf("%s %s: %d", c.method, c.path, a.status)
		}
	}
	if got := len(e.log.all()); got != n {
		t.Errorf("refused changes appended %d entries", got-n)
	}
	// The store refuses after the log took it: the entry is voided.
	e.st.(*changeStore).fail = store.ErrUnavailable
	if a := e.do(call{method: "DELETE", path: "/v1/datasets/crm-eu", token: op}); a.status != http.StatusServiceUnavailable || !strings.Contains(a.problem.Detail, "voided") {
		t.Errorf("store down: %d %s", a.status, a.body)
	}
	all := e.log.all()
	if last := all[len(all)-1]; last.Kind != ledger.KindVoid || last.Refers == nil || *last.Refers != uint64(len(all)-2) {
		t.Errorf("last entry %+v, want the void of the change", last)
	}
	if _, err := e.st.Dataset(ctx, "crm-eu"); err != nil {
		t.Errorf("deleted although the store refused: %v", err)
	}
}

// TestCatalogChangesNeedALog: without a log for changes the catalog cannot
// be changed.
func TestCatalogChangesNeedALog(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.RegistryChanges = nil })
	if a := e.do(call{method: "POST", path: "/v1/datasets", token: e.tokens[store.RoleOperator], body: okDataset}); a.status != http.StatusNotFound {
		t.Errorf("create without a log: %d %s", a.status, a.body)
	}
}
