package custody

import (
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
)

// The HPKE suite used for shares and releases: DHKEM(X25519, HKDF-SHA256),
// HKDF-SHA256, AES-256-GCM.
var (
	kem  = hpke.DHKEM(ecdh.X25519())
	kdf  = hpke.HKDFSHA256()
	aead = hpke.AES256GCM()
)

// shareSize is a share's plaintext: its id and value, 32 bytes each; a
// veto holder's share adds its 32-byte veto part.
const (
	shareSize     = 64
	vetoShareSize = shareSize + 32
)

// sealedSize is the size of a share of plain bytes once HPKE-sealed:
// 32-byte encapsulated key, ciphertext and 16-byte tag.
func sealedSize(plain int) int { return 32 + plain + 16 }

// plainShareSize is the share plaintext size of a custodian.
func plainShareSize(veto bool) int {
	if veto {
		return vetoShareSize
	}
	return shareSize
}

// PrivateKeyPrefix starts a private key file's single line.
const PrivateKeyPrefix = "accord-hpke-x25519-private:"

// GenerateKey returns a fresh HPKE private key.
func GenerateKey() (hpke.PrivateKey, error) {
	k, err := kem.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate HPKE key: %w", err)
	}
	return k, nil
}

// EncodePrivateKey returns the text form of k (one line, secret).
func EncodePrivateKey(k hpke.PrivateKey) (string, error) {
	b, err := k.Bytes()
	if err != nil {
		return "", fmt.Errorf("encode private key: %w", err)
	}
	return PrivateKeyPrefix + base64.StdEncoding.EncodeToString(b) + "\n", nil
}

// ParsePrivateKey parses the text form written by EncodePrivateKey.
func ParsePrivateKey(s string) (hpke.PrivateKey, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, PrivateKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("private key: does not start with %q", PrivateKeyPrefix)
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("private key: byte %d: %w", len(PrivateKeyPrefix), err)
	}
	k, err := kem.NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	return k, nil
}

// ReadPrivateKey reads a private key file.
func ReadPrivateKey(path string) (hpke.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	k, err := ParsePrivateKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// EncodePublicKey returns the text form of a public key: standard base64 of
// its 32 bytes.
func EncodePublicKey(k hpke.PublicKey) string {
	return base64.StdEncoding.EncodeToString(k.Bytes())
}

// ParsePublicKey parses a public key in the form EncodePublicKey writes.
func ParsePublicKey(s string) (hpke.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	k, err := kem.NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return k, nil
}
