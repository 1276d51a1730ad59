package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/gowebpki/jcs"
)

// Header is the clear part of a sealed file. It says what the file is
// (dataset, labels), who holds its key (custodians, k) and how to check
// what they return (commitments, binding). It holds no key material in
// clear.
//
// On disk a sealed file is Magic, the header's length as a 4-byte
// big-endian integer, the header (JSON, exactly as Marshal writes it), and
// the Tink streaming AEAD ciphertext whose associated data is the header.
type Header struct {
	// Version is Version.
	Version int `json:"v"`
	// Dataset is the catalog id of the dataset sealed (a code).
	Dataset string `json:"dataset"`
	// KeyID names the data key: 32 hex digits, random.
	KeyID string `json:"key_id"`
	// Labels are the dataset's labels as canonical JSON (RFC 8785), an
	// object; the policy binding covers them.
	Labels json.RawMessage `json:"labels"`
	// K is how many shares rebuild the key.
	K int `json:"k"`
	// Group names the group the secret is shared over (GroupName).
	Group string `json:"group"`
	// Commitments are the k Feldman commitments to the sharing polynomial's
	// coefficients, each an encoded group element.
	Commitments [][]byte `json:"commitments"`
	// Custodians hold the shares, share i+1 at position i.
	Custodians []HeaderCustodian `json:"custodians"`
	// Binding is the policy binding: HMAC-SHA256 over the dataset id and
	// labels keyed with a key derived from the data key.
	Binding []byte `json:"binding"`
	// SegmentSize is the streaming AEAD's ciphertext segment size.
	SegmentSize int `json:"segment_size"`

	raw []byte // the header bytes as read or written
}

// HeaderCustodian is one custodian as the header names it, with its share
// sealed to it.
type HeaderCustodian struct {
	// ID names the custodian (a code, for example "fr-cnil").
	ID string `json:"id"`
	// URL is where the custodian answers POST /v1/release (may be empty).
	URL string `json:"url,omitempty"`
	// PublicKey is the custodian's HPKE public key (X25519, 32 bytes).
	PublicKey []byte `json:"public_key"`
	// Share is the custodian's share, HPKE-sealed to PublicKey.
	Share []byte `json:"share"`
	// Veto, for a custodian that holds a veto, is the commitment (an
	// encoded group element) to its veto part: the key cannot be rebuilt
	// without that part, whatever the other custodians release.
	Veto []byte `json:"veto,omitempty"`
}

// Raw returns the header's bytes as in the file (without magic and length).
func (h *Header) Raw() []byte { return h.raw }

// Digest returns hex SHA-256 of the header's bytes: the id of the sealed
// file.
func (h *Header) Digest() string {
	s := sha256.Sum256(h.raw)
	return hex.EncodeToString(s[:])
}

// coreDigest is SHA-256 of the header with every share left out: what a
// share's HPKE info names, since the shares themselves are sealed after it.
func (h *Header) coreDigest() ([]byte, error) {
	c := *h
	c.Custodians = make([]HeaderCustodian, len(h.Custodians))
	for i, hc := range h.Custodians {
		hc.Share = nil
		c.Custodians[i] = hc
	}
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	s := sha256.Sum256(b)
	return s[:], nil
}

// shareInfo is the HPKE info of custodian i's share.
func shareInfo(core []byte, i int) []byte {
	return fmt.Appendf(nil, "accord-custody/v1 share %d %x", i, core)
}

// marshal validates h and sets its raw bytes.
func (h *Header) marshal() error {
	if err := h.validate(); err != nil {
		return err
	}
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode header: %w", err)
	}
	if len(b) > maxHeader {
		return fmt.Errorf("header: %d bytes is larger than %d", len(b), maxHeader)
	}
	h.raw = b
	return nil
}

// WriteTo writes magic, length and header.
func (h *Header) WriteTo(w io.Writer) (int64, error) {
	var pre [len(Magic) + 4]byte
	copy(pre[:], Magic)
	binary.BigEndian.PutUint32(pre[len(Magic):], uint32(len(h.raw)))
	n, err := w.Write(pre[:])
	if err != nil {
		return int64(n), fmt.Errorf("write header: %w", err)
	}
	m, err := w.Write(h.raw)
	if err != nil {
		return int64(n + m), fmt.Errorf("write header: %w", err)
	}
	return int64(n + m), nil
}

// ReadHeader reads magic, length and header from r, leaving r at the
// ciphertext.
func ReadHeader(r io.Reader) (*Header, error) {
	var pre [len(Magic) + 4]byte
	if n, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("sealed file: byte %d: %w (not a sealed file?)", n, err)
	}
	if string(pre[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("sealed file: byte 0: not an Accord sealed file (magic %q)", pre[:len(Magic)])
	}
	n := binary.BigEndian.Uint32(pre[len(Magic):])
	if n > maxHeader {
		return nil, fmt.Errorf("sealed file: byte %d: header length %d is larger than %d", len(Magic), n, maxHeader)
	}
	buf := make([]byte, n)
	if got, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("sealed file: byte %d: header truncated (%d of %d bytes): %w", len(pre)+got, got, n, err)
	}
	h, err := parseHeader(buf, len(pre))
	if err != nil {
		return nil, fmt.Errorf("sealed file: %w", err)
	}
	return h, nil
}

