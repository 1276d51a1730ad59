package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/locale"
)

// demoAuthority is the authority whose signing key serve --demo holds, so
// that the lawful-access scenario (docs/lawful-access.md) runs over HTTP:
// China's central authority for mutual legal assistance.
const demoAuthority = "cn-moj"

// demoAuthorityKey gives the demo's authority a signing key: the private
// key under DIR/demo-keys (kept across restarts, mode 0600), its public key
// registered through a registry override file in DIR/registry-demo, whose
// directory it returns with the private key's path.
func demoAuthorityKey(dir string) (registryDir, keyPath string, err error) {
	keyPath = filepath.Join(dir, "demo-keys", demoAuthority+".key")
	var priv ed25519.PrivateKey
	raw, err := os.ReadFile(keyPath)
	switch {
	case err == nil:
		if priv, err = authz.ParsePrivateKey(raw); err != nil {
			return "", "", locale.Errorf("demo key %s: %v", keyPath, err)
		}
	case errors.Is(err, fs.ErrNotExist):
		if _, priv, err = ed25519.GenerateKey(rand.Reader); err != nil {
			return "", "", locale.Errorf("demo key: %v", err)
		}
		pem, err := authz.MarshalPrivateKey(priv)
		if err != nil {
			return "", "", locale.Errorf("demo key: %v", err)
		}
		if err := os.MkdirAll(filepath.Dir(keyPath), 0o700); err != nil {
			return "", "", locale.Errorf("demo key: %v", err)
		}
		if err := os.WriteFile(keyPath, pem, 0o600); err != nil {
			return "", "", locale.Errorf("demo key: %v", err)
		}
	default:
		return "", "", locale.Errorf("demo key: %v", err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	registryDir = filepath.Join(dir, "registry-demo")
	if err := os.MkdirAll(registryDir, 0o750); err != nil {
		return "", "", locale.Errorf("demo registry override: %v", err)
	}
	override := fmt.Sprintf(`# Written by accord serve --demo: the demo's key for %[1]s.
version: "demo"
authorities:
  - id: %[1]s
    name: "Ministry of Justice of the People's Republic of China (demo key)"
    kind: state-authority
    role: central-authority
    jurisdiction: CN
    public_key: %[2]s
    source: http://www.moj.gov.cn
    override: true
`, demoAuthority, authz.EncodePublicKey(pub))
	if err := os.WriteFile(filepath.Join(registryDir, "authorities.yaml"), []byte(override), 0o644); err != nil {
		return "", "", locale.Errorf("demo registry override: %v", err)
	}
	return registryDir, keyPath, nil
}
