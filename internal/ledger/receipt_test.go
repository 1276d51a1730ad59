package ledger

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	f_log "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// fixture is a closed log with entries, for tests that read it.
type fixture struct {
	dir      string // the log directory
	verifier note.Verifier
	signer   note.Signer // the log's own key, to forge checkpoints
	size     uint64
}

// newFixture writes a log of n decision entries and closes it.
func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "log")
	l, err := Open(context.Background(), dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Append(context.Background(), mustDecisionEntry(t, i)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(DefaultKeyFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{dir: dir, verifier: l.Verifier(), signer: s, size: uint64(n)}
}

// receipt reads the receipt for index from the fixture.
func (f *fixture) receipt(t testing.TB, index uint64) *Receipt {
	t.Helper()
	src, err := OpenSource(f.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReceiptFrom(context.Background(), src, f.verifier, "", index)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// signCheckpoint signs a checkpoint body with the given signers.
func signCheckpoint(t testing.TB, origin string, size uint64, root []byte, signers ...note.Signer) string {
	t.Helper()
	text := f_log.Checkpoint{Origin: origin, Size: size, Hash: root}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(text)}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// genKey makes a fresh signed-note key pair named name.
func genKey(t testing.TB, name string) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// otherSigner makes a key that is not the log's, with the log's name.
func otherSigner(t testing.TB, name string) note.Signer {
	s, _ := genKey(t, name)
	return s
}

func TestVerifyReceiptFailures(t *testing.T) {
	f := newFixture(t, 40)
	good := f.receipt(t, 17)
	other := f.receipt(t, 23)
	cp, err := ParseCheckpoint([]byte(good.Checkpoint), f.verifier, "")
	if err != nil {
		t.Fatal(err)
	}
	clone := func() *Receipt {
		data, err := json.Marshal(good)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseReceipt(data)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name   string
		modify func(*Receipt)
		origin string
		want   error
	}{
		{"valid", func(*Receipt) {}, "", nil},
		{"valid, indented entry", func(r *Receipt) {
			var buf bytes.Buffer
			if err := json.Indent(&buf, r.Entry, "", "    "); err != nil {
				t.Fatal(err)
			}
			r.Entry = buf.Bytes()
		}, "", nil},
		{"valid, entry spelled differently (RFC 8785 path)", func(r *Receipt) {
			r.Entry = bytes.Replace(r.Entry, []byte(`"kind"`), []byte(`"\u006bind"`), 1)
		}, "", nil},
		{"entry of another receipt", func(r *Receipt) { r.Entry = other.Entry }, "", ErrEntryHash},
		{"entry altered", func(r *Receipt) {
			r.Entry = bytes.Replace(r.Entry, []byte(`"outcome":"pending"`), []byte(`"outcome":"allow"`), 1)
		}, "", ErrEntryHash},
		{"entry and leaf hash of another receipt", func(r *Receipt) { r.Entry, r.LeafHash = other.Entry, other.LeafHash }, "", ErrProof},
		{"index changed", func(r *Receipt) { r.Index = 18 }, "", ErrProof},
		{"index beyond tree", func(r *Receipt) { r.Index = 4000 }, "", ErrProof},
		{"proof hash flipped", func(r *Receipt) { r.InclusionProof[0][3] ^= 1 }, "", ErrProof},
		{"proof truncated", func(r *Receipt) { r.InclusionProof = r.InclusionProof[:1] }, "", ErrProof},
		{"checkpoint signed by another key", func(r *Receipt) {
			r.Checkpoint = signCheckpoint(t, cp.Origin, cp.Size, cp.Hash, otherSigner(t, cp.Origin))
		}, "", ErrSignature},
		{"checkpoint text altered", func(r *Receipt) {
			r.Checkpoint = strings.Replace(r.Checkpoint, "\n40\n", "\n41\n", 1)
		}, "", ErrSignature},
		{"checkpoint for another origin", func(r *Receipt) {}, "accord.test/de", ErrOrigin},
		{"origin line differs from the key name", func(r *Receipt) {
			r.Checkpoint = signCheckpoint(t, "accord.test/xx", cp.Size, cp.Hash, f.signer)
		}, "", ErrOrigin},
		{"checkpoint garbage", func(r *Receipt) { r.Checkpoint = "not a note" }, "", ErrCheckpoint},
		{"root forged with the log key", func(r *Receipt) {
			root := bytes.Clone(cp.Hash)
			root[0] ^= 1
			r.Checkpoint = signCheckpoint(t, cp.Origin, cp.Size, root, f.signer)
		}, "", ErrProof},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clone()
			tt.modify(r)
			err := VerifyReceipt(r, f.verifier, tt.origin)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("VerifyReceipt: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifyReceipt: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseReceiptErrors(t *testing.T) {
	f := newFixture(t, 3)
	good, err := json.Marshal(f.receipt(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, data, want string
	}{
		{"syntax", `{"index": 1,`, "byte"},
		{"unknown field", strings.Replace(string(good), `"index"`, `"extra":1,"index"`, 1), "unknown field"},
		{"no entry", `{"index":1,"checkpoint":"x","leaf_hash":"` + strings.Repeat("A", 43) + `="}`, "entry"},
		{"short leaf hash", strings.Replace(string(good), `"leaf_hash":"`, `"leaf_hash":"AAAA","x":"`, 1), "unknown field"},
		{"wrong type", `{"index":"one"}`, "index"},
		{"trailing data", string(good) + `{}`, "after the receipt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseReceipt([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseReceipt: %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := ParseReceipt(good); err != nil {
		t.Fatalf("ParseReceipt(good): %v", err)
	}
}

// FuzzParseReceipt checks that parsing and verifying arbitrary receipts
// never panics, and that nothing but the real receipt verifies.
func FuzzParseReceipt(f *testing.F) {
	fx := newFixture(f, 5)
	r := fx.receipt(f, 2)
	good, err := json.Marshal(r)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"index":0,"entry":{},"leaf_hash":"","checkpoint":"","inclusion_proof":[]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReceipt(data)
		if err != nil {
			return
		}
		if err := VerifyReceipt(r, fx.verifier, ""); err == nil {
			// Only a receipt proving a real entry of the fixture verifies.
			leaf, lerr := r.Leaf()
			if lerr != nil {
				t.Fatalf("verified receipt has no leaf: %v", lerr)
			}
			want := fx.receipt(t, r.Index)
			wantLeaf, _ := want.Leaf()
			if !bytes.Equal(leaf, wantLeaf) {
				t.Fatalf("a receipt for an entry not in the log verified: %s", leaf)
			}
		}
	})
}

// FuzzParseCheckpoint checks that checkpoint parsing never panics and
// accepts only notes signed by the log key for its origin.
func FuzzParseCheckpoint(f *testing.F) {
	s, v := genKey(f, "accord.test/fr")
	good := signCheckpoint(f, "accord.test/fr", 12, bytes.Repeat([]byte{7}, 32), s)
	f.Add([]byte(good))
	f.Add([]byte("accord.test/fr\n12\nAAAA\n\n— accord.test/fr AAAA\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, raw []byte) {
		cp, err := ParseCheckpoint(raw, v, "")
		if err != nil {
			return
		}
		if cp.Origin != "accord.test/fr" || len(cp.Hash) != 32 {
			t.Fatalf("accepted checkpoint %+v", cp)
		}
		if _, err := note.Open(raw, note.VerifierList(v)); err != nil {
			t.Fatalf("accepted a checkpoint note.Open rejects: %v", err)
		}
	})
}

func TestParseCheckpoint(t *testing.T) {
	s, v := genKey(t, "accord.test/fr")
	root := bytes.Repeat([]byte{1}, 32)
	good := signCheckpoint(t, "accord.test/fr", 5, root, s)
	witness := otherSigner(t, "witness.example")
	cosigned := signCheckpoint(t, "accord.test/fr", 5, root, s, witness)
	tests := []struct {
		name, raw string
		want      error
	}{
		{"good", good, nil},
		{"cosigned by a witness", cosigned, nil},
		{"unsigned", "accord.test/fr\n5\n" + strings.Repeat("A", 43) + "=\n", ErrCheckpoint},
		{"another key", signCheckpoint(t, "accord.test/fr", 5, root, otherSigner(t, "accord.test/fr")), ErrSignature},
		{"another origin", signCheckpoint(t, "accord.test/de", 5, root, s), ErrOrigin},
		{"short root", signCheckpoint(t, "accord.test/fr", 5, root[:8], s), ErrCheckpoint},
		{"huge", strings.Repeat("x", maxCheckpointSize+1), ErrCheckpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp, err := ParseCheckpoint([]byte(tt.raw), v, "")
			if tt.want == nil {
				if err != nil || cp.Size != 5 || !bytes.Equal(cp.Hash, root) {
					t.Fatalf("ParseCheckpoint: %+v, %v", cp, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseCheckpoint: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReceiptWaitsForCheckpoint(t *testing.T) {
	o := testOptions()
	o.CheckpointInterval = 500 * time.Millisecond
	l, _ := openTest(t, o)
	ctx := context.Background()
	idx, err := l.Append(ctx, mustDecisionEntry(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	if _, err := l.Receipt(short, idx); err == nil {
		// Possible only if a checkpoint happened to be published within 1ms.
		t.Log("receipt ready within 1ms")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Receipt with an expired context: %v, want DeadlineExceeded", err)
	}
	long, cancel2 := context.WithTimeout(ctx, 5*time.Second)
	defer cancel2()
	start := time.Now()
	r, err := l.Receipt(long, idx)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyReceipt(r, l.Verifier(), ""); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("receipt took %v with a 500ms checkpoint interval", d)
	}
}
