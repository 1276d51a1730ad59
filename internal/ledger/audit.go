package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
)

// OpenSource returns a Source for a log given as a directory (the log's own
// directory, e.g. <data>/log) or as an http:// or https:// URL of its read
// API. A directory without a checkpoint is an error.
func OpenSource(loc string, hc *http.Client) (Source, error) {
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		u, err := url.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("log URL %q: %w", loc, err)
		}
		f, err := client.NewHTTPFetcher(u, hc)
		if err != nil {
			return nil, fmt.Errorf("log URL %q: %w", loc, err)
		}
		return f, nil
	}
	fi, err := os.Stat(loc)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no log at %s: the directory does not exist", loc)
		}
		return nil, fmt.Errorf("log %s: %w", loc, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("log %s: not a directory", loc)
	}
	if _, err := os.Stat(filepath.Join(loc, layout.CheckpointPath)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no log at %s: it has no checkpoint file (give the log directory, e.g. <data>/log)", loc)
		}
		return nil, fmt.Errorf("log %s: %w", loc, err)
	}
	return client.FileFetcher{Root: loc}, nil
}

// MismatchError reports the first place where a log's files disagree with
// what its entries or checkpoints commit to. Index is the first entry
// affected.
type MismatchError struct {
	// Index is the first entry whose data or hashes do not match.
	Index uint64
	// What explains the mismatch.
	What string
}

// Error says which entry and what did not match.
func (e *MismatchError) Error() string {
	return fmt.Sprintf("entry %d: %s", e.Index, e.What)
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Since is a checkpoint saved earlier (e.g. by `accord log checkpoint`).
	// When set, Verify also checks that the log still contains exactly the
	// tree that checkpoint committed to: an append-only log never rewrites
	// its past.
	Since []byte
	// Progress, when set, is called after each entry bundle with the number
	// of entries checked and the total.
	Progress func(done, total uint64)
	// CheckEntries also checks that every entry is a valid Accord entry in
	// canonical form.
	CheckEntries bool
	// OnEntry, when set, is called with every entry in index order, parsed,
	// as it is read (it implies CheckEntries). An error from it stops the
	// audit. Its entries are only known good once Verify returns nil: a
	// caller that builds something from them must discard it on error.
	OnEntry func(index uint64, e Entry) error
}

// Verify audits the whole log at src against its signed checkpoint: it reads
// every entry bundle, recomputes every leaf hash and the Merkle tree,
// compares each stored tile hash with the recomputed one, and compares the
// recomputed root with the checkpoint's (signed by v, for origin; empty
// origin means v's name). With opts.Since it also checks consistency with
// an earlier checkpoint. It returns the verified checkpoint.
//
// The first disagreement is returned as a *MismatchError naming the first
// entry index affected.
func Verify(ctx context.Context, src Source, v note.Verifier, origin string, opts VerifyOptions) (*Checkpoint, error) {
	cp, err := fetchCheckpoint(ctx, src, v, origin)
	if err != nil {
		return nil, err
	}
	var since *Checkpoint
	if opts.Since != nil {
		since, err = ParseCheckpoint(opts.Since, v, cp.Origin)
		if err != nil {
			return nil, fmt.Errorf("--since checkpoint: %w", err)
		}
		if since.Size > cp.Size {
			return nil, fmt.Errorf("%w: the log shrank: the saved checkpoint commits to %d entries, the current one to %d", ErrProof, since.Size, cp.Size)
		}
	}

	t := &tileChecker{ctx: ctx, src: src, size: cp.Size, cache: map[uint64]*cachedTile{}}
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	checkSince := func() error {
		if since == nil || cr.End() != since.Size {
			return nil
		}
		root, err := rootOf(cr)
		if err != nil {
			return err
		}
		if !bytes.Equal(root, since.Hash) {
			return fmt.Errorf("%w: the log is not consistent with the saved checkpoint: its first %d entries hash to %x, the saved checkpoint says %x (the log's history was rewritten)", ErrProof, since.Size, root, since.Hash)
		}
		return nil
	}
	if err := checkSince(); err != nil {
		return nil, err
	}

	bundles := (cp.Size + layout.EntryBundleWidth - 1) / layout.EntryBundleWidth
	for b := range bundles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		first := b * layout.EntryBundleWidth
		want := min(cp.Size-first, layout.EntryBundleWidth)
		raw, err := src.ReadEntryBundle(ctx, b, layout.PartialTileSize(0, b, cp.Size))
		if err != nil {
			return nil, &MismatchError{Index: first, What: fmt.Sprintf("cannot read entry bundle %d: %v", b, err)}
		}
		entries, perr := splitBundle(raw)
		// Hash what parsed before reporting a malformed or short bundle:
		// damage to one entry's length shows first as that entry's hash.
		for i := range min(want, uint64(len(entries))) {
			idx := first + i
			leaf := entries[i]
			if err := cr.Append(rfc6962.DefaultHasher.HashLeaf(leaf), t.visit); err != nil {
				return nil, fmt.Errorf("recompute tree at entry %d: %w", idx, err)
			}
			if t.err != nil {
				return nil, t.err
			}
			if opts.CheckEntries || opts.OnEntry != nil {
				e, err := ParseEntry(leaf)
				if err != nil {
					return nil, &MismatchError{Index: idx, What: fmt.Sprintf("not a valid Accord entry: %v", err)}
				}
				if opts.OnEntry != nil {
					if err := opts.OnEntry(idx, e); err != nil {
						return nil, fmt.Errorf("entry %d: %w", idx, err)
					}
				}
			}
			if err := checkSince(); err != nil {
				return nil, err
			}
		}
		if uint64(len(entries)) < want {
			what := fmt.Sprintf("entry bundle %d holds %d entries, the checkpoint needs %d", b, len(entries), want)
			if perr != nil {
				what = fmt.Sprintf("entry bundle %d is malformed here: %v", b, perr)
			}
			return nil, &MismatchError{Index: first + uint64(len(entries)), What: what}
		}
		if opts.Progress != nil {
			opts.Progress(first+want, cp.Size)
		}
	}
	root, err := rootOf(cr)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(root, cp.Hash) {
		return nil, fmt.Errorf("%w: the %d entries hash to root %x, the signed checkpoint says %x", ErrProof, cp.Size, root, cp.Hash)
	}
	return cp, nil
}

