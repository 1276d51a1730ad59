package main

import (
	"crypto/ed25519"
	"os"
	"testing"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/registry"
)

// TestDemoAuthorityKey: serve --demo's key for cn-moj is private (0600),
// kept across restarts, and the registry override gives its public key.
func TestDemoAuthorityKey(t *testing.T) {
	dir := t.TempDir()
	regDir, keyPath, err := demoAuthorityKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(keyPath)
	priv, err := authz.ParsePrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, again, err := demoAuthorityKey(dir); err != nil || again != keyPath {
		t.Fatalf("second start: %q, %v", again, err)
	}
	raw2, _ := os.ReadFile(keyPath)
	if string(raw2) != string(raw) {
		t.Fatal("the demo key changed across restarts")
	}
	reg, err := registry.Load(regDir)
	if err != nil {
		t.Fatalf("registry with the demo override: %v", err)
	}
	key, ok := registryKeys{reg}.AuthorityKey(demoAuthority)
	if !ok || !key.PublicKey.Equal(priv.Public().(ed25519.PublicKey)) || key.Jurisdiction != "CN" {
		t.Fatalf("registry key for %s = %+v, %v; want the demo key's public half", demoAuthority, key, ok)
	}
}
