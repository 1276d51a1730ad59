package custody

import (
	"bytes"
	"crypto/hmac"
	"crypto/hpke"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/secretsharing"
	"github.com/gowebpki/jcs"
	"github.com/tink-crypto/tink-go/v2/streamingaead/subtle"
)

// CustodianKey names a custodian to seal to.
type CustodianKey struct {
	// ID names the custodian (a code).
	ID string
	// URL is where it answers POST /v1/release (optional).
	URL string
	// PublicKey is its HPKE public key.
	PublicKey hpke.PublicKey
}

// SealOptions say what Seal seals and to whom.
type SealOptions struct {
	// Dataset is the catalog id of the dataset (a code).
	Dataset string
	// Labels are the dataset's labels, a non-empty JSON object (the catalog
	// entry); they are canonicalised (RFC 8785) and bound to the key.
	Labels []byte
	// Custodians hold the shares, in order.
	Custodians []CustodianKey
	// K is how many shares rebuild the key (1 ≤ K ≤ len(Custodians)).
	K int
	// Vetoes names custodians (by ID) that each hold a veto: the key is
	// the sum of the k-of-n shared secret and one random part per veto
	// holder, sealed to it alone, so the file cannot be opened without
	// every veto holder's release however many others release.
	Vetoes []string
	// SegmentSize is the streaming AEAD segment size (DefaultSegmentSize).
	SegmentSize int
	// Rand is the randomness source (crypto/rand.Reader).
	Rand io.Reader
}

