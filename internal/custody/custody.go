// Package custody seals datasets so that their key leaves only against a
// logged, allowing decision, and holds that key k-of-n among custodians.
//
// Sealing (Seal) promises:
//
//   - the data is encrypted with a fresh data key, with Tink's streaming
//     AEAD (AES-256-GCM-HKDF, 1 MiB segments), so files of any size stream
//     in constant memory; the whole header is the associated data, so a
//     changed header fails decryption;
//   - the data key is derived (HKDF-SHA256) from a random secret that is
//     split k-of-n with Feldman verifiable secret sharing
//     (github.com/cloudflare/circl/secretsharing over ristretto255): the
//     header carries the k commitments, so every share is checked before it
//     is used and a custodian that returns a wrong share is named;
//   - each share is sealed with HPKE (crypto/hpke, DHKEM(X25519),
//     HKDF-SHA256, AES-256-GCM) to one custodian's public key, with the
//     header's digest and the custodian's position as HPKE info: a share
//     moved to another header or another position does not open;
//   - a custodian may hold a veto (SealOptions.Vetoes): the key is then
//     the sum of the k-of-n shared secret and a random part sealed to that
//     custodian alone, committed to in the header, so no set of other
//     custodians, however large, can open the file without it;
//   - the header carries a policy binding: HMAC-SHA256 over the dataset's
//     labels (canonical JSON) keyed with a key derived from the data key, so
//     labels changed after sealing are detected by whoever rebuilds the key;
//   - no key material leaves Seal other than inside HPKE ciphertexts.
//
// Opening (Open) promises: shares are verified against the commitments
// before use, fewer than k valid shares is ErrTooFewShares, the policy
// binding is checked before any plaintext is written, and each failure
// names its step.
//
// Releasing (Custodian) promises: a custodian returns its share, sealed to
// the requester's key named in the decision, only after it has itself
// verified the decision's receipt against the decision log, read the
// decision's private record and found it binding, allowing, for this
// dataset, this requester's key and a releasing action, recent by its own
// clock, not voided, not vetoed by its own check, and after its own release
// entry is durable in its release log. Every refusal is one of the codes in
// Refusals; there is no default allow.
package custody

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Version is the version of the sealed-file format written by this package.
const Version = 1

// Magic starts every sealed file.
const Magic = "accord-sealed/v1\n"

// maxHeader bounds a header, in bytes.
const maxHeader = 1 << 20

// MaxCustodians bounds n.
const MaxCustodians = 32

// DefaultSegmentSize is the ciphertext segment size of Tink's streaming
// AEAD used by Seal.
const DefaultSegmentSize = 1 << 20

// GroupName names the group the secret is shared over.
const GroupName = "ristretto255"

// ErrTooFewShares is returned by Open when fewer than k shares verify.
var ErrTooFewShares = errors.New("fewer valid shares than the threshold k")

// ErrVetoMissing is returned by Open when a custodian that holds a veto
// (SealOptions.Vetoes) released no valid share: however many others did,
// the key cannot be rebuilt without it.
var ErrVetoMissing = errors.New("a veto holder's part is missing")

// ErrBinding is returned by Open when the policy binding does not match the
// header's labels under the rebuilt key: the labels were changed after
// sealing, or the shares belong to another file.
var ErrBinding = errors.New("policy binding does not match the labels")

// keys are the keys derived from the shared secret.
type keys struct {
	data    []byte // Tink streaming AEAD main key
	binding []byte // HMAC key of the policy binding
}

// deriveKeys derives the data and binding keys from the shared secret's
// encoding, with the key id as HKDF salt.
func deriveKeys(secret []byte, keyID string) (keys, error) {
	d, err := hkdf.Key(sha256.New, secret, []byte(keyID), "accord-custody/v1 data key", 32)
	if err != nil {
		return keys{}, fmt.Errorf("derive data key: %w", err)
	}
	b, err := hkdf.Key(sha256.New, secret, []byte(keyID), "accord-custody/v1 policy binding", 32)
	if err != nil {
		return keys{}, fmt.Errorf("derive binding key: %w", err)
	}
	return keys{data: d, binding: b}, nil
}

// policyBinding is HMAC-SHA256(bindingKey, dataset || 0 || labels).
func policyBinding(key []byte, dataset string, labels []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(dataset))
	m.Write([]byte{0})
	m.Write(labels)
	return m.Sum(nil)
}
