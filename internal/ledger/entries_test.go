package ledger

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVoidedBy finds the void entry naming a decision, and only that one.
func TestVoidedBy(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "log")
	l, err := Open(ctx, dir, Options{Origin: "accord.example/voided", CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, e := range []Entry{
		{Version: EntryVersion, Kind: KindDecision, Time: at, RecordHash: strings.Repeat("ab", 32)}, {Version: EntryVersion, Kind: KindDecision, Time: at, RecordHash: strings.Repeat("ab", 32)}, VoidEntry(1, at),
	} {
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := OpenSource(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for idx, want := range map[uint64]bool{0: false, 1: true} {
		v, found, err := VoidedBy(ctx, src, idx, 3)
		if err != nil || found != want || (found && v != 2) {
			t.Errorf("VoidedBy(%d) = %d, %v, %v; want found %v at 2", idx, v, found, err, want)
		}
	}
}