// Seal encrypts src to dst under a fresh data key whose secret is split
// among opts.Custodians, and returns the header it wrote. See the package
// doc for what it promises. On error dst may hold a partial file: write to
// a temporary file and rename it on success.
func Seal(dst io.Writer, src io.Reader, opts SealOptions) (*Header, error) {
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	seg := opts.SegmentSize
	if seg == 0 {
		seg = DefaultSegmentSize
	}
	n := len(opts.Custodians)
	if n == 0 {
		return nil, errors.New("seal: no custodians")
	}
	if opts.K < 1 || opts.K > n {
		return nil, fmt.Errorf("seal: k=%d, want 1 to %d (the number of custodians)", opts.K, n)
	}
	labels, err := jcs.Transform(opts.Labels)
	if err != nil {
		return nil, fmt.Errorf("seal: labels: %w", err)
	}
	if len(labels) < 3 || labels[0] != '{' {
		return nil, errors.New("seal: labels: want a non-empty JSON object (a dataset with no labels has nothing to be judged by)")
	}
	kid := make([]byte, 16)
	if _, err := io.ReadFull(rnd, kid); err != nil {
		return nil, fmt.Errorf("seal: draw key id: %w", err)
	}
	g := group.Ristretto255
	shared := g.RandomNonZeroScalar(rnd)
	ss := secretsharing.New(rnd, uint(opts.K-1), shared)
	shares := ss.Share(uint(n))
	commits := ss.CommitSecret()
	secret := shared.Copy()
	vetoParts := make([]group.Scalar, n)
	for _, id := range opts.Vetoes {
		i := slices.IndexFunc(opts.Custodians, func(c CustodianKey) bool { return c.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("seal: veto holder %q is not one of the custodians", id)
		}
		if vetoParts[i] != nil {
			continue
		}
		vetoParts[i] = g.RandomNonZeroScalar(rnd)
		secret.Add(secret, vetoParts[i])
	}
	sb, err := secret.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("seal: encode secret: %w", err)
	}
	h := &Header{
		Version:     Version,
		Dataset:     opts.Dataset,
		KeyID:       hex.EncodeToString(kid),
		Labels:      labels,
		K:           opts.K,
		Group:       GroupName,
		SegmentSize: seg,
	}
	k, err := deriveKeys(sb, h.KeyID)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	h.Binding = policyBinding(k.binding, h.Dataset, labels)
	for i, c := range commits {
		b, err := c.MarshalBinaryCompress()
		if err != nil {
			return nil, fmt.Errorf("seal: encode commitment %d: %w", i, err)
		}
		h.Commitments = append(h.Commitments, b)
	}
	for i, c := range opts.Custodians {
		if c.PublicKey == nil {
			return nil, fmt.Errorf("seal: custodian %q: no public key", c.ID)
		}
		if c.PublicKey.KEM().ID() != kem.ID() {
			return nil, fmt.Errorf("seal: custodian %q: key is not X25519", c.ID)
		}
		hc := HeaderCustodian{ID: c.ID, URL: c.URL, PublicKey: c.PublicKey.Bytes()}
		if vetoParts[i] != nil {
			if hc.Veto, err = g.NewElement().MulGen(vetoParts[i]).MarshalBinaryCompress(); err != nil {
				return nil, fmt.Errorf("seal: encode veto commitment: %w", err)
			}
		}
		h.Custodians = append(h.Custodians, hc)
	}
	if err := h.validate(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	core, err := h.coreDigest()
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	for i, s := range shares {
		plain, err := encodeShare(s)
		if err != nil {
			return nil, fmt.Errorf("seal: share %d: %w", i, err)
		}
		if vetoParts[i] != nil {
			vb, err := vetoParts[i].MarshalBinary()
			if err != nil {
				return nil, fmt.Errorf("seal: share %d: %w", i, err)
			}
			plain = append(plain, vb...)
		}
		ct, err := hpke.Seal(opts.Custodians[i].PublicKey, kdf, aead, shareInfo(core, i), plain)
		if err != nil {
			return nil, fmt.Errorf("seal: share for %q: %w", h.Custodians[i].ID, err)
		}
		clear(plain)
		h.Custodians[i].Share = ct
	}
	if err := h.marshal(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if _, err := h.WriteTo(dst); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	sa, err := subtle.NewAESGCMHKDF(k.data, "SHA256", 32, seg, 0)
	if err != nil {
		return nil, fmt.Errorf("seal: streaming AEAD: %w", err)
	}
	w, err := sa.NewEncryptingWriter(dst, h.raw)
	if err != nil {
		return nil, fmt.Errorf("seal: streaming AEAD: %w", err)
	}
	if _, err := io.Copy(w, src); err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	return h, nil
}

// encodeShare writes a share as id || value, 32 bytes each.
func encodeShare(s secretsharing.Share) ([]byte, error) {
	id, err := s.ID.MarshalBinary()
	if err != nil {
		return nil, err
	}
	v, err := s.Value.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return append(id, v...), nil
}

// Share is one custodian's share in clear, as released to a requester.
type Share struct {
	// Index is the custodian's position in the header.
	Index int
	// Value is the share's encoding (64 bytes).
	Value []byte
}

// commitments decodes the header's commitments.
func (h *Header) commitments() (secretsharing.SecretCommitment, error) {
	g := group.Ristretto255
	out := make(secretsharing.SecretCommitment, len(h.Commitments))
	for i, b := range h.Commitments {
		e := g.NewElement()
		if err := e.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("header field commitments[%d]: %w", i, err)
		}
		out[i] = e
	}
	return out, nil
}

// CheckShare decodes s and verifies it against the header's commitments:
// it must be the share of position s.Index (and, for a veto holder, carry
// the veto part its commitment names).
func (h *Header) CheckShare(s Share) (secretsharing.Share, error) {
	ss, _, err := h.checkShare(s)
	return ss, err
}

func (h *Header) checkShare(s Share) (secretsharing.Share, group.Scalar, error) {
	if s.Index < 0 || s.Index >= len(h.Custodians) {
		return secretsharing.Share{}, nil, fmt.Errorf("share index %d: the header names %d custodians", s.Index, len(h.Custodians))
	}
	name := h.Custodians[s.Index].ID
	veto := h.Custodians[s.Index].Veto
	if want := plainShareSize(veto != nil); len(s.Value) != want {
		return secretsharing.Share{}, nil, fmt.Errorf("share of %q: %d bytes, want %d", name, len(s.Value), want)
	}
	g := group.Ristretto255
	id, v := g.NewScalar(), g.NewScalar()
	if err := id.UnmarshalBinary(s.Value[:32]); err != nil {
		return secretsharing.Share{}, nil, fmt.Errorf("share of %q: id: %w", name, err)
	}
	if err := v.UnmarshalBinary(s.Value[32:shareSize]); err != nil {
		return secretsharing.Share{}, nil, fmt.Errorf("share of %q: value: %w", name, err)
	}
	if !id.IsEqual(g.NewScalar().SetUint64(uint64(s.Index + 1))) {
		return secretsharing.Share{}, nil, fmt.Errorf("share of %q: it is the share of another position", name)
	}
	c, err := h.commitments()
	if err != nil {
		return secretsharing.Share{}, nil, err
	}
	ss := secretsharing.Share{ID: id, Value: v}
	if !secretsharing.Verify(uint(h.K-1), ss, c) {
		return secretsharing.Share{}, nil, fmt.Errorf("share of %q: does not match the header's commitments", name)
	}
	if veto == nil {
		return ss, nil, nil
	}
	part := g.NewScalar()
	if err := part.UnmarshalBinary(s.Value[shareSize:]); err != nil {
		return secretsharing.Share{}, nil, fmt.Errorf("share of %q: veto part: %w", name, err)
	}
	want := g.NewElement()
	if err := want.UnmarshalBinary(veto); err != nil {
		return secretsharing.Share{}, nil, fmt.Errorf("header field custodians[%d].veto: %w", s.Index, err)
	}
	if !g.NewElement().MulGen(part).IsEqual(want) {
		return secretsharing.Share{}, nil, fmt.Errorf("share of %q: veto part does not match its commitment", name)
	}
	return ss, part, nil
}

// OpenShare decrypts the share of custodian i with its private key and
// verifies it against the commitments. Custodians call it before releasing.
func (h *Header) OpenShare(priv hpke.PrivateKey, i int) (Share, error) {
	if i < 0 || i >= len(h.Custodians) {
		return Share{}, fmt.Errorf("custodian index %d: the header names %d custodians", i, len(h.Custodians))
	}
	if !bytes.Equal(priv.PublicKey().Bytes(), h.Custodians[i].PublicKey) {
		return Share{}, fmt.Errorf("custodian %q: the header's public key is not this custodian's", h.Custodians[i].ID)
	}
	core, err := h.coreDigest()
	if err != nil {
		return Share{}, err
	}
	plain, err := hpke.Open(priv, kdf, aead, shareInfo(core, i), h.Custodians[i].Share)
	if err != nil {
		return Share{}, fmt.Errorf("custodian %q: open share: %w", h.Custodians[i].ID, err)
	}
	s := Share{Index: i, Value: plain}
	if _, err := h.CheckShare(s); err != nil {
		return Share{}, err
	}
	return s, nil
}

// Index returns the position of the custodian whose public key is pub, or
// -1.
func (h *Header) Index(pub hpke.PublicKey) int {
	for i, c := range h.Custodians {
		if bytes.Equal(c.PublicKey, pub.Bytes()) {
			return i
		}
	}
	return -1
}

// Open checks shares against the header's commitments, rebuilds the data
// key from k valid ones, checks the policy binding and decrypts src (the
// file after its header) into dst. Shares that do not verify are ignored
// and named in the error when fewer than k remain (ErrTooFewShares). The
// binding is checked before anything is written; a ciphertext that fails
// authentication part-way stops with an error after the segments already
// verified were written: write to a temporary file and rename it on
// success.
func Open(dst io.Writer, src io.Reader, h *Header, shares []Share) error {
	k, err := h.rebuild(shares)
	if err != nil {
		return err
	}
	sa, err := subtle.NewAESGCMHKDF(k.data, "SHA256", 32, h.SegmentSize, 0)
	if err != nil {
		return fmt.Errorf("open: streaming AEAD: %w", err)
	}
	r, err := sa.NewDecryptingReader(src, h.raw)
	if err != nil {
		return fmt.Errorf("open: decrypt: %w", err)
	}
	if _, err := io.Copy(dst, r); err != nil {
		return fmt.Errorf("open: decrypt (the file is damaged or was altered): %w", err)
	}
	return nil
}

// rebuild verifies shares, recovers the secret and checks the binding.
func (h *Header) rebuild(shares []Share) (keys, error) {
	var valid []secretsharing.Share
	var bad []error
	seen := map[int]bool{}
	parts := map[int]group.Scalar{}
	for _, s := range shares {
		if seen[s.Index] {
			continue
		}
		ss, part, err := h.checkShare(s)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		seen[s.Index] = true
		valid = append(valid, ss)
		if part != nil {
			parts[s.Index] = part
		}
	}
	if len(valid) < h.K {
		return keys{}, fmt.Errorf("open: %w: %d valid of %d needed%s", ErrTooFewShares, len(valid), h.K, joinErrs(bad))
	}
	for i, c := range h.Custodians {
		if c.Veto != nil && parts[i] == nil {
			return keys{}, fmt.Errorf("open: %w: custodian %q holds a veto and released nothing valid%s", ErrVetoMissing, c.ID, joinErrs(bad))
		}
	}
	secret, err := secretsharing.Recover(uint(h.K-1), valid[:h.K])
	if err != nil {
		return keys{}, fmt.Errorf("open: recover key: %w", err)
	}
	for i := range h.Custodians {
		if p := parts[i]; p != nil {
			secret.Add(secret, p)
		}
	}
	sb, err := secret.MarshalBinary()
	if err != nil {
		return keys{}, fmt.Errorf("open: recover key: %w", err)
	}
	k, err := deriveKeys(sb, h.KeyID)
	if err != nil {
		return keys{}, fmt.Errorf("open: %w", err)
	}
	if !hmac.Equal(policyBinding(k.binding, h.Dataset, h.Labels), h.Binding) {
		return keys{}, fmt.Errorf("open: %w", ErrBinding)
	}
	return k, nil
}

func joinErrs(errs []error) string {
	s := ""
	for _, e := range errs {
		s += "; " + e.Error()
	}
	return s
}
