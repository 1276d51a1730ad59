package custody

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tink-crypto/tink-go/v2/streamingaead/subtle"
)

// benchSize is the plaintext size of the throughput benchmarks:
// $CUSTODY_BENCH_MB MiB, 64 by default (the figures in the notes use 256).
func benchSize(b *testing.B) int {
	mb := 64
	if s := os.Getenv("CUSTODY_BENCH_MB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		mb = n
	}
	return mb << 20
}

var benchPlain []byte

func plainOf(b *testing.B) []byte {
	n := benchSize(b)
	if len(benchPlain) != n {
		benchPlain = make([]byte, n)
		rand.Read(benchPlain)
	}
	return benchPlain
}

// BenchmarkStream compares Seal and Open with raw Tink streaming AEAD
// (the same primitive and segment size, no header, no shares) on the same
// data in the same run.
func BenchmarkStream(b *testing.B) {
	plain := plainOf(b)
	privs, keys := testCustodians(b, 3)
	b.Run("tink-encrypt", func(b *testing.B) {
		key := make([]byte, 32)
		rand.Read(key)
		sa, err := subtle.NewAESGCMHKDF(key, "SHA256", 32, DefaultSegmentSize, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			w, _ := sa.NewEncryptingWriter(io.Discard, []byte("aad"))
			io.Copy(w, bytes.NewReader(plain))
			w.Close()
		}
	})
	b.Run("seal", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			if _, err := Seal(io.Discard, bytes.NewReader(plain), SealOptions{Dataset: "bench", Labels: []byte(testLabels), Custodians: keys, K: 2}); err != nil {
				b.Fatal(err)
			}
		}
	})
	var sealed bytes.Buffer
	h, err := Seal(&sealed, bytes.NewReader(plain), SealOptions{Dataset: "bench", Labels: []byte(testLabels), Custodians: keys, K: 2})
	if err != nil {
		b.Fatal(err)
	}
	s0, _ := h.OpenShare(privs[0], 0)
	s1, _ := h.OpenShare(privs[1], 1)
	hdr := len(Magic) + 4 + len(h.Raw())
	b.Run("tink-decrypt", func(b *testing.B) {
		k, err := h.rebuild([]Share{s0, s1})
		if err != nil {
			b.Fatal(err)
		}
		sa, _ := subtle.NewAESGCMHKDF(k.data, "SHA256", 32, h.SegmentSize, 0)
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			r, err := sa.NewDecryptingReader(bytes.NewReader(sealed.Bytes()[hdr:]), h.Raw())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			r := bytes.NewReader(sealed.Bytes())
			h, err := ReadHeader(r)
			if err != nil {
				b.Fatal(err)
			}
			if err := Open(io.Discard, r, h, []Share{s0, s1}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRelease measures a custodian's whole check and answer, the
// decision log read from disk and the release log in memory (so the wait
// for a durable release entry, a batching delay of the log, is excluded).
// It reports p50 and p99 latency.
func BenchmarkRelease(b *testing.B) {
	w := newWorld(b)
	r, p := w.decide(nil)
	rel := &memLog{}
	c, err := NewCustodian(CustodianConfig{ID: "fr", Key: w.privs[0], Log: w.lg.Source(), Verifier: w.lg.Verifier(), Origin: w.lg.Origin(), Releases: rel,
		Now: func() time.Time { return w.now.Add(time.Minute) }})
	if err != nil {
		b.Fatal(err)
	}
	req := w.request(r, p)
	ctx := context.Background()
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, ref := c.Release(ctx, req); ref != nil {
			b.Fatal(ref)
		}
		lat = append(lat, time.Since(start))
		if len(rel.entries) > 4096 {
			rel.entries = rel.entries[:0]
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
