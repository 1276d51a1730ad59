package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"

	"github.com/accord-dev/accord/internal/model"
)

// writeLogFiles writes a log of n leaves (leaf(i) is entry i) in the
// tlog-tiles layout Tessera's POSIX driver writes (entry bundles, hash
// tiles of every level, partial ones at the right edge) and a checkpoint
// signed by signer, without Tessera: fast enough to build a million
// entries, and able to hold leaves Log.Append would refuse.
func writeLogFiles(tb testing.TB, dir string, n uint64, leaf func(i uint64) []byte, signer note.Signer) {
	tb.Helper()
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	writeTile := func(level, index uint64, nodes [][]byte, p uint8) {
		raw, err := api.HashTile{Nodes: nodes}.MarshalText()
		if err != nil {
			tb.Fatal(err)
		}
		write(layout.TilePath(level, index, p), raw)
	}
	var tiles [][][]byte // pending nodes of each tile level
	var tileCount []uint64
	visit := func(id compact.NodeID, hash []byte) {
		if id.Level%layout.TileHeight != 0 {
			return
		}
		l := int(id.Level / layout.TileHeight)
		for len(tiles) <= l {
			tiles = append(tiles, nil)
			tileCount = append(tileCount, 0)
		}
		tiles[l] = append(tiles[l], hash)
		if len(tiles[l]) == layout.TileWidth {
			writeTile(uint64(l), tileCount[l], tiles[l], 0)
			tiles[l], tileCount[l] = nil, tileCount[l]+1
		}
	}
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	var bundle []byte
	for i := range n {
		data := leaf(i)
		bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(data)))
		bundle = append(bundle, data...)
		if err := cr.Append(rfc6962.DefaultHasher.HashLeaf(data), visit); err != nil {
			tb.Fatal(err)
		}
		if (i+1)%layout.EntryBundleWidth == 0 {
			write(layout.EntriesPath(i/layout.EntryBundleWidth, 0), bundle)
			bundle = bundle[:0]
		}
	}
	if n%layout.EntryBundleWidth != 0 {
		write(layout.EntriesPath(n/layout.EntryBundleWidth, uint8(n%layout.EntryBundleWidth)), bundle)
	}
	for l := range tiles {
		if len(tiles[l]) > 0 {
			writeTile(uint64(l), tileCount[l], tiles[l], uint8(len(tiles[l])))
		}
	}
	root, err := rootOf(cr)
	if err != nil {
		tb.Fatal(err)
	}
	write(layout.CheckpointPath, []byte(signCheckpoint(tb, signer.Name(), n, root, signer)))
}

// auditEntry returns entry i of a test log, in canonical form: a decision,
// by a company in 99 cases of 100 and by a state authority in the others,
// with counts that vary with i.
func auditEntry(tb testing.TB, i uint64) []byte {
	tb.Helper()
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, i))
	e := Entry{
		Version: EntryVersion, Kind: KindDecision,
		Time:   time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Action: "access", Location: "FR", Origin: []string{"BE", "FR"}, Destination: "DE",
		Categories: []string{"personal.contact", "personal.financial"},
		Subjects:   map[string]int64{"FR": int64(i % 1000), "BE": 3},
		Records:    int64(i%97) + 1, Purpose: "commercial", Outcome: "allow",
		Requester: &Party{Kind: model.KindCompany, Role: "processor", State: "FR"},
		Rules:     []string{"gdsi-1-evidence"},
		Packs:     []PackVersion{{Name: "gdsi", Version: "2026.11.0", Outcome: "allow"}},
		Selectors: "specific", SelectorCount: 1,
		RecordHash: hex.EncodeToString(sum[:]),
	}
	if i%100 == 0 {
		e.Requester = &Party{Kind: model.KindStateAuthority, Role: "law-enforcement", State: "DE"}
		e.Basis, e.Purpose = "mla", "law-enforcement"
	}
	data, err := e.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// auditLog writes a log of the given leaves and returns its directory and
// verifier.
func auditLog(t *testing.T, leaves [][]byte) (string, note.Verifier) {
	t.Helper()
	s, v := genKey(t, "accord.test/audit")
	dir := filepath.Join(t.TempDir(), "log")
	writeLogFiles(t, dir, uint64(len(leaves)), func(i uint64) []byte { return leaves[i] }, s)
	return dir, v
}

