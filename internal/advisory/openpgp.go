package advisory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/accord-dev/accord/internal/ledger"
)

// ProviderKey is the CSAF provider's OpenPGP key (CSAF 2.0 section 7.1.19
// and 7.1.20): it signs every advisory of the distribution (a detached,
// ASCII-armored .asc beside it), and its public half is published, with
// its fingerprint, in provider-metadata.json public_openpgp_keys. It is an
// EdDSA (Ed25519) v4 key made by github.com/ProtonMail/go-crypto, which
// gocsaf's own tools read (through gopenpgp).
//
// Signatures are made once per document and kept (the distribution is
// rebuilt on each request); each is dated with the advisory's publication
// time on this server, or the key's creation if later, so a document's
// signature does not change from one request to the next.
type ProviderKey struct {
	entity *openpgp.Entity
	public []byte
	// sigs caches signatures by SHA-256 of the document and the date.
	sigs sync.Map // [32]byte -> []byte
}

// maxProviderKey bounds a provider key file.
const maxProviderKey = 64 << 10

// NewProviderKey makes a provider key named for the provider (its
// public base URL goes in the user id's comment), created at now. It
// returns the key and its private half, ASCII-armored, to keep in a
// 0600 file.
func NewProviderKey(baseURL string, now time.Time) (*ProviderKey, []byte, error) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return now.UTC().Truncate(time.Second) }}
	comment := strings.NewReplacer("(", "", ")", "", "<", "", ">", "").Replace(baseURL)
	e, err := openpgp.NewEntity("Accord CSAF provider", comment, "", cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("make the CSAF provider's OpenPGP key: %w", err)
	}
	var priv bytes.Buffer
	w, err := armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("armor the CSAF provider's OpenPGP key: %w", err)
	}
	if err := e.SerializePrivate(w, cfg); err != nil {
		return nil, nil, fmt.Errorf("write the CSAF provider's OpenPGP key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, nil, fmt.Errorf("armor the CSAF provider's OpenPGP key: %w", err)
	}
	k, err := newProviderKey(e)
	if err != nil {
		return nil, nil, err
	}
	return k, priv.Bytes(), nil
}

// ReadProviderKey reads a provider key file written from NewProviderKey:
// one ASCII-armored OpenPGP private key, not encrypted, able to sign.
func ReadProviderKey(armored []byte) (*ProviderKey, error) {
	if len(armored) > maxProviderKey {
		return nil, fmt.Errorf("OpenPGP key file: larger than %d bytes", maxProviderKey)
	}
	if n := bytes.Count(armored, []byte("-----BEGIN PGP ")); n > 1 {
		return nil, fmt.Errorf("OpenPGP key file: %d armored blocks, want 1", n)
	}
	el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("OpenPGP key file: %w", err)
	}
	if len(el) != 1 {
		return nil, fmt.Errorf("OpenPGP key file: %d keys, want 1", len(el))
	}
	e := el[0]
	if e.PrivateKey == nil {
		return nil, errors.New("OpenPGP key file: a public key; the provider needs its private key")
	}
	if e.PrivateKey.Encrypted {
		return nil, errors.New("OpenPGP key file: the private key is encrypted with a passphrase; the provider needs it in the clear (keep the file 0600)")
	}
	return newProviderKey(e)
}

func newProviderKey(e *openpgp.Entity) (*ProviderKey, error) {
	if _, ok := e.SigningKey(time.Now()); !ok {
		return nil, errors.New("OpenPGP key: it cannot sign (expired, revoked or without a signing key)")
	}
	var pub bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, fmt.Errorf("armor the OpenPGP public key: %w", err)
	}
	if err := e.Serialize(w); err != nil {
		return nil, fmt.Errorf("write the OpenPGP public key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("armor the OpenPGP public key: %w", err)
	}
	pub.WriteByte('\n')
	return &ProviderKey{entity: e, public: pub.Bytes()}, nil
}

// Fingerprint is the key's OpenPGP fingerprint, 40 upper-case hex digits
// (v4), as provider-metadata.json and gpg show it.
func (k *ProviderKey) Fingerprint() string {
	return strings.ToUpper(hex.EncodeToString(k.entity.PrimaryKey.Fingerprint))
}

// Created is the key's creation time.
func (k *ProviderKey) Created() time.Time { return k.entity.PrimaryKey.CreationTime.UTC() }

// PublicArmored is the public key, ASCII-armored, as it is published.
func (k *ProviderKey) PublicArmored() []byte { return k.public }

// Sign returns an ASCII-armored detached signature of doc, dated at (or
// at the key's creation, if at is before it).
func (k *ProviderKey) Sign(doc []byte, at time.Time) ([]byte, error) {
	at = at.UTC().Truncate(time.Second)
	if at.Before(k.Created()) {
		at = k.Created()
	}
	h := sha256.New()
	h.Write(doc)
	fmt.Fprintf(h, "\n%d", at.Unix())
	var id [32]byte
	copy(id[:], h.Sum(nil))
	if sig, ok := k.sigs.Load(id); ok {
		return sig.([]byte), nil
	}
	var out bytes.Buffer
	cfg := &packet.Config{Time: func() time.Time { return at }}
	if err := openpgp.ArmoredDetachSign(&out, k.entity, bytes.NewReader(doc), cfg); err != nil {
		return nil, fmt.Errorf("OpenPGP signature: %w", err)
	}
	out.WriteByte('\n')
	k.sigs.Store(id, out.Bytes())
	return out.Bytes(), nil
}

// ProviderKeyEntry builds the log entry that ties the provider's OpenPGP
// key to the log, appended before the key signs anything: an advisory
// entry with action provider-key, subject csaf-provider, the OpenPGP
// fingerprint as key_fingerprint, and as digest the hex SHA-256 of the
// public key file as published (openpgp/<fingerprint>.asc), so that a
// reader can check the file it downloads byte for byte.
func ProviderKeyEntry(k *ProviderKey, at time.Time) (ledger.Entry, error) {
	sum := sha256.Sum256(k.PublicArmored())
	digest := hex.EncodeToString(sum[:])
	e, _, err := ledger.NewRecord(ledger.KindAdvisory, at, struct{ Provider, Fingerprint, PublicKeySHA256 string }{"csaf-provider", k.Fingerprint(), digest})
	if err != nil {
		return ledger.Entry{}, err
	}
	e.Action, e.Subject, e.KeyFingerprint, e.Digest = "provider-key", "csaf-provider", k.Fingerprint(), digest
	if err := e.Validate(); err != nil {
		return ledger.Entry{}, fmt.Errorf("provider key entry: %w", err)
	}
	return e, nil
}
