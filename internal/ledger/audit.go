package ledger

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

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
	// Progress, when set, is called after each entry bundle, in order, with
	// the number of entries checked and the total.
	Progress func(done, total uint64)
	// CheckEntries parses every entry and checks that it is a valid Accord
	// entry in canonical form. Parsing costs about 40 times hashing; see
	// SampleEvery for the check at hashing speed.
	CheckEntries bool
	// SampleEvery, when positive, checks entries at hashing speed: every
	// entry is screened byte by byte for what no canonical entry holds
	// (white space, escapes, control or non-ASCII bytes, a first byte other
	// than '{' or a last other than '}'), and about one entry in SampleEvery,
	// drawn at random, is parsed and checked in full, as is every entry the
	// screen flags and every entry Want selects. 1 parses every entry.
	// DefaultSampleEvery is what `accord log verify` uses.
	SampleEvery int
	// SampleSeed fixes which entries the sample draws (for tests); 0 draws
	// a fresh random seed, so that a log writer cannot know which entries
	// will be parsed.
	SampleSeed uint64
	// OnEntry, when set, is called in index order with the entries Want
	// selects, or without Want with every entry (it then implies
	// CheckEntries), each parsed and checked in full. An error from it stops the audit. Its entries are
	// only known good once Verify returns nil: a caller that builds
	// something from them must discard it on error.
	OnEntry func(index uint64, e Entry) error
	// Want, when set with OnEntry, selects from an entry's stored bytes the
	// entries OnEntry needs; the others are hashed, screened and sampled as
	// with SampleEvery (DefaultSampleEvery when that is 0). It is only asked
	// about entries that pass the screen (no escapes, so every string value
	// appears literally), and must return true for every entry OnEntry would
	// use: a false negative leaves an entry out silently.
	Want func(raw []byte) bool
	// Workers is the number of goroutines hashing and checking entry
	// bundles; 0 means runtime.GOMAXPROCS(0). The tree is still built in
	// index order, on the calling goroutine.
	Workers int
}

// DefaultSampleEvery is the sampling rate `accord log verify` uses: one
// entry in 64, at random, is parsed in full; every entry is hashed and
// screened.
const DefaultSampleEvery = 64

