package ledger

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// KeyFileName and VerifierFileName are the names of the checkpoint signing
// key and its public verifier key inside the key directory (by default
// <data>/keys, beside <data>/log, so that the private key is never under the
// directory the log is served from).
const (
	KeyFileName      = "log.key"
	VerifierFileName = "log.pub"
)

// DefaultKeyFile returns where the signing key of the log in logDir lives
// unless Options.KeyFile says otherwise: <parent of logDir>/keys/log.key. For
// the usual layout (logDir = <data>/log) that is <data>/keys/log.key.
func DefaultKeyFile(logDir string) string {
	return filepath.Join(filepath.Dir(filepath.Clean(logDir)), "keys", KeyFileName)
}

// DefaultOrigin derives a log origin from a host name and a jurisdiction:
// "accord.example", "FR" gives "accord.example/fr". An empty host gives
// "accord.local".
func DefaultOrigin(host, jurisdiction string) string {
	host = strings.ToLower(strings.TrimSpace(host))
	if host == "" {
		host = "accord.local"
	}
	if jurisdiction == "" {
		return host
	}
	return host + "/" + strings.ToLower(jurisdiction)
}

// checkOrigin reports whether origin can name a signed-note key (and so a
// checkpoint): non-empty, printable, no spaces or '+'.
func checkOrigin(origin string) error {
	if origin == "" {
		return errors.New("log origin is empty")
	}
	for i, r := range origin {
		if r <= ' ' || r == '+' || r == 0x7f || r > 0x7e {
			return fmt.Errorf("log origin %q: character %q at byte %d is not allowed (printable ASCII without spaces or '+')", origin, r, i)
		}
	}
	return nil
}

// loadKey reads the signing key at path and returns the signer and the
// verifier key string (from the .pub file beside it).
func loadKey(path string) (note.Signer, string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("log key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, "", fmt.Errorf("log key %s: mode %04o lets others read the private key; run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("log key: %w", err)
	}
	s, err := note.NewSigner(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, "", fmt.Errorf("log key %s: %w", path, err)
	}
	vkey, err := ReadVerifierKey(filepath.Dir(path))
	if err != nil {
		return nil, "", err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, "", fmt.Errorf("log verifier key in %s: %w", filepath.Dir(path), err)
	}
	if v.Name() != s.Name() || v.KeyHash() != s.KeyHash() {
		return nil, "", fmt.Errorf("log verifier key %s does not belong to the signing key %s", filepath.Join(filepath.Dir(path), VerifierFileName), path)
	}
	return s, vkey, nil
}

// createKey generates a fresh Ed25519 signed-note key named origin and writes
// it to path (mode 0600, never overwriting) and its verifier key beside it.
func createKey(path, origin string) (note.Signer, string, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, "", fmt.Errorf("generate log key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("create key directory: %w", err)
	}
	if err := writeNew(path, skey+"\n", 0o600); err != nil {
		return nil, "", fmt.Errorf("write log key: %w", err)
	}
	pub := filepath.Join(dir, VerifierFileName)
	if err := writeNew(pub, vkey+"\n", 0o644); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, "", fmt.Errorf("write log verifier key: %w", err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("load generated key: %w", err)
	}
	return s, vkey, nil
}

// writeNew creates path with data, failing if it exists, and syncs it.
func writeNew(path, data string, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadVerifierKey returns the verifier key stored in keyDir (the directory
// holding log.key and log.pub, by default <data>/keys). The verifier key is
// public: give it to anyone who verifies receipts or the log.
func ReadVerifierKey(keyDir string) (string, error) {
	p := filepath.Join(keyDir, VerifierFileName)
	raw, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("no log verifier key at %s: the log has not been started with this data directory", p)
		}
		return "", fmt.Errorf("read log verifier key: %w", err)
	}
	vkey := strings.TrimSpace(string(raw))
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", fmt.Errorf("log verifier key %s: %w", p, err)
	}
	return vkey, nil
}

// NewVerifier parses a verifier key as printed by `accord log key`
// (origin+hash+base64 key).
func NewVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("verifier key %q: %w", vkey, err)
	}
	return v, nil
}
