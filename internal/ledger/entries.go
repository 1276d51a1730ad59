package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
)

// ErrNotQueued marks an Append error returned before the entry was handed
// to the log's sequencer (the log was closed, the context done, the entry
// too large, the log overloaded or known unwritable): the entry is not and
// never will be on the log. Any other Append error leaves that open: the
// entry may still have been sequenced.
var ErrNotQueued = errors.New("entry not queued")

// PublishedSize returns the number of entries covered by the log's latest
// published checkpoint, verified with the log's own key.
func (l *Log) PublishedSize(ctx context.Context) (uint64, error) {
	cp, err := fetchCheckpoint(ctx, l.reader, l.verifier, l.origin)
	if err != nil {
		return 0, err
	}
	return cp.Size, nil
}

// IntegratedSize returns the number of entries the log holds, published
// in a checkpoint or not yet (after a crash, or between checkpoints).
func (l *Log) IntegratedSize(ctx context.Context) (uint64, error) {
	n, err := l.reader.IntegratedSize(ctx)
	if err != nil {
		return 0, fmt.Errorf("log size: %w", err)
	}
	return n, nil
}

// Entries calls fn with each entry of the published log in [from, to),
// in index order, parsed. It stops at the first error, fn's included. to
// must not exceed PublishedSize.
func (l *Log) Entries(ctx context.Context, from, to uint64, fn func(index uint64, e Entry) error) error {
	return ReadEntries(ctx, l.reader, from, to, func(index uint64, leaf []byte) error {
		e, err := ParseEntry(leaf)
		if err != nil {
			return fmt.Errorf("entry %d: %w", index, err)
		}
		return fn(index, e)
	})
}

// ReadEntries calls fn with the raw bytes of each entry of src in
// [from, to), in index order, reading whole entry bundles. to is the size
// of a tree src publishes (entries past a checkpoint's size may be in
// partial bundles only).
func ReadEntries(ctx context.Context, src Source, from, to uint64, fn func(index uint64, leaf []byte) error) error {
	for b := from / layout.EntryBundleWidth; b*layout.EntryBundleWidth < to; b++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		first := b * layout.EntryBundleWidth
		bundle, err := client.GetEntryBundle(ctx, src.ReadEntryBundle, b, to)
		if err != nil {
			return fmt.Errorf("read entry bundle %d: %w", b, err)
		}
		leaves := bundle.Entries
		want := min(to-first, layout.EntryBundleWidth)
		if uint64(len(leaves)) < want {
			return fmt.Errorf("entry bundle %d holds %d entries, %d expected", b, len(leaves), want)
		}
		for i := range want {
			idx := first + i
			if idx < from {
				continue
			}
			if err := fn(idx, leaves[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// VoidedBy looks for a void entry naming the entry at index among the
// entries of src in (index, size) and returns its index. A voided decision
// is not a decision: nothing may act on it, and no receipt should be relied
// on for it. It reads every entry after index, parsing only those that
// mention a void.
func VoidedBy(ctx context.Context, src Source, index, size uint64) (uint64, bool, error) {
	var (
		at    uint64
		found bool
	)
	mark := []byte(`"` + KindVoid + `"`)
	errFound := errors.New("found")
	err := ReadEntries(ctx, src, index+1, size, func(i uint64, leaf []byte) error {
		if !bytes.Contains(leaf, mark) {
			return nil
		}
		e, err := ParseEntry(leaf)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		if e.Kind == KindVoid && e.Refers != nil && *e.Refers == index {
			at, found = i, true
			return errFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return 0, false, err
	}
	return at, found, nil
}
