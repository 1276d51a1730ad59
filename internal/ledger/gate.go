package ledger

import (
	"context"
	"sync"

	"github.com/transparency-dev/tessera"
)

// gate hands entries to Tessera one group at a time: while a group is
// being written, the entries that arrive wait here, and the moment the
// group is durable they all go to Tessera together, as its next batch.
//
// Tessera forms batches by age (BatchMaxAge) and size. Under load that
// alone writes many small batches one after the other, each paying the
// same file syncs; the gate makes the batch as large as what arrived
// during the previous write, so the syncs per entry fall as load rises,
// and under light load an entry waits only Tessera's short age. Order and
// durability are Tessera's: an entry's index is assigned when its batch is
// sequenced, and its future resolves only once the batch is durable.
type gate struct {
	next tessera.AddFn

	mu      sync.Mutex
	leading bool // a goroutine is running lead
	queue   []*gated
}

// gated is one entry waiting at the gate.
type gated struct {
	ctx  context.Context
	e    *tessera.Entry
	done chan struct{}
	idx  tessera.Index
	err  error
}

// add queues e and returns its future, as Tessera's AddFn does.
func (g *gate) add(ctx context.Context, e *tessera.Entry) tessera.IndexFuture {
	w := &gated{ctx: ctx, e: e, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	start := !g.leading
	g.leading = true
	g.mu.Unlock()
	if start {
		go g.lead()
	}
	return func() (tessera.Index, error) {
		<-w.done
		return w.idx, w.err
	}
}

// lead hands the queue to Tessera, a group at a time, until it is empty.
func (g *gate) lead() {
	for {
		g.mu.Lock()
		group := g.queue
		g.queue = nil
		if len(group) == 0 {
			g.leading = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		futures := make([]tessera.IndexFuture, len(group))
		for i, w := range group {
			futures[i] = g.next(w.ctx, w.e)
		}
		for i, w := range group {
			w.idx, w.err = futures[i]()
			close(w.done)
		}
	}
}
