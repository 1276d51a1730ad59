package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gowebpki/jcs"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
)

// Receipt proves that an entry is in the log: the entry, its index, a signed
// checkpoint and an inclusion proof from the entry's leaf to the
// checkpoint's root. Anyone holding the log's verifier key checks it offline
// with VerifyReceipt.
//
// In JSON, entry is the entry object itself (its canonical form, RFC 8785,
// is the leaf), leaf_hash and inclusion_proof are base64.
type Receipt struct {
	// Index is the entry's position in the log, from 0.
	Index uint64 `json:"index"`
	// Entry is the logged entry. Its canonical JSON is the leaf.
	Entry json.RawMessage `json:"entry"`
	// LeafHash is the RFC 6962 leaf hash of the entry's canonical JSON.
	LeafHash []byte `json:"leaf_hash"`
	// Checkpoint is the signed checkpoint (a C2SP signed note) the proof
	// leads to.
	Checkpoint string `json:"checkpoint"`
	// InclusionProof is the RFC 6962 audit path from the leaf to the
	// checkpoint's root.
	InclusionProof [][]byte `json:"inclusion_proof"`
}

// ErrNotPublished is returned by ReceiptFrom for an index the published
// checkpoint does not cover yet (or that does not exist). Entries are covered
// about a checkpoint interval after they are appended: try again.
var ErrNotPublished = errors.New("entry not covered by the published checkpoint")

// maxReceiptSize bounds a receipt file.
const maxReceiptSize = 1 << 20

// maxProofLen bounds an inclusion proof: a tree of 2^64 leaves needs 64.
const maxProofLen = 64

// ParseReceipt decodes a receipt as written by `accord log receipt`. It
// checks the shape (fields present, hashes 32 bytes, no unknown fields), not
// the proof; call VerifyReceipt for that. Errors name the field or byte
// offset.
func ParseReceipt(data []byte) (*Receipt, error) {
	if len(data) > maxReceiptSize {
		return nil, fmt.Errorf("receipt: %d bytes is larger than %d", len(data), maxReceiptSize)
	}
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("receipt: %w", jsonErrorAt(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("receipt: byte %d: data after the receipt", dec.InputOffset())
	}
	if len(bytes.TrimSpace(r.Entry)) == 0 || bytes.Equal(bytes.TrimSpace(r.Entry), []byte("null")) {
		return nil, errors.New("receipt field entry: missing")
	}
	if r.Checkpoint == "" {
		return nil, errors.New("receipt field checkpoint: missing")
	}
	if len(r.LeafHash) != sha256.Size {
		return nil, fmt.Errorf("receipt field leaf_hash: %d bytes, want %d", len(r.LeafHash), sha256.Size)
	}
	if len(r.InclusionProof) > maxProofLen {
		return nil, fmt.Errorf("receipt field inclusion_proof: %d hashes, at most %d", len(r.InclusionProof), maxProofLen)
	}
	for i, h := range r.InclusionProof {
		if len(h) != sha256.Size {
			return nil, fmt.Errorf("receipt field inclusion_proof[%d]: %d bytes, want %d", i, len(h), sha256.Size)
		}
	}
	return &r, nil
}

// Leaf returns the leaf bytes of the receipt's entry: its canonical JSON.
func (r *Receipt) Leaf() ([]byte, error) {
	leaf, err := jcs.Transform(r.Entry)
	if err != nil {
		return nil, fmt.Errorf("receipt field entry: %w", err)
	}
	return leaf, nil
}

// ParsedEntry decodes the receipt's entry.
func (r *Receipt) ParsedEntry() (Entry, error) {
	leaf, err := r.Leaf()
	if err != nil {
		return Entry{}, err
	}
	return ParseEntry(leaf)
}

// VerifyReceipt checks a receipt offline against the log's verifier key:
// the checkpoint is signed by v (else ErrSignature), names the log origin
// (else ErrOrigin; empty origin means v's name), the entry hashes to the
// receipt's leaf hash (else ErrEntryHash), and the inclusion proof leads from
// that leaf at the receipt's index to the checkpoint's root (else ErrProof).
func VerifyReceipt(r *Receipt, v note.Verifier, origin string) error {
	_, err := verifyReceipt(r, v, origin)
	return err
}

func verifyReceipt(r *Receipt, v note.Verifier, origin string) (*Checkpoint, error) {
	if r == nil {
		return nil, errors.New("verify receipt: no receipt")
	}
	cp, err := ParseCheckpoint([]byte(r.Checkpoint), v, origin)
	if err != nil {
		return nil, fmt.Errorf("verify receipt: %w", err)
	}
	// Fast path: an entry as Accord writes it, indented or not, compacts to
	// its canonical form; if that hashes to the leaf, it is the leaf. Any
	// other spelling of the same entry goes through RFC 8785.
	var compact bytes.Buffer
	lh := []byte(nil)
	if json.Compact(&compact, r.Entry) == nil {
		lh = rfc6962.DefaultHasher.HashLeaf(compact.Bytes())
	}
	if !bytes.Equal(lh, r.LeafHash) {
		leaf, err := r.Leaf()
		if err != nil {
			return nil, fmt.Errorf("verify receipt: %w: %v", ErrEntryHash, err)
		}
		lh = rfc6962.DefaultHasher.HashLeaf(leaf)
	}
	if !bytes.Equal(lh, r.LeafHash) {
		return nil, fmt.Errorf("verify receipt: %w: the entry hashes to %x, the receipt's leaf_hash is %x (the entry was altered or belongs to another receipt)", ErrEntryHash, lh, r.LeafHash)
	}
	if r.Index >= cp.Size {
		return nil, fmt.Errorf("verify receipt: %w: index %d is not below the checkpoint's tree size %d", ErrProof, r.Index, cp.Size)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, r.Index, cp.Size, r.LeafHash, r.InclusionProof, cp.Hash); err != nil {
		return nil, fmt.Errorf("verify receipt: %w: leaf at index %d in a tree of %d: %v", ErrProof, r.Index, cp.Size, err)
	}
	return cp, nil
}

// Source is where a log's public files are read from: a directory or an
// HTTP(S) URL serving the C2SP tlog-tiles layout. ReadTile and
// ReadEntryBundle fall back to the full tile when the partial one asked for
// is gone (as Tessera's client fetchers do).
type Source interface {
	// ReadCheckpoint returns the latest published checkpoint.
	ReadCheckpoint(ctx context.Context) ([]byte, error)
	// ReadTile returns the hash tile at level and index; p is the partial
	// width, 0 for a full tile.
	ReadTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error)
	// ReadEntryBundle returns the entry bundle at index; p is the partial
	// width, 0 for a full bundle.
	ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error)
}

