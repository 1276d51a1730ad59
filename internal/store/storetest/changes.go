package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

func change(idx uint64, kind, id, action, body string) store.RegistryChange {
	c := store.RegistryChange{LogIndex: idx, Kind: kind, ID: id, Action: action, Digest: "d" + id, Principal: "ops",
		Created: day0.Add(time.Duration(idx) * time.Second)}
	if body != "" {
		c.Body = []byte(body)
	}
	return c
}

func testRegistryChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	put := change(3, "authority", "cn-moj", "put", `{"key":"k1"}`)
	put.KeyFingerprint = "ab12"
	must(t, "put", s.ApplyRegistryChange(ctx, put))
	o, err := s.Override(ctx, "authority", "cn-moj")
	must(t, "override after put", err)
	if string(o.Body) != `{"key":"k1"}` {
		t.Errorf("override body = %s", o.Body)
	}
	pack := change(4, "pack", "gdsi", "put", "1.2.0")
	must(t, "pack change", s.ApplyRegistryChange(ctx, pack))
	if all, _ := s.ListOverrides(ctx, ""); len(all) != 1 {
		t.Errorf("a pack change touched the overrides: %+v", all)
	}
	del := change(7, "authority", "cn-moj", "delete", "")
	must(t, "delete", s.ApplyRegistryChange(ctx, del))
	_, err = s.Override(ctx, "authority", "cn-moj")
	mustIs(t, "override after delete", err, store.ErrNotFound)

	// Every failure below writes neither a change nor an override.
	must(t, "put bloc", s.PutOverride(ctx, store.Override{Kind: "bloc", ID: "nordic", Body: []byte(`{"members":["DK"]}`)}))
	bad := func(f func(*store.RegistryChange)) store.RegistryChange {
		c := change(20, "bloc", "nordic", "put", `{"members":["SE"]}`)
		f(&c)
		return c
	}
	cases := []struct {
		name string
		c    store.RegistryChange
		want error
	}{
		{"delete of a missing override", change(8, "agreement", "fr-de", "delete", ""), store.ErrNotFound},
		{"empty kind", bad(func(c *store.RegistryChange) { c.Kind = "" }), store.ErrInvalid},
		{"unknown kind", bad(func(c *store.RegistryChange) { c.Kind = "token" }), store.ErrInvalid},
		{"empty id", bad(func(c *store.RegistryChange) { c.ID = "" }), store.ErrInvalid},
		{"unknown action", bad(func(c *store.RegistryChange) { c.Action = "upsert" }), store.ErrInvalid},
		{"zero created", bad(func(c *store.RegistryChange) { c.Created = time.Time{} }), store.ErrInvalid},
		{"put of a body that is not JSON", bad(func(c *store.RegistryChange) { c.Body = []byte(`{"members":`) }), store.ErrInvalid},
		{"log index taken", bad(func(c *store.RegistryChange) { c.LogIndex = 3 }), store.ErrConflict},
		{"log index taken, delete", change(4, "bloc", "nordic", "delete", ""), store.ErrConflict},
	}
	for _, c := range cases {
		mustIs(t, c.name, s.ApplyRegistryChange(ctx, c.c), c.want)
	}
	o, err = s.Override(ctx, "bloc", "nordic")
	must(t, "bloc after failed changes", err)
	if string(o.Body) != `{"members":["DK"]}` {
		t.Errorf("a failed change replaced the override: %s", o.Body)
	}

	all, err := s.ListRegistryChanges(ctx, 0, 0)
	must(t, "ListRegistryChanges", err)
	want := []store.RegistryChange{put, pack, del}
	if len(all) != len(want) {
		t.Fatalf("ListRegistryChanges = %+v, want %d changes (failed changes stored?)", all, len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(all[i], want[i]) {
			t.Errorf("change %d = %+v, want %+v", i, all[i], want[i])
		}
	}
	for _, c := range []struct {
		from  uint64
		limit int
		want  []uint64
	}{
		{0, 2, []uint64{3, 4}},
		{4, 0, []uint64{4, 7}},
		{5, 1, []uint64{7}},
		{8, 0, nil},
	} {
		got, err := s.ListRegistryChanges(ctx, c.from, c.limit)
		must(t, "ListRegistryChanges", err)
		var idx []uint64
		for _, g := range got {
			idx = append(idx, g.LogIndex)
		}
		if got == nil || !reflect.DeepEqual(idx, c.want) {
			t.Errorf("ListRegistryChanges(%d, %d) = %v, want %v (never nil)", c.from, c.limit, idx, c.want)
		}
	}
	if _, err := s.ListRegistryChanges(ctx, 0, -1); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("negative limit: %v, want ErrInvalid", err)
	}
}