// ParseHeader parses the start of a sealed file (magic, length, header);
// bytes after the header are ignored. Errors name the byte offset or the
// field.
func ParseHeader(data []byte) (*Header, error) {
	return ReadHeader(bytes.NewReader(data))
}

// ParseHeaderBytes parses header bytes as Header.Raw returns them (no
// magic, no length).
func ParseHeaderBytes(b []byte) (*Header, error) {
	if len(b) > maxHeader {
		return nil, fmt.Errorf("header: %d bytes is larger than %d", len(b), maxHeader)
	}
	return parseHeader(b, 0)
}

// parseHeader decodes the header bytes; off is their offset in the file.
func parseHeader(b []byte, off int) (*Header, error) {
	var h Header
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("header: byte %d: %w", off+max(int(se.Offset)-1, 0), err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("header field %s: byte %d: %w", te.Field, off+int(te.Offset), err)
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return nil, fmt.Errorf("header: byte %d: unexpected end of header", off+len(b))
		}
		return nil, fmt.Errorf("header: %w", err)
	}
	if dec.More() || dec.InputOffset() != int64(len(b)) {
		return nil, fmt.Errorf("header: byte %d: data after the header object", off+int(dec.InputOffset()))
	}
	if err := h.validate(); err != nil {
		return nil, err
	}
	again, err := json.Marshal(&h)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if !bytes.Equal(again, b) {
		return nil, fmt.Errorf("header: byte %d: not in Accord's encoding (members spelled, ordered or spaced differently)", off+firstDiff(again, b))
	}
	h.raw = bytes.Clone(b)
	return &h, nil
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// validate checks h's fields; the error names the field.
func (h *Header) validate() error {
	if h.Version != Version {
		return fmt.Errorf("header field v: version %d, want %d", h.Version, Version)
	}
	if err := checkCode("dataset", h.Dataset); err != nil {
		return err
	}
	if len(h.KeyID) != 32 {
		return fmt.Errorf("header field key_id: %d characters, want 32 hex digits", len(h.KeyID))
	}
	if _, err := hex.DecodeString(h.KeyID); err != nil {
		return fmt.Errorf("header field key_id: %w", err)
	}
	if len(h.Labels) == 0 || h.Labels[0] != '{' {
		return errors.New("header field labels: must be a JSON object")
	}
	canon, err := jcs.Transform(h.Labels)
	if err != nil {
		return fmt.Errorf("header field labels: %w", err)
	}
	if !bytes.Equal(canon, h.Labels) {
		return errors.New("header field labels: not canonical JSON (RFC 8785)")
	}
	n := len(h.Custodians)
	if n < 1 || n > MaxCustodians {
		return fmt.Errorf("header field custodians: %d custodians, want 1 to %d", n, MaxCustodians)
	}
	if h.K < 1 || h.K > n {
		return fmt.Errorf("header field k: %d, want 1 to %d (the number of custodians)", h.K, n)
	}
	if h.Group != GroupName {
		return fmt.Errorf("header field group: %q, want %q", h.Group, GroupName)
	}
	if len(h.Commitments) != h.K {
		return fmt.Errorf("header field commitments: %d commitments, want k=%d", len(h.Commitments), h.K)
	}
	for i, c := range h.Commitments {
		if len(c) != 32 {
			return fmt.Errorf("header field commitments[%d]: %d bytes, want 32", i, len(c))
		}
	}
	seen := map[string]bool{}
	for i, c := range h.Custodians {
		if err := checkCode(fmt.Sprintf("custodians[%d].id", i), c.ID); err != nil {
			return err
		}
		if seen[c.ID] {
			return fmt.Errorf("header field custodians[%d].id: %q named twice", i, c.ID)
		}
		seen[c.ID] = true
		if len(c.URL) > 2048 {
			return fmt.Errorf("header field custodians[%d].url: longer than 2048 bytes", i)
		}
		if len(c.PublicKey) != 32 {
			return fmt.Errorf("header field custodians[%d].public_key: %d bytes, want 32 (X25519)", i, len(c.PublicKey))
		}
		if c.Veto != nil && len(c.Veto) != 32 {
			return fmt.Errorf("header field custodians[%d].veto: %d bytes, want 32", i, len(c.Veto))
		}
		if want := sealedSize(plainShareSize(c.Veto != nil)); c.Share != nil && len(c.Share) != want {
			return fmt.Errorf("header field custodians[%d].share: %d bytes, want %d", i, len(c.Share), want)
		}
	}
	if len(h.Binding) != 32 {
		return fmt.Errorf("header field binding: %d bytes, want 32", len(h.Binding))
	}
	if h.SegmentSize < 4096 || h.SegmentSize > 64<<20 {
		return fmt.Errorf("header field segment_size: %d, want 4096 to %d", h.SegmentSize, 64<<20)
	}
	return nil
}

// checkCode refuses anything but a code: letters, digits and . _ - : / +,
// 1 to 64 bytes.
func checkCode(field, s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("header field %s: %d bytes, want 1 to 64", field, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		switch c {
		case '.', '_', '-', ':', '/', '+':
			continue
		}
		return fmt.Errorf("header field %s: byte %d of %q is not allowed in a code", field, i, s)
	}
	return nil
}