// readEntry returns the leaf at index from a log whose tree has size entries.
func readEntry(ctx context.Context, src Source, index, size uint64) ([]byte, error) {
	b, err := client.GetEntryBundle(ctx, src.ReadEntryBundle, index/layout.EntryBundleWidth, size)
	if err != nil {
		return nil, fmt.Errorf("read entry %d: %w", index, err)
	}
	i := index % layout.EntryBundleWidth
	if i >= uint64(len(b.Entries)) {
		return nil, fmt.Errorf("read entry %d: bundle holds only %d entries", index, len(b.Entries))
	}
	return b.Entries[i], nil
}

// buildReceipt assembles and checks the receipt for index against the
// verified checkpoint cp, with pb a proof builder for cp.Size.
func buildReceipt(ctx context.Context, src Source, pb *client.ProofBuilder, cp *Checkpoint, v note.Verifier, index uint64) (*Receipt, error) {
	if index >= cp.Size {
		return nil, fmt.Errorf("receipt for %d: %w (it covers %d entries, indexes from 0)", index, ErrNotPublished, cp.Size)
	}
	leaf, err := readEntry(ctx, src, index, cp.Size)
	if err != nil {
		return nil, fmt.Errorf("receipt for %d: %w", index, err)
	}
	p, err := pb.InclusionProof(ctx, index)
	if err != nil {
		return nil, fmt.Errorf("receipt for %d: inclusion proof: %w", index, err)
	}
	if p == nil {
		p = [][]byte{}
	}
	r := &Receipt{
		Index:          index,
		Entry:          json.RawMessage(leaf),
		LeafHash:       rfc6962.DefaultHasher.HashLeaf(leaf),
		Checkpoint:     string(cp.Raw),
		InclusionProof: p,
	}
	// Check what we hand out: a receipt that does not verify means the
	// log's files are damaged, and the caller must know now.
	if _, err := verifyReceipt(r, v, cp.Origin); err != nil {
		return nil, fmt.Errorf("receipt for %d does not verify against the log's own checkpoint (damaged log files?): %w", index, err)
	}
	return r, nil
}

// ReceiptFrom builds the receipt for index from a log's public files, against
// the latest checkpoint src publishes (verified with v). It does not wait: an
// index not yet covered by the checkpoint is an error.
func ReceiptFrom(ctx context.Context, src Source, v note.Verifier, origin string, index uint64) (*Receipt, error) {
	cp, err := fetchCheckpoint(ctx, src, v, origin)
	if err != nil {
		return nil, err
	}
	pb, err := client.NewProofBuilder(ctx, cp.Size, src.ReadTile)
	if err != nil {
		return nil, fmt.Errorf("proof builder: %w", err)
	}
	return buildReceipt(ctx, src, pb, cp, v, index)
}

// fetchCheckpoint reads and verifies src's checkpoint.
func fetchCheckpoint(ctx context.Context, src Source, v note.Verifier, origin string) (*Checkpoint, error) {
	raw, err := src.ReadCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	cp, err := ParseCheckpoint(raw, v, origin)
	if err != nil {
		return nil, fmt.Errorf("log checkpoint: %w", err)
	}
	return cp, nil
}
