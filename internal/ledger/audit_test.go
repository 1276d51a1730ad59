package ledger

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
)

// copyLog copies a log directory so a test can damage the copy.
func copyLog(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "log")
	if err := os.CopyFS(dst, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// flipByte flips one bit of the byte at offset in file rel under dir.
func flipByte(t *testing.T, dir, rel string, offset int) {
	t.Helper()
	p := filepath.Join(dir, rel)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if offset < 0 {
		offset += len(data)
	}
	data[offset] ^= 0x01
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// entryOffset returns the offset of the first data byte of entry i in an
// entry bundle.
func entryOffset(t *testing.T, bundle []byte, i int) int {
	t.Helper()
	off := 0
	for range i {
		off += 2 + int(bundle[off])<<8 + int(bundle[off+1])
	}
	return off + 2
}

func verifyDir(t *testing.T, dir string, f *fixture, opts VerifyOptions) (*Checkpoint, error) {
	t.Helper()
	src, err := OpenSource(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Verify(context.Background(), src, f.verifier, "", opts)
}

func TestVerifyLog(t *testing.T) {
	f := newFixture(t, 600) // two full bundles and a partial one; a level-1 tile
	var calls []uint64
	cp, err := verifyDir(t, f.dir, f, VerifyOptions{CheckEntries: true, Progress: func(done, total uint64) {
		if total != 600 {
			t.Errorf("progress total %d, want 600", total)
		}
		calls = append(calls, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != 600 {
		t.Fatalf("verified size %d, want 600", cp.Size)
	}
	if want := []uint64{256, 512, 600}; !equalU64(calls, want) {
		t.Errorf("progress calls %v, want %v", calls, want)
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestVerifyTamper damages one byte of a log at a time and checks that
// Verify fails and names the first entry affected.
func TestVerifyTamper(t *testing.T) {
	f := newFixture(t, 600)
	bundle0, err := os.ReadFile(filepath.Join(f.dir, layout.EntriesPath(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		damage    func(dir string)
		wantIndex uint64
		wantText  string
	}{
		{"byte inside entry 5", func(dir string) {
			flipByte(t, dir, layout.EntriesPath(0, 0), entryOffset(t, bundle0, 5)+10)
		}, 5, "leaf hash"},
		{"byte inside entry 300", func(dir string) {
			b1, _ := os.ReadFile(filepath.Join(dir, layout.EntriesPath(1, 0)))
			flipByte(t, dir, layout.EntriesPath(1, 0), entryOffset(t, b1, 300-256)+3)
		}, 300, "leaf hash"},
		{"length prefix of entry 7", func(dir string) {
			flipByte(t, dir, layout.EntriesPath(0, 0), entryOffset(t, bundle0, 7)-1)
		}, 7, ""},
		{"last byte of the partial bundle", func(dir string) {
			flipByte(t, dir, layout.EntriesPath(2, 600-512), -1)
		}, 599, "leaf hash"},
		{"level-0 tile hash of entry 42", func(dir string) {
			flipByte(t, dir, layout.TilePath(0, 0, 0), 42*32+31)
		}, 42, "tile 0/0"},
		{"level-1 tile hash of the second subtree", func(dir string) {
			flipByte(t, dir, layout.TilePath(1, 0, 2), 32+1)
		}, 256, "tile 1/0"},
		{"truncated bundle", func(dir string) {
			p := filepath.Join(dir, layout.EntriesPath(1, 0))
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:entryOffset(t, data, 100)+5], 0o644)
		}, 356, "entry bundle 1"},
		{"missing tile", func(dir string) {
			os.Remove(filepath.Join(dir, layout.TilePath(0, 1, 0)))
		}, 256, "cannot read tile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyLog(t, f.dir)
			tt.damage(dir)
			_, err := verifyDir(t, dir, f, VerifyOptions{})
			var me *MismatchError
			if !errors.As(err, &me) {
				t.Fatalf("Verify: %v, want a MismatchError", err)
			}
			if me.Index != tt.wantIndex {
				t.Fatalf("Verify named entry %d (%v), want %d", me.Index, err, tt.wantIndex)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("Verify: %v, want mention of %q", err, tt.wantText)
			}
		})
	}
}

func TestVerifyCheckpointAndSince(t *testing.T) {
	f := newFixture(t, 300)
	src, err := OpenSource(f.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cp, err := fetchCheckpoint(ctx, src, f.verifier, "")
	if err != nil {
		t.Fatal(err)
	}
	// A real earlier checkpoint: the root of the first 100 entries, as a
	// receipt at size 100 would have shown it. Build it from the tiles.
	pbRoot := func(size uint64) []byte {
		var leaves [][]byte
		for i := range size {
			leaf, err := readEntry(ctx, src, i, cp.Size)
			if err != nil {
				t.Fatal(err)
			}
			leaves = append(leaves, leaf)
		}
		return merkleRoot(leaves)
	}
	since100 := signCheckpoint(t, cp.Origin, 100, pbRoot(100), f.signer)
	if _, err := verifyDir(t, f.dir, f, VerifyOptions{Since: []byte(since100)}); err != nil {
		t.Fatalf("Verify --since a real checkpoint: %v", err)
	}
	if _, err := verifyDir(t, f.dir, f, VerifyOptions{Since: cp.Raw}); err != nil {
		t.Fatalf("Verify --since the current checkpoint: %v", err)
	}

	forged := bytes.Clone(pbRoot(100))
	forged[0] ^= 1
	tests := []struct {
		name  string
		since string
		cp    string // replaces the published checkpoint when set
		want  error
		text  string
	}{
		{"since shows another history", signCheckpoint(t, cp.Origin, 100, forged, f.signer), "", ErrProof, "rewritten"},
		{"since is larger than the log", signCheckpoint(t, cp.Origin, 400, forged, f.signer), "", ErrProof, "shrank"},
		{"since signed by another key", signCheckpoint(t, cp.Origin, 100, pbRoot(100), otherSigner(t, cp.Origin)), "", ErrSignature, "--since"},
		{"checkpoint signed by another key", "", signCheckpoint(t, cp.Origin, cp.Size, cp.Hash, otherSigner(t, cp.Origin)), ErrSignature, ""},
		{"checkpoint root forged with the log key", "", signCheckpoint(t, cp.Origin, cp.Size, forged, f.signer), ErrProof, "signed checkpoint says"},
		{"corrupt checkpoint file", "", "garbage", ErrCheckpoint, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := f.dir
			if tt.cp != "" {
				dir = copyLog(t, f.dir)
				if err := os.WriteFile(filepath.Join(dir, "checkpoint"), []byte(tt.cp), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var since []byte
			if tt.since != "" {
				since = []byte(tt.since)
			}
			_, err := verifyDir(t, dir, f, VerifyOptions{Since: since})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("Verify: %v, want %v mentioning %q", err, tt.want, tt.text)
			}
		})
	}
}

func TestOpenSourceErrors(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(empty, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ loc, want string }{
		{filepath.Join(empty, "missing"), "does not exist"},
		{empty, "no checkpoint"},
		{file, "not a directory"},
	} {
		if _, err := OpenSource(tt.loc, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("OpenSource(%s): %v, want %q", tt.loc, err, tt.want)
		}
	}
}

func TestConsistency(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "log")
	l, err := Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var cps [][]byte
	for round := range 3 {
		var last uint64
		for i := range 100 + round*57 {
			if last, err = l.Append(ctx, mustDecisionEntry(t, i)); err != nil {
				t.Fatal(err)
			}
		}
		r, err := l.Receipt(ctx, last)
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, []byte(r.Checkpoint))
	}
	src := l.Source()
	for _, pair := range [][2]int{{0, 1}, {1, 2}, {0, 2}, {2, 2}} {
		p, oldCP, newCP, err := Consistency(ctx, src, l.Verifier(), "", cps[pair[0]], cps[pair[1]])
		if err != nil {
			t.Fatalf("Consistency %v: %v", pair, err)
		}
		if oldCP.Size > newCP.Size || (oldCP.Size < newCP.Size && len(p) == 0) {
			t.Fatalf("Consistency %v: sizes %d→%d, %d hashes", pair, oldCP.Size, newCP.Size, len(p))
		}
	}
	if _, _, _, err := Consistency(ctx, src, l.Verifier(), "", cps[2], cps[0]); err == nil || !strings.Contains(err.Error(), "oldest first") {
		t.Fatalf("reversed checkpoints: %v", err)
	}
	old, err := ParseCheckpoint(cps[0], l.Verifier(), "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.ReadFile(DefaultKeyFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := noteSigner(string(s))
	if err != nil {
		t.Fatal(err)
	}
	root := bytes.Clone(old.Hash)
	root[5] ^= 0x80
	fork := signCheckpoint(t, old.Origin, old.Size, root, signer)
	if _, _, _, err := Consistency(ctx, src, l.Verifier(), "", []byte(fork), cps[2]); !errors.Is(err, ErrProof) {
		t.Fatalf("forked old checkpoint: %v, want ErrProof", err)
	}
}

// merkleRoot computes the RFC 6962 root of leaves with the merkle library.
func merkleRoot(leaves [][]byte) []byte {
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	for _, l := range leaves {
		if err := cr.Append(rfc6962.DefaultHasher.HashLeaf(l), nil); err != nil {
			panic(err)
		}
	}
	root, err := cr.GetRootHash(nil)
	if err != nil {
		panic(err)
	}
	return root
}

func noteSigner(skey string) (note.Signer, error) {
	return note.NewSigner(strings.TrimSpace(skey))
}