func auditVerify(t *testing.T, dir string, v note.Verifier, opts VerifyOptions) (*Checkpoint, error) {
	t.Helper()
	src, err := OpenSource(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Verify(context.Background(), src, v, "", opts)
}

// sampled reports whether index is in the sample of seed at rate every.
func sampled(seed, every, index uint64) bool {
	p := &entryPolicy{screen: true, every: every, seed: seed}
	check, _ := p.parse(index, []byte("{}"))
	return check
}

// seedFor returns a seed whose sample at rate every holds index or not.
func seedFor(t *testing.T, every, index uint64, in bool) uint64 {
	t.Helper()
	for s := uint64(1); s < 10_000; s++ {
		if sampled(s, every, index) == in {
			return s
		}
	}
	t.Fatal("no seed found")
	return 0
}

func TestScreenEntry(t *testing.T) {
	good := auditEntry(t, 7)
	if !screenEntry(good) {
		t.Fatalf("canonical entry rejected: %s", good)
	}
	for _, tt := range []struct{ name, raw string }{
		{"empty", ""},
		{"not an object", `[1]`},
		{"space", `{"kind": "void"}`},
		{"tab", "{\"kind\":\t\"void\"}"},
		{"newline at the end", "{\"kind\":\"void\"}\n"},
		{"escape", `{"kind":"v\u006fid"}`},
		{"non-ASCII", `{"kind":"vöid"}`},
		{"control byte", "{\"kind\":\"\x01\"}"},
		{"DEL", "{\"kind\":\"\x7f\"}"},
	} {
		if screenEntry([]byte(tt.raw)) {
			t.Errorf("%s: %q passes the screen", tt.name, tt.raw)
		}
	}
}

// TestVerifySample shows what a sampled audit catches: an entry that is
// not canonical is caught when the sample draws it, when the byte screen
// flags it (whatever the sample), and when Want selects it for OnEntry; one
// that passes the screen, outside the sample and not wanted, is not — a
// full check (CheckEntries) catches it.
func TestVerifySample(t *testing.T) {
	const n, every, bad = 600, 64, 300
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = auditEntry(t, uint64(i))
	}
	canon := auditEntry(t, bad)
	// Member order changed: "v" first. Passes the byte screen, valid JSON
	// of a valid entry, not RFC 8785.
	reordered := append([]byte(`{"v":1,`), bytes.Replace(canon[1:], []byte(`,"v":1`), nil, 1)...)
	if !screenEntry(reordered) {
		t.Fatal("reordered entry should pass the screen")
	}
	if _, err := ParseEntry(reordered); err == nil || !strings.Contains(err.Error(), "canonical") {
		t.Fatalf("ParseEntry(reordered): %v", err)
	}
	spaced := append([]byte(`{ `), canon[1:]...)
	// A state authority's decision, reordered: the transparency report reads it.
	stateCanon := auditEntry(t, 400)
	stateReordered := append([]byte(`{"v":1,`), bytes.Replace(stateCanon[1:], []byte(`,"v":1`), nil, 1)...)
	want := func(raw []byte) bool { return bytes.Contains(raw, []byte(`"state-authority"`)) }
	in, out := seedFor(t, every, bad, true), seedFor(t, every, bad, false)
	out400 := seedFor(t, every, 400, false)

	tests := []struct {
		name   string
		leaf   []byte
		at     uint64
		opts   VerifyOptions
		caught bool
	}{
		{"non-canonical entry in the sample", reordered, bad, VerifyOptions{SampleEvery: every, SampleSeed: in}, true},
		{"non-canonical entry outside the sample", reordered, bad, VerifyOptions{SampleEvery: every, SampleSeed: out}, false},
		{"non-canonical entry, every entry sampled", reordered, bad, VerifyOptions{SampleEvery: 1}, true},
		{"non-canonical entry, full check", reordered, bad, VerifyOptions{CheckEntries: true}, true},
		{"screen flags it outside the sample", spaced, bad, VerifyOptions{SampleEvery: every, SampleSeed: out}, true},
		{"no entry checks: hashes only", spaced, bad, VerifyOptions{}, false},
		{"wanted by the report outside the sample", stateReordered, 400, VerifyOptions{SampleEvery: every, SampleSeed: out400, OnEntry: func(uint64, Entry) error { return nil }, Want: want}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := append([][]byte(nil), leaves...)
			ls[tt.at] = tt.leaf
			dir, v := auditLog(t, ls)
			_, err := auditVerify(t, dir, v, tt.opts)
			if !tt.caught {
				if err != nil {
					t.Fatalf("Verify: %v, want success (this case is not checked)", err)
				}
				return
			}
			var me *MismatchError
			if !errors.As(err, &me) || me.Index != tt.at || !strings.Contains(err.Error(), "not a valid Accord entry") {
				t.Fatalf("Verify: %v, want a MismatchError at entry %d naming an invalid entry", err, tt.at)
			}
		})
	}
}