// Verify audits the whole log at src against its signed checkpoint: it reads
// every entry bundle, recomputes every leaf hash and the Merkle tree,
// compares each stored tile hash with the recomputed one, and compares the
// recomputed root with the checkpoint's (signed by v, for origin; empty
// origin means v's name). With opts.Since it also checks consistency with
// an earlier checkpoint. It returns the verified checkpoint.
//
// Leaf hashes are computed from the entries' bytes as stored, by
// opts.Workers goroutines (entry bundles are independent); how many entries
// are also parsed is set by opts (CheckEntries, SampleEvery, OnEntry and
// Want). A tampered entry changes its leaf hash and so the root, whether it
// is parsed or not.
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
	pol, err := newEntryPolicy(opts)
	if err != nil {
		return nil, err
	}

	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	t := &tileChecker{ctx: ctx, src: src, size: cp.Size, cache: map[uint64]*cachedTile{}}
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
	var split uint64 // an index inside a bundle where the tree must be checked against since
	if since != nil {
		split = since.Size
	}

	bundles := (cp.Size + layout.EntryBundleWidth - 1) / layout.EntryBundleWidth
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Bundles are checked by the workers in any order; results are taken
	// in bundle order, with at most 4 per worker waiting.
	results := make(chan chan *bundleResult, 4*workers)
	go func() {
		defer close(results)
		jobs := make(chan func())
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for job := range jobs {
					job()
				}
			}()
		}
		defer wg.Wait()
		defer close(jobs)
		for b := range bundles {
			out := make(chan *bundleResult, 1)
			select {
			case results <- out:
			case <-ctx.Done():
				return
			}
			job := func() {
				out <- checkBundle(ctx, src, rf, pol, cp.Size, b, split)
			}
			select {
			case jobs <- job:
			case <-ctx.Done():
				return
			}
		}
	}()

	for out := range results {
		var res *bundleResult
		select {
		case res = <-out:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if res.ctxErr != nil {
			return nil, res.ctxErr
		}
		// Merge the bundle's verified prefix into the tree, calling OnEntry
		// and checking against since in index order.
		next := 0
		for _, r := range res.ranges {
			if r.End()-r.Begin() == layout.EntryBundleWidth {
				// The bundle's own subtree: a level-1 tile hash.
				t.visit(compact.NewNodeID(layout.TileHeight, r.Begin()>>layout.TileHeight), r.Hashes()[0])
				if t.err != nil {
					return nil, t.err
				}
			}
			if err := cr.AppendRange(r, t.visit); err != nil {
				return nil, fmt.Errorf("recompute tree at entry %d: %w", r.Begin(), err)
			}
			if t.err != nil {
				return nil, t.err
			}
			for ; next < len(res.parsed) && res.parsed[next].index < r.End(); next++ {
				p := res.parsed[next]
				if err := opts.OnEntry(p.index, p.entry); err != nil {
					return nil, fmt.Errorf("entry %d: %w", p.index, err)
				}
			}
			if err := checkSince(); err != nil {
				return nil, err
			}
		}
		if res.err != nil {
			return nil, res.err
		}
		if opts.Progress != nil {
			opts.Progress(cr.End(), cp.Size)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cr.End() != cp.Size {
		return nil, fmt.Errorf("recompute tree: %d entries checked, the checkpoint has %d", cr.End(), cp.Size)
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

// entryPolicy says which entries an audit parses, and which it hands to
// OnEntry.
type entryPolicy struct {
	all    bool // parse every entry
	screen bool // screen every entry; parse the flagged ones and a sample
	every  uint64
	seed   uint64
	give   bool              // OnEntry is set
	want   func([]byte) bool // which entries OnEntry gets; nil: all
}

func newEntryPolicy(opts VerifyOptions) (*entryPolicy, error) {
	if opts.SampleEvery < 0 {
		return nil, fmt.Errorf("verify: SampleEvery %d is negative", opts.SampleEvery)
	}
	p := &entryPolicy{give: opts.OnEntry != nil}
	if p.give {
		p.want = opts.Want
	}
	p.all = opts.CheckEntries || p.give && p.want == nil
	if opts.SampleEvery > 0 || p.want != nil {
		p.screen = true
		p.every = uint64(opts.SampleEvery)
		if p.every == 0 {
			p.every = DefaultSampleEvery
		}
		p.seed = opts.SampleSeed
		if p.seed == 0 {
			var b [8]byte
			if _, err := rand.Read(b[:]); err != nil {
				return nil, fmt.Errorf("verify: draw sample seed: %w", err)
			}
			p.seed = binary.LittleEndian.Uint64(b[:]) | 1
		}
	}
	return p, nil
}

// parse reports whether the entry at index, with stored bytes raw, is to
// be parsed and checked in full, and whether OnEntry receives it.
func (p *entryPolicy) parse(index uint64, raw []byte) (check, give bool) {
	if p.give && p.want == nil {
		return true, true
	}
	if p.screen {
		if !screenEntry(raw) {
			return true, false // not canonical: parsing says why
		}
		if p.want != nil && p.want(raw) {
			return true, true
		}
	}
	switch {
	case p.all:
		return true, false
	case p.screen:
		return p.every == 1 || mix64(p.seed^index)%p.every == 0, false
	}
	return false, false
}

// mix64 is SplitMix64's finalizer: a cheap, well-spread hash of x.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// screenEntry reports whether raw could be a canonical entry, looking only
// at its bytes: an object, in printable ASCII without spaces or
// backslashes. Every entry ParseEntry accepts passes (an entry holds only
// codes, numbers and a UTC time, which RFC 8785 writes with none of these);
// so an entry that fails is not canonical, and where none is escaped, every
// string value of an entry appears literally in its bytes.
func screenEntry(raw []byte) bool {
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return false
	}
	for _, c := range raw {
		if screenBad[c] {
			return false
		}
	}
	return true
}

// screenBad marks the bytes no canonical entry holds: controls, space,
// backslash, DEL and every non-ASCII byte.
var screenBad = func() (t [256]bool) {
	for c := range t {
		t[c] = c <= ' ' || c >= 0x7f || c == '\\'
	}
	return t
}()

// bundleResult is what checkBundle found in one entry bundle: the compact
// ranges of the entries verified before the first error (split at the
// since checkpoint's size when it falls inside the bundle), the entries for
// OnEntry, and the error.
type bundleResult struct {
	ranges []*compact.Range
	parsed []parsedEntry
	err    error
	ctxErr error
}

type parsedEntry struct {
	index uint64
	entry Entry
}

// checkBundle reads entry bundle b of a log of size entries and its
// level-0 tile, hashes every entry, compares each leaf hash with the
// tile's, and parses the entries pol selects. It stops at the first
// disagreement.
func checkBundle(ctx context.Context, src Source, rf *compact.RangeFactory, pol *entryPolicy, size, b, split uint64) *bundleResult {
	res := &bundleResult{}
	if err := ctx.Err(); err != nil {
		res.ctxErr = err
		return res
	}
	first := b * layout.EntryBundleWidth
	want := min(size-first, layout.EntryBundleWidth)
	p := layout.PartialTileSize(0, b, size)
	raw, err := src.ReadEntryBundle(ctx, b, p)
	if err != nil {
		res.err = &MismatchError{Index: first, What: fmt.Sprintf("cannot read entry bundle %d: %v", b, err)}
		return res
	}
	// The bundle's leaf hashes are tile b of level 0.
	tileRaw, err := src.ReadTile(ctx, 0, b, p)
	var tile [][]byte
	if err == nil {
		var ht api.HashTile
		if err = ht.UnmarshalText(tileRaw); err != nil {
			err = fmt.Errorf("tile %s is malformed: %w", layout.TilePath(0, b, p), err)
		}
		tile = ht.Nodes
	} else {
		err = fmt.Errorf("cannot read tile %s: %w", layout.TilePath(0, b, p), err)
	}
	if err != nil {
		res.err = &MismatchError{Index: first, What: err.Error()}
		return res
	}
	entries, perr := splitBundle(raw)
	hashes := make([]byte, 0, sha256.Size*len(entries))
	h := sha256.New()
	cr := rf.NewEmptyRange(first)
	// Hash what parsed before reporting a malformed or short bundle:
	// damage to one entry's length shows first as that entry's hash.
	n := min(want, uint64(len(entries)))
	for i := range n {
		idx := first + i
		if idx == split && idx != first {
			res.ranges = append(res.ranges, cr)
			cr = rf.NewEmptyRange(idx)
		}
		leaf := entries[i]
		h.Reset()
		h.Write([]byte{rfc6962.RFC6962LeafHashPrefix})
		h.Write(leaf)
		hashes = h.Sum(hashes)
		lh := hashes[len(hashes)-sha256.Size:]
		if i >= uint64(len(tile)) {
			res.err = &MismatchError{Index: idx, What: fmt.Sprintf("tile 0/%d is missing hash %d", b, i)}
			break
		}
		if !bytes.Equal(tile[i], lh) {
			res.err = &MismatchError{Index: idx, What: fmt.Sprintf("the entry's leaf hash %x differs from the stored tile 0/%d hash %x", lh, b, tile[i])}
			break
		}
		if check, give := pol.parse(idx, leaf); check {
			e, err := ParseEntry(leaf)
			if err != nil {
				res.err = &MismatchError{Index: idx, What: fmt.Sprintf("not a valid Accord entry: %v", err)}
				break
			}
			if give {
				res.parsed = append(res.parsed, parsedEntry{index: idx, entry: e})
			}
		}
		if err := cr.Append(lh, nil); err != nil {
			res.err = fmt.Errorf("recompute tree at entry %d: %w", idx, err)
			break
		}
	}
	res.ranges = append(res.ranges, cr)
	if res.err == nil && uint64(len(entries)) < want {
		what := fmt.Sprintf("entry bundle %d holds %d entries, the checkpoint needs %d", b, len(entries), want)
		if perr != nil {
			what = fmt.Sprintf("entry bundle %d is malformed here: %v", b, perr)
		}
		res.err = &MismatchError{Index: first + uint64(len(entries)), What: what}
	}
	return res
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
