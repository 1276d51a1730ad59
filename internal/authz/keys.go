package authz

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strconv"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/accord-dev/accord/internal/locale"
)

// AuthorityKey is what verification needs to know about an authority: the
// state it acts for, its role (which decides the purposes it may grant, see
// RolePurposes) and its Ed25519 public key.
type AuthorityKey struct {
	// ID is the authority's registry id.
	ID string
	// Jurisdiction is the state the authority acts for.
	Jurisdiction string
	// Role is the authority's role (central-authority, judicial, ...).
	Role string
	// PublicKey verifies the authority's signatures.
	PublicKey ed25519.PublicKey
}

// Keys looks up an authority's key by its registry id. The registry
// implements it through a small adapter; tests use KeySet.
type Keys interface {
	// AuthorityKey returns the authority with that id, and false when the
	// id is unknown or the authority has no public key.
	AuthorityKey(id string) (AuthorityKey, bool)
}

// KeySet is a Keys held in memory, keyed by authority id.
type KeySet map[string]AuthorityKey

// AuthorityKey implements Keys.
func (k KeySet) AuthorityKey(id string) (AuthorityKey, bool) {
	a, ok := k[id]
	return a, ok && len(a.PublicKey) == ed25519.PublicKeySize
}

// pemPrivateKey is the PEM block type of a private key file (PKCS #8).
const pemPrivateKey = "PRIVATE KEY"

// MarshalPrivateKey encodes an Ed25519 private key as a PEM PKCS #8 block,
// the format `accord authz keygen` writes and `openssl pkey` reads.
func MarshalPrivateKey(priv ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, locale.Errorf("encode private key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// ParsePrivateKey decodes a PEM PKCS #8 Ed25519 private key, as written by
// MarshalPrivateKey.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, locale.Errorf("private key: no PEM block found")
	}
	if block.Type != pemPrivateKey {
		return nil, locale.Errorf("private key: PEM block is %q, want %q", block.Type, pemPrivateKey)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, locale.Errorf("private key: %v", err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, locale.Errorf("private key: is %T, want an Ed25519 key", key)
	}
	return priv, nil
}

// EncodePublicKey renders a public key the way the registry stores it:
// standard base64 of the 32 raw bytes.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey decodes a public key in the registry's form (standard
// base64 of the 32 raw bytes).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, locale.Errorf("public key: not standard base64: %v", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, locale.Errorf("public key: %s bytes, an Ed25519 key has %s", strconv.Itoa(len(raw)), strconv.Itoa(ed25519.PublicKeySize))
	}
	return ed25519.PublicKey(raw), nil
}

// KeyID is the DSSE key id Accord puts on a signature made with the key
// whose public half is pub: its SSH SHA-256 fingerprint ("SHA256:..."), the
// form securesystemslib computes for keys without an explicit id.
func KeyID(pub ed25519.PublicKey) (string, error) {
	id, err := dsse.SHA256KeyID(pub)
	if err != nil {
		return "", locale.Errorf("key id: %v", err)
	}
	return id, nil
}