// TestVerifyWant checks that OnEntry receives, in index order, exactly the
// entries Want selects, and that every entry is still hashed.
func TestVerifyWant(t *testing.T) {
	const n = 1000
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = auditEntry(t, uint64(i))
	}
	dir, v := auditLog(t, leaves)
	for _, workers := range []int{1, 3} {
		var got []uint64
		cp, err := auditVerify(t, dir, v, VerifyOptions{
			Workers: workers,
			OnEntry: func(i uint64, e Entry) error {
				if e.Requester == nil || e.Requester.Kind != model.KindStateAuthority {
					t.Errorf("entry %d handed to OnEntry: %+v", i, e.Requester)
				}
				got = append(got, i)
				return nil
			},
			Want: func(raw []byte) bool { return bytes.Contains(raw, []byte(`"state-authority"`)) },
		})
		if err != nil || cp.Size != n {
			t.Fatalf("Verify: %v", err)
		}
		if want := []uint64{0, 100, 200, 300, 400, 500, 600, 700, 800, 900}; !equalU64(got, want) {
			t.Fatalf("workers %d: OnEntry got %v, want %v", workers, got, want)
		}
	}
}

// TestVerifyTamperedLeafAnywhere changes one entry of a log — keeping it
// canonical, so that no entry check can see it — and rewrites every hash
// tile to match, as a log operator rewriting history would; only the
// signed checkpoint is left. Whatever the entry and whatever the checks,
// the audit fails on the root.
func TestVerifyTamperedLeafAnywhere(t *testing.T) {
	const n = 66_000 // three tile levels
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = auditEntry(t, uint64(i))
	}
	s, v := genKey(t, "accord.test/tamper")
	base := filepath.Join(t.TempDir(), "log")
	writeLogFiles(t, base, n, func(i uint64) []byte { return leaves[i] }, s)
	cpRaw, err := os.ReadFile(filepath.Join(base, layout.CheckpointPath))
	if err != nil {
		t.Fatal(err)
	}
	modes := []struct {
		name string
		opts VerifyOptions
	}{
		{"sampled", VerifyOptions{SampleEvery: DefaultSampleEvery}},
		{"hashes only", VerifyOptions{}},
		{"one worker", VerifyOptions{Workers: 1, SampleEvery: DefaultSampleEvery}},
	}
	for _, at := range []uint64{0, 256, 12_345, 65_536, n - 1} {
		dir := filepath.Join(t.TempDir(), "log")
		writeLogFiles(t, dir, n, func(i uint64) []byte {
			if i == at {
				e, err := ParseEntry(leaves[i])
				if err != nil {
					t.Fatal(err)
				}
				e.Records++ // a canonical entry, with a different count
				data, err := e.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				return data
			}
			return leaves[i]
		}, s)
		if err := os.WriteFile(filepath.Join(dir, layout.CheckpointPath), cpRaw, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, m := range modes {
			t.Run(fmt.Sprintf("entry %d/%s", at, m.name), func(t *testing.T) {
				_, err := auditVerify(t, dir, v, m.opts)
				if !errors.Is(err, ErrProof) || !strings.Contains(err.Error(), "signed checkpoint says") {
					t.Fatalf("Verify: %v, want the root to differ from the signed checkpoint's", err)
				}
			})
		}
	}
	// The untampered log verifies in every mode.
	for _, m := range modes {
		if _, err := auditVerify(t, base, v, m.opts); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
}

// TestVerifyWorkersAgree runs the tamper cases of TestVerifyTamper with one
// and with many workers: the first entry named is the same.
func TestVerifyWorkersAgree(t *testing.T) {
	f := newFixture(t, 600)
	bundle1, err := os.ReadFile(filepath.Join(f.dir, layout.EntriesPath(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	dir := copyLog(t, f.dir)
	// Damage entries 300 and 530: the audit names 300 however bundles are
	// scheduled.
	flipByte(t, dir, layout.EntriesPath(1, 0), entryOffset(t, bundle1, 300-256)+3)
	flipByte(t, dir, layout.EntriesPath(2, 600-512), -1)
	for _, w := range []int{1, 2, 8} {
		_, err := verifyDir(t, dir, f, VerifyOptions{Workers: w, SampleEvery: 1})
		var me *MismatchError
		if !errors.As(err, &me) || me.Index != 300 {
			t.Fatalf("workers %d: %v, want entry 300", w, err)
		}
	}
}

func TestVerifySinceInsideBundle(t *testing.T) {
	const n = 700
	s, v := genKey(t, "accord.test/since")
	dir := filepath.Join(t.TempDir(), "log")
	writeLogFiles(t, dir, n, func(i uint64) []byte { return auditEntry(t, i) }, s)
	// The checkpoint of the first 300 entries, from a log of only those.
	small := filepath.Join(t.TempDir(), "log")
	writeLogFiles(t, small, 300, func(i uint64) []byte { return auditEntry(t, i) }, s)
	since, err := os.ReadFile(filepath.Join(small, layout.CheckpointPath))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auditVerify(t, dir, v, VerifyOptions{Since: since, SampleEvery: 1}); err != nil {
		t.Fatalf("Verify --since 300: %v", err)
	}
	// A different history of the first 300 entries.
	other := filepath.Join(t.TempDir(), "log")
	writeLogFiles(t, other, 300, func(i uint64) []byte { return auditEntry(t, i+1) }, s)
	since2, err := os.ReadFile(filepath.Join(other, layout.CheckpointPath))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auditVerify(t, dir, v, VerifyOptions{Since: since2}); !errors.Is(err, ErrProof) || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("Verify --since another history: %v", err)
	}
}

// auditFixtures caches the benchmark logs of this test binary's run, by
// size; TestMain removes them.
var auditFixtures = struct {
	sync.Mutex
	root string
	dirs map[uint64]auditFixture
}{dirs: map[uint64]auditFixture{}}

type auditFixture struct {
	dir string
	v   note.Verifier
}

// benchLog returns a log of n entries built by writeLogFiles, once per run
// of the test binary.
func benchLog(b *testing.B, n uint64) auditFixture {
	b.Helper()
	auditFixtures.Lock()
	defer auditFixtures.Unlock()
	if f, ok := auditFixtures.dirs[n]; ok {
		return f
	}
	if auditFixtures.root == "" {
		root, err := os.MkdirTemp("", "accord-audit-bench-")
		if err != nil {
			b.Fatal(err)
		}
		auditFixtures.root = root
	}
	s, v := genKey(b, "accord.bench/audit")
	dir := filepath.Join(auditFixtures.root, fmt.Sprint(n), "log")
	start := time.Now()
	writeLogFiles(b, dir, n, func(i uint64) []byte { return auditEntry(b, i) }, s)
	b.Logf("built a log of %d entries in %s", n, time.Since(start).Round(time.Millisecond))
	f := auditFixture{dir: dir, v: v}
	auditFixtures.dirs[n] = f
	return f
}

// removeAuditFixtures deletes the benchmark logs.
func removeAuditFixtures() {
	auditFixtures.Lock()
	defer auditFixtures.Unlock()
	if auditFixtures.root != "" {
		os.RemoveAll(auditFixtures.root)
	}
}

// auditBenchSizes are the log sizes of BenchmarkVerify and
// BenchmarkHashOnly; ACCORD_AUDIT_BENCH_MAX lowers the largest.
func auditBenchSizes() []uint64 {
	sizes := []uint64{100_000, 1_000_000}
	if s := os.Getenv("ACCORD_AUDIT_BENCH_MAX"); s != "" {
		var max uint64
		if _, err := fmt.Sscan(s, &max); err == nil {
			var out []uint64
			for _, n := range sizes {
				if n <= max {
					out = append(out, n)
				}
			}
			return out
		}
	}
	return sizes
}

// BenchmarkVerify measures the audit of `accord log verify` (every entry
// hashed from its stored bytes and screened, one in DefaultSampleEvery
// parsed; the tree rebuilt and every tile compared) and the transparency
// report's (the same, plus the entries the report reads parsed and handed
// over), on logs of 100,000 and 1,000,000 entries, reading them from
// files as the command does. Compare entries/s with BenchmarkHashOnly's
// in the same run: the target is at least 25%.
func BenchmarkVerify(b *testing.B) {
	for _, n := range auditBenchSizes() {
		f := benchLog(b, n)
		src, err := OpenSource(f.dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		modes := []struct {
			name string
			opts VerifyOptions
		}{
			{"sampled", VerifyOptions{SampleEvery: DefaultSampleEvery}},
			{"report", VerifyOptions{
				OnEntry: func(uint64, Entry) error { return nil },
				Want:    func(raw []byte) bool { return bytes.Contains(raw, []byte(`"state-authority"`)) },
			}},
		}
		if n <= 100_000 {
			modes = append(modes, struct {
				name string
				opts VerifyOptions
			}{"every-entry-parsed", VerifyOptions{CheckEntries: true}})
		}
		for _, m := range modes {
			b.Run(fmt.Sprintf("entries=%d/%s", n, m.name), func(b *testing.B) {
				start := time.Now()
				for b.Loop() {
					cp, err := Verify(context.Background(), src, f.v, "", m.opts)
					if err != nil || cp.Size != n {
						b.Fatalf("Verify: %v", err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "entries/s")
			})
		}
	}
}

// BenchmarkHashOnly is the peer of BenchmarkVerify: the same logs' leaves,
// already in memory, hashed as RFC 6962 leaves and built into the tree's
// root with github.com/transparency-dev/merkle on one goroutine — the pure
// hashing an audit cannot avoid.
func BenchmarkHashOnly(b *testing.B) {
	for _, n := range auditBenchSizes() {
		bundles := loadBundles(b, benchLog(b, n).dir, n)
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				hashOnly(b, bundles, n)
			}
			b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "entries/s")
		})
	}
}

// BenchmarkAuditRatio alternates, in each iteration, the pure hashing of
// BenchmarkHashOnly and the two audits of BenchmarkVerify on the same log,
// and reports each audit's rate as a percentage of the hashing rate: on a
// shared machine whose load changes from second to second, a ratio taken
// over interleaved passes is steadier than one taken across benchmarks.
func BenchmarkAuditRatio(b *testing.B) {
	for _, n := range auditBenchSizes() {
		f := benchLog(b, n)
		bundles := loadBundles(b, f.dir, n)
		src, err := OpenSource(f.dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		sampled := VerifyOptions{SampleEvery: DefaultSampleEvery}
		report := VerifyOptions{
			OnEntry: func(uint64, Entry) error { return nil },
			Want:    func(raw []byte) bool { return bytes.Contains(raw, []byte(`"state-authority"`)) },
		}
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			var hashT, sampledT, reportT time.Duration
			timed := func(d *time.Duration, f func()) {
				t0 := time.Now()
				f()
				*d += time.Since(t0)
			}
			verify := func(opts VerifyOptions) func() {
				return func() {
					if cp, err := Verify(context.Background(), src, f.v, "", opts); err != nil || cp.Size != n {
						b.Fatalf("Verify: %v", err)
					}
				}
			}
			i := 0
			for b.Loop() {
				passes := []func(){
					func() { timed(&hashT, func() { hashOnly(b, bundles, n) }) },
					func() { timed(&sampledT, verify(sampled)) },
					func() { timed(&reportT, verify(report)) },
				}
				for k := range passes {
					passes[(i+k)%len(passes)]()
				}
				i++
			}
			rate := func(d time.Duration) float64 { return float64(n) * float64(b.N) / d.Seconds() }
			b.ReportMetric(rate(hashT), "hash-entries/s")
			b.ReportMetric(rate(sampledT), "verify-entries/s")
			b.ReportMetric(rate(reportT), "report-entries/s")
			b.ReportMetric(100*rate(sampledT)/rate(hashT), "verify-%-of-hash")
			b.ReportMetric(100*rate(reportT)/rate(hashT), "report-%-of-hash")
		})
	}
}

// loadBundles reads a log's entry bundles into memory.
func loadBundles(b *testing.B, dir string, n uint64) [][]byte {
	b.Helper()
	var bundles [][]byte
	for i := range (n + layout.EntryBundleWidth - 1) / layout.EntryBundleWidth {
		raw, err := os.ReadFile(filepath.Join(dir, layout.EntriesPath(i, layout.PartialTileSize(0, i, n))))
		if err != nil {
			b.Fatal(err)
		}
		bundles = append(bundles, raw)
	}
	return bundles
}

// hashOnly hashes every leaf of bundles and computes the tree's root, on
// one goroutine.
func hashOnly(b *testing.B, bundles [][]byte, n uint64) {
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	for _, raw := range bundles {
		for off := 0; off < len(raw); {
			l := int(binary.BigEndian.Uint16(raw[off:]))
			if err := cr.Append(rfc6962.DefaultHasher.HashLeaf(raw[off+2:off+2+l]), nil); err != nil {
				b.Fatal(err)
			}
			off += 2 + l
		}
	}
	if _, err := cr.GetRootHash(nil); err != nil || cr.End() != n {
		b.Fatalf("root: %v", err)
	}
}