// rootOf returns the root hash of a compact range starting at 0.
func rootOf(cr *compact.Range) ([]byte, error) {
	if cr.End() == 0 {
		return rfc6962.DefaultHasher.EmptyRoot(), nil
	}
	root, err := cr.GetRootHash(nil)
	if err != nil {
		return nil, fmt.Errorf("recompute root: %w", err)
	}
	return root, nil
}

// splitBundle splits an entry bundle (C2SP tlog-tiles: 2-byte big-endian
// length, then data, repeated) into its entries. On malformed data it returns
// the entries read so far and an error naming the byte offset, so the caller
// can name the first bad entry.
func splitBundle(raw []byte) ([][]byte, error) {
	var out [][]byte
	for off := 0; off < len(raw); {
		if off+2 > len(raw) {
			return out, fmt.Errorf("dangling byte at offset %d", off)
		}
		n := int(binary.BigEndian.Uint16(raw[off:]))
		if off+2+n > len(raw) {
			return out, fmt.Errorf("entry at offset %d claims %d bytes, only %d remain", off, n, len(raw)-off-2)
		}
		out = append(out, raw[off+2:off+2+n])
		off += 2 + n
	}
	return out, nil
}

// tileChecker compares the nodes a recomputation produces with the stored
// tiles (each tile at level L holds the hashes of tree level 8L).
type tileChecker struct {
	ctx   context.Context
	src   Source
	size  uint64
	cache map[uint64]*cachedTile // by tile level
	err   error
}

type cachedTile struct {
	index uint64
	nodes [][]byte
}

func (t *tileChecker) visit(id compact.NodeID, hash []byte) {
	if t.err != nil || id.Level%layout.TileHeight != 0 {
		return
	}
	level := uint64(id.Level / layout.TileHeight)
	tileIndex, pos := id.Index/layout.TileWidth, id.Index%layout.TileWidth
	first := id.Index << id.Level
	ct := t.cache[level]
	if ct == nil || ct.index != tileIndex {
		p := layout.PartialTileSize(level, tileIndex, t.size)
		raw, err := t.src.ReadTile(t.ctx, level, tileIndex, p)
		if err != nil {
			t.err = &MismatchError{Index: first, What: fmt.Sprintf("cannot read tile %s: %v", layout.TilePath(level, tileIndex, p), err)}
			return
		}
		var ht api.HashTile
		if err := ht.UnmarshalText(raw); err != nil {
			t.err = &MismatchError{Index: first, What: fmt.Sprintf("tile %s is malformed: %v", layout.TilePath(level, tileIndex, p), err)}
			return
		}
		ct = &cachedTile{index: tileIndex, nodes: ht.Nodes}
		t.cache[level] = ct
	}
	if pos >= uint64(len(ct.nodes)) {
		t.err = &MismatchError{Index: first, What: fmt.Sprintf("tile %d/%d is missing hash %d", level, tileIndex, pos)}
		return
	}
	if !bytes.Equal(ct.nodes[pos], hash) {
		what := fmt.Sprintf("the entry's leaf hash %x differs from the stored tile %d/%d hash %x", hash, level, tileIndex, ct.nodes[pos])
		if level > 0 {
			what = fmt.Sprintf("the subtree of entries %d..%d hashes to %x, the stored tile %d/%d says %x", first, first+(1<<id.Level)-1, hash, level, tileIndex, ct.nodes[pos])
		}
		t.err = &MismatchError{Index: first, What: what}
	}
}

// Consistency proves that the checkpoint newRaw extends oldRaw: it builds the
// RFC 6962 consistency proof from the log at src and verifies it. Both
// checkpoints must be signed by v for origin (empty: v's name). It returns
// the proof and both verified checkpoints.
func Consistency(ctx context.Context, src Source, v note.Verifier, origin string, oldRaw, newRaw []byte) ([][]byte, *Checkpoint, *Checkpoint, error) {
	oldCP, err := ParseCheckpoint(oldRaw, v, origin)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("old checkpoint: %w", err)
	}
	newCP, err := ParseCheckpoint(newRaw, v, origin)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("new checkpoint: %w", err)
	}
	if oldCP.Size > newCP.Size {
		return nil, oldCP, newCP, fmt.Errorf("the old checkpoint (%d entries) is larger than the new one (%d): give them oldest first", oldCP.Size, newCP.Size)
	}
	var p [][]byte
	if oldCP.Size > 0 && oldCP.Size < newCP.Size {
		pb, err := client.NewProofBuilder(ctx, newCP.Size, src.ReadTile)
		if err != nil {
			return nil, oldCP, newCP, fmt.Errorf("proof builder: %w", err)
		}
		p, err = pb.ConsistencyProof(ctx, oldCP.Size, newCP.Size)
		if err != nil {
			return nil, oldCP, newCP, fmt.Errorf("consistency proof %d→%d: %w", oldCP.Size, newCP.Size, err)
		}
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, oldCP.Size, newCP.Size, p, oldCP.Hash, newCP.Hash); err != nil {
		return p, oldCP, newCP, fmt.Errorf("%w: consistency %d→%d: %v", ErrProof, oldCP.Size, newCP.Size, err)
	}
	return p, oldCP, newCP, nil
}
