package ledger

import (
	"errors"
	"fmt"

	f_log "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// Verification errors. Every error from VerifyReceipt, ParseCheckpoint and
// Verify that concerns the log's content wraps one of these, so a caller can
// tell with errors.Is what failed.
var (
	// ErrSignature: the checkpoint is not signed by the expected key.
	ErrSignature = errors.New("checkpoint signature invalid")
	// ErrOrigin: the checkpoint names another log.
	ErrOrigin = errors.New("checkpoint origin mismatch")
	// ErrCheckpoint: the checkpoint body is malformed.
	ErrCheckpoint = errors.New("checkpoint malformed")
	// ErrProof: the inclusion or consistency proof does not lead to the
	// checkpoint's root hash.
	ErrProof = errors.New("proof does not verify")
	// ErrEntryHash: the entry does not hash to the leaf the proof is for.
	ErrEntryHash = errors.New("entry hash mismatch")
)

// maxCheckpointSize bounds a checkpoint note, signatures included.
const maxCheckpointSize = 16 << 10

// Checkpoint is a verified C2SP tlog-checkpoint: a signed commitment to the
// first Size entries of the log named Origin.
type Checkpoint struct {
	// Origin names the log.
	Origin string
	// Size is the number of entries committed to.
	Size uint64
	// Hash is the RFC 6962 Merkle root of those entries.
	Hash []byte
	// Raw is the signed note as published, signatures included.
	Raw []byte
}

// ParseCheckpoint verifies raw (a signed note) with v and parses it. origin is
// the origin the caller expects; empty means v's name, which for an Accord
// log is the origin. Errors wrap ErrSignature, ErrCheckpoint or ErrOrigin.
// Cosignatures by witnesses (keys other than v) are ignored here.
func ParseCheckpoint(raw []byte, v note.Verifier, origin string) (*Checkpoint, error) {
	if v == nil {
		return nil, errors.New("parse checkpoint: no verifier key")
	}
	if origin == "" {
		origin = v.Name()
	}
	if len(raw) > maxCheckpointSize {
		return nil, fmt.Errorf("%w: %d bytes is larger than %d", ErrCheckpoint, len(raw), maxCheckpointSize)
	}
	n, err := note.Open(raw, note.VerifierList(v))
	if err != nil {
		var unv *note.UnverifiedNoteError
		if errors.As(err, &unv) {
			return nil, fmt.Errorf("%w: no signature by %s (key hash %08x)", ErrSignature, v.Name(), v.KeyHash())
		}
		var bad *note.InvalidSignatureError
		if errors.As(err, &bad) {
			return nil, fmt.Errorf("%w: the signature by %s does not match the checkpoint text", ErrSignature, v.Name())
		}
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	var cp f_log.Checkpoint
	if _, err := cp.Unmarshal([]byte(n.Text)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if len(cp.Hash) != 32 {
		return nil, fmt.Errorf("%w: root hash is %d bytes, want 32", ErrCheckpoint, len(cp.Hash))
	}
	if cp.Origin != origin {
		return nil, fmt.Errorf("%w: checkpoint is for log %q, expected %q", ErrOrigin, cp.Origin, origin)
	}
	return &Checkpoint{Origin: cp.Origin, Size: cp.Size, Hash: cp.Hash, Raw: raw}, nil
}

// checkpointOrigin reads the origin line of a checkpoint without verifying
// it, to explain a mismatch.
func checkpointOrigin(raw []byte) (string, error) {
	var cp f_log.Checkpoint
	if _, err := cp.Unmarshal(raw); err != nil {
		return "", fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	return cp.Origin, nil
}
