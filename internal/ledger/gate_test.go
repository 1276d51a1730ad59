package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
)

// fakeTessera is an AddFn whose futures resolve when the test releases
// them, recording which entries were handed over while which were still
// unresolved.
type fakeTessera struct {
	mu       sync.Mutex
	next     uint64
	inFlight int      // handed over, not yet resolved
	overlap  int      // most entries handed over while others were in flight from an earlier group
	groups   [][]byte // first byte of each entry, in hand-over order, per release
	release  chan struct{}
	fail     string // entries with this data fail
}

func (f *fakeTessera) add(_ context.Context, e *tessera.Entry) tessera.IndexFuture {
	f.mu.Lock()
	idx := f.next
	f.next++
	f.inFlight++
	f.mu.Unlock()
	return func() (tessera.Index, error) {
		<-f.release
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
		if string(e.Data()) == f.fail {
			return tessera.Index{}, errors.New("disk full")
		}
		return tessera.Index{Index: idx}, nil
	}
}

// TestGateGroups: entries that arrive while a group is being written wait
// at the gate and are handed over together once it is durable; each gets
// its own index or error.
func TestGateGroups(t *testing.T) {
	f := &fakeTessera{release: make(chan struct{}), fail: "bad"}
	g := &gate{next: f.add}
	ctx := context.Background()

	first := g.add(ctx, tessera.NewEntry([]byte("first")))
	// Wait until the leader has handed the first entry over.
	waitFor(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.inFlight == 1 })

	const n = 50
	futures := make([]tessera.IndexFuture, n)
	for i := range n {
		data := fmt.Sprintf("e%d", i)
		if i == 7 {
			data = "bad"
		}
		futures[i] = g.add(ctx, tessera.NewEntry([]byte(data)))
	}
	time.Sleep(20 * time.Millisecond)
	f.mu.Lock()
	handed := f.next
	f.mu.Unlock()
	if handed != 1 {
		t.Fatalf("%d entries handed to Tessera while the first group was unresolved; want 1 (the rest wait at the gate)", handed)
	}
	close(f.release) // every future resolves from now on
	if idx, err := first(); err != nil || idx.Index != 0 {
		t.Fatalf("first = %v, %v", idx, err)
	}
	seen := map[uint64]bool{0: true}
	for i, fut := range futures {
		idx, err := fut()
		if i == 7 {
			if err == nil {
				t.Errorf("entry %d: no error, want Tessera's", i)
			}
			continue
		}
		if err != nil {
			t.Errorf("entry %d: %v", i, err)
			continue
		}
		if seen[idx.Index] {
			t.Errorf("entry %d: index %d given twice", i, idx.Index)
		}
		seen[idx.Index] = true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.leading || len(g.queue) != 0 {
		t.Errorf("after the queue emptied: leading=%v, %d queued", g.leading, len(g.queue))
	}
}

// TestGateConcurrent: many appenders at once through the gate onto a real
// log each get an index, all distinct, and the log holds them all.
func TestGateConcurrent(t *testing.T) {
	l, _ := openTest(t, Options{Origin: "gate.test", BatchMaxAge: time.Millisecond})
	const n = 300
	var wg sync.WaitGroup
	idx := make([]uint64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			idx[i], errs[i] = l.Append(context.Background(), VoidEntry(uint64(i), time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)))
		})
	}
	wg.Wait()
	seen := map[uint64]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("append %d: %v", i, errs[i])
		}
		if seen[idx[i]] {
			t.Fatalf("index %d given twice", idx[i])
		}
		seen[idx[i]] = true
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}
