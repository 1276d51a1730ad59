package ledger

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"github.com/accord-dev/accord/internal/cputime"
	"github.com/accord-dev/accord/internal/ledger/mysqltest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
)

// benchWriters are the numbers of concurrent appenders of
// BenchmarkAppendThroughput: 64 and 256, the appends in flight that the
// HTTP path produces at 64–256 clients (so batches of that size at most),
// and 2,048, many more than cores, which fills Tessera's 1,024-entry
// batches.
var benchWriters = []int{64, 256, 2048}

// runWorkers calls op n times from workers goroutines and returns the wall
// time taken.
func runWorkers(b *testing.B, workers, n int, op func(i int) error) time.Duration {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || failed.Load() != nil {
					return
				}
				if err := op(i); err != nil {
					failed.Store(&err)
					return
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	return d
}

// BenchmarkAppendThroughput measures, in one run on the same machine, raw
// Tessera POSIX appends (batch age rawBatchMaxAge) against Accord's ledger
// path (its gate and default batching), with the same checkpoint interval, at 64, 256 and 2,048
// concurrent writers (sub-benchmarks writers=N). Three paths alternate in
// rounds, so that a change in the machine's load weighs on all alike:
//
//   - raw: tessera Add of a leaf of the size of Accord's entry (the
//     canonical JSON of the same decision, built once), until its durable
//     index;
//   - accord: Log.Append of a decision entry built beforehand (Validate,
//     canonical JSON, size check, Tessera Add, durable index);
//   - full: DecisionEntry (private record encoded, salted, hashed) then
//     Log.Append, as a binding decision does.
//
// It reports each rate and accord-%-of-raw and full-%-of-raw (target: at
// least 60 at 64 and 256 writers); it asserts nothing about time.
func BenchmarkAppendThroughput(b *testing.B) {
	for _, w := range benchWriters {
		b.Run(fmt.Sprintf("writers=%d", w), func(b *testing.B) { benchAppend(b, w) })
	}
}

// rawBatchMaxAge is raw Tessera's batch age in benchAppend: 10 ms, the
// age that gives raw Tessera its best throughput on the development
// machine (1-2 ms writes many small batches one after the other). Accord's
// log uses its own default (1 ms) behind its gate.
const rawBatchMaxAge = 10 * time.Millisecond

func benchAppend(b *testing.B, writers int) {
	ctx := context.Background()

	// Raw Tessera.
	rawDir := filepath.Join(b.TempDir(), "raw")
	skey, _, err := note.GenerateKey(rand.Reader, "bench.raw")
	if err != nil {
		b.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		b.Fatal(err)
	}
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	driver, err := posix.New(tctx, posix.Config{Path: rawDir})
	if err != nil {
		b.Fatal(err)
	}
	app, shutdown, _, err := tessera.NewAppender(tctx, driver, tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithCheckpointInterval(DefaultCheckpointInterval).
		WithBatching(DefaultBatchMaxSize, rawBatchMaxAge))
	if err != nil {
		b.Fatal(err)
	}
	l, _ := openTest(b, Options{Origin: "bench.accord"})
	req, dec := sampleRequest(1), sampleDecision()
	sample, _, err := DecisionEntry(req, dec)
	if err != nil {
		b.Fatal(err)
	}
	leaf, err := sample.Marshal()
	if err != nil {
		b.Fatal(err)
	}

	rawOp := func(i int) error {
		data := bytes.Clone(leaf)
		binary.BigEndian.PutUint64(data[len(data)-10:], uint64(i))
		_, err := app.Add(ctx, tessera.NewEntry(data))()
		return err
	}
	accordOp := func(int) error {
		_, err := l.Append(ctx, sample)
		return err
	}
	fullOp := func(int) error {
		e, _, err := DecisionEntry(req, dec)
		if err != nil {
			return err
		}
		_, err = l.Append(ctx, e)
		return err
	}
	ops := []func(int) error{rawOp, accordOp, fullOp}
	times := make([]time.Duration, len(ops))
	const rounds = 6
	b.ResetTimer()
	for r := range rounds {
		n := b.N / rounds
		if r == rounds-1 {
			n = b.N - n*(rounds-1)
		}
		for k := range ops {
			p := (r + k) % len(ops)
			times[p] += runWorkers(b, writers, n, ops[p])
		}
	}
	b.StopTimer()
	if err := shutdown(ctx); err != nil {
		b.Fatal(err)
	}
	rate := func(d time.Duration) float64 { return float64(b.N) / d.Seconds() }
	rawRate, accordRate, fullRate := rate(times[0]), rate(times[1]), rate(times[2])
	b.ReportMetric(rawRate, "raw-appends/s")
	b.ReportMetric(accordRate, "accord-appends/s")
	b.ReportMetric(fullRate, "full-appends/s")
	b.ReportMetric(100*accordRate/rawRate, "accord-%-of-raw")
	b.ReportMetric(100*fullRate/rawRate, "full-%-of-raw")
}

// BenchmarkDecisionEntry measures building a decision entry and its
// canonical JSON, the CPU part of Accord's append path.
func BenchmarkDecisionEntry(b *testing.B) {
	req, dec := sampleRequest(1), sampleDecision()
	b.ReportAllocs()
	defer cputime.Report(b)()
	for b.Loop() {
		e, _, err := DecisionEntry(req, dec)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecisionEntryDecide is the entry work internal/decide does per
// binding decision today, inside the counter reservation: DecisionEntry,
// Marshal for the size check, and the Marshal inside Log.Append.
func BenchmarkDecisionEntryDecide(b *testing.B) {
	req, dec := sampleRequest(1), sampleDecision()
	b.ReportAllocs()
	defer cputime.Report(b)()
	for b.Loop() {
		e, _, err := DecisionEntry(req, dec)
		if err != nil {
			b.Fatal(err)
		}
		for range 2 {
			if _, err := e.Marshal(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkTimeToReceipt measures the time from calling Append to holding a
// verified receipt, with a 1 s checkpoint interval and 64 concurrent
// callers. It reports the 50th and 99th percentiles in milliseconds.
func BenchmarkTimeToReceipt(b *testing.B) {
	b.Run("posix", func(b *testing.B) {
		l, _ := openTest(b, Options{Origin: "bench.receipt", CheckpointInterval: time.Second})
		benchTimeToReceipt(b, l)
	})
	b.Run("mysql", func(b *testing.B) {
		u := mysqltest.URL(b)
		l, err := OpenMySQL(context.Background(), u, Options{Origin: "bench.receipt", CheckpointInterval: time.Second, KeyFile: filepath.Join(b.TempDir(), KeyFileName)})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		benchTimeToReceipt(b, l)
	})
}

// BenchmarkAppendReplicas measures appends/s from 64 concurrent callers
// spread over 1, 2 and 3 Logs sharing one MySQL database (as replicas do),
// against one POSIX log in the same run.
func BenchmarkAppendReplicas(b *testing.B) {
	run := func(b *testing.B, logs []*Log) {
		ctx := context.Background()
		e := mustDecisionEntry(b, 1)
		b.ResetTimer()
		runWorkers(b, 64, b.N, func(i int) error {
			_, err := logs[i%len(logs)].Append(ctx, e)
			return err
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	}
	b.Run("posix", func(b *testing.B) {
		l, _ := openTest(b, Options{Origin: "bench.replicas"})
		run(b, []*Log{l})
	})
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("mysql-replicas=%d", n), func(b *testing.B) {
			u := mysqltest.URL(b)
			key := filepath.Join(b.TempDir(), KeyFileName)
			var logs []*Log
			for range n {
				l, err := OpenMySQL(context.Background(), u, Options{Origin: "bench.replicas", KeyFile: key})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				logs = append(logs, l)
			}
			run(b, logs)
		})
	}
}

func benchTimeToReceipt(b *testing.B, l *Log) {
	ctx := context.Background()
	req, dec := sampleRequest(1), sampleDecision()
	const workers = 64
	durs := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	b.ResetTimer()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N || failed.Load() != nil {
					return
				}
				start := time.Now()
				e, _, err := DecisionEntry(req, dec)
				if err == nil {
					var idx uint64
					if idx, err = l.Append(ctx, e); err == nil {
						rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
						_, err = l.Receipt(rctx, idx)
						cancel()
					}
				}
				if err != nil {
					failed.Store(&err)
					return
				}
				durs[i] = time.Since(start)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	slices.Sort(durs)
	pct := func(p float64) float64 {
		return float64(durs[int(p*float64(len(durs)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkVerifyReceipt measures offline receipt verification on one
// goroutine (target ≥ 10,000/s on one core).
func BenchmarkVerifyReceipt(b *testing.B) {
	l, _ := openTest(b, testOptions())
	ctx := context.Background()
	runWorkers(b, 2048, 1000, func(i int) error {
		_, err := l.Append(ctx, mustDecisionEntry(b, i))
		return err
	})
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := l.Receipt(rctx, 500)
	if err != nil {
		b.Fatal(err)
	}
	v := l.Verifier()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if err := VerifyReceipt(r, v, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "verifications/s")
}

// BenchmarkDecisionLeaf is the same work with DecisionLeaf: the entry is
// validated and encoded once, its size read with Len, and Log.AppendLeaf
// appends its bytes without encoding again.
func BenchmarkDecisionLeaf(b *testing.B) {
	req, dec := sampleRequest(1), sampleDecision()
	b.ReportAllocs()
	defer cputime.Report(b)()
	for b.Loop() {
		leaf, _, err := DecisionLeaf(req, dec)
		if err != nil {
			b.Fatal(err)
		}
		if leaf.Len() == 0 {
			b.Fatal("empty leaf")
		}
	}
}
