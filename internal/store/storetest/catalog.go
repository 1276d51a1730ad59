package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

func catalogChange(idx uint64, id, action string) store.RegistryChange {
	c := change(idx, store.CatalogKind, id, action, "")
	if action == "put" {
		c.Body = []byte(`{"location":"FR"}`)
	}
	return c
}

// testCatalogChanges: a catalog change is stored with the dataset write in
// one transaction, under its condition; a refused one writes neither.
func testCatalogChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	d := store.Dataset{ID: "crm", Location: "FR", Subjects: map[string]int64{"FR": 3}}
	must(t, "create", s.ApplyCatalogChange(ctx, catalogChange(1, "crm", "put"), d, store.CatalogCondition{Create: true}))
	v1, err := s.Dataset(ctx, "crm")
	must(t, "dataset after create", err)
	if v1.Location != "FR" || v1.Subjects["FR"] != 3 || v1.Updated.IsZero() {
		t.Fatalf("dataset after create = %+v", v1)
	}
	mustIs(t, "create twice", s.ApplyCatalogChange(ctx, catalogChange(2, "crm", "put"), d, store.CatalogCondition{Create: true}), store.ErrConflict)

	d.Location = "DE"
	must(t, "update at the version read", s.ApplyCatalogChange(ctx, catalogChange(3, "crm", "put"), d, store.CatalogCondition{Updated: v1.Updated}))
	v2, err := s.Dataset(ctx, "crm")
	must(t, "dataset after update", err)
	if v2.Location != "DE" || !v2.Updated.After(v1.Updated) || !v2.Created.Equal(v1.Created) {
		t.Fatalf("dataset after update = %+v (was %+v); want DE, a newer version, the same creation", v2, v1)
	}
	d.Location = "BE"
	mustIs(t, "update at a stale version", s.ApplyCatalogChange(ctx, catalogChange(4, "crm", "put"), d, store.CatalogCondition{Updated: v1.Updated}), store.ErrPrecondition)
	mustIs(t, "delete at a stale version", s.ApplyCatalogChange(ctx, catalogChange(5, "crm", "delete"), store.Dataset{}, store.CatalogCondition{Updated: v1.Updated}), store.ErrPrecondition)
	mustIs(t, "update of a missing dataset", s.ApplyCatalogChange(ctx, catalogChange(6, "nope", "put"), store.Dataset{ID: "nope", Location: "FR"}, store.CatalogCondition{}), store.ErrNotFound)
	mustIs(t, "delete of a missing dataset", s.ApplyCatalogChange(ctx, catalogChange(7, "nope", "delete"), store.Dataset{}, store.CatalogCondition{}), store.ErrNotFound)
	mustIs(t, "another kind", s.ApplyCatalogChange(ctx, change(8, "bloc", "crm", "put", `{}`), d, store.CatalogCondition{}), store.ErrInvalid)
	mustIs(t, "another dataset", s.ApplyCatalogChange(ctx, catalogChange(9, "crm", "put"), store.Dataset{ID: "other", Location: "FR"}, store.CatalogCondition{}), store.ErrInvalid)
	// A log index already used: neither the change nor the dataset write.
	d.Location = "IT"
	if err := s.ApplyCatalogChange(ctx, catalogChange(3, "crm", "put"), d, store.CatalogCondition{}); err == nil {
		t.Fatal("a catalog change at a used log index was stored")
	}
	if got, _ := s.Dataset(ctx, "crm"); got.Location != "DE" || !got.Updated.Equal(v2.Updated) {
		t.Fatalf("a refused change wrote the dataset: %+v", got)
	}
	must(t, "delete at the version read", s.ApplyCatalogChange(ctx, catalogChange(10, "crm", "delete"), store.Dataset{}, store.CatalogCondition{Updated: v2.Updated}))
	_, err = s.Dataset(ctx, "crm")
	mustIs(t, "dataset after delete", err, store.ErrNotFound)

	all, err := s.ListRegistryChanges(ctx, 0, 0)
	must(t, "list changes", err)
	var idx []uint64
	for _, c := range all {
		if c.Kind != store.CatalogKind {
			t.Errorf("change %+v is not a catalog change", c)
		}
		idx = append(idx, c.LogIndex)
	}
	if len(idx) != 3 || idx[0] != 1 || idx[1] != 3 || idx[2] != 10 {
		t.Fatalf("catalog changes stored at %v, want [1 3 10]", idx)
	}
	if all[2].Action != "delete" || all[1].Principal != "ops" || all[0].Created.IsZero() || all[0].Created.After(day0.Add(time.Minute)) {
		t.Errorf("stored changes = %+v", all)
	}
}
