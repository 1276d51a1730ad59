package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

func TestStoredOverrides(t *testing.T) {
	check := overrideChecker(nil)
	ctx := context.Background()
	good := []store.Override{{Kind: "bloc", ID: "NORDIC_DEMO", Body: []byte(`{"name":"Nordic (demo)","members":["DK","SE","NO"],"checked":"2026-11-01","source":"operator"}`)}}
	if err := check(ctx, good); err != nil {
		t.Fatalf("good override refused: %v", err)
	}
	bad := []store.Override{{Kind: "bloc", ID: "NOWHERE", Body: []byte(`{"name":"Nowhere","members":["XX"],"checked":"2026-11-01","source":"operator"}`)}}
	if err := check(ctx, bad); err == nil || !strings.Contains(err.Error(), "XX") {
		t.Errorf("dangling member accepted: %v", err)
	}

	old := dataDir
	defer func() { dataDir = old }()
	dataDir = t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dataDir, "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.PutOverride(ctx, good[0]); err != nil {
		t.Fatal(err)
	}
	dir, err := storedOverridesDir(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Load(dir)
	if err != nil {
		t.Fatalf("load with stored overrides: %v", err)
	}
	if b, ok := reg.Bloc("NORDIC_DEMO"); !ok || len(b.Members) != 3 {
		t.Errorf("stored bloc not loaded: %+v %v", b, ok)
	}
	if err := st.DeleteOverride(ctx, "bloc", "NORDIC_DEMO"); err != nil {
		t.Fatal(err)
	}
	if _, err := storedOverridesDir(ctx, st); err != nil {
		t.Fatal(err)
	}
	reg, err = registry.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Bloc("NORDIC_DEMO"); ok {
		t.Error("a deleted override is still loaded")
	}
}
