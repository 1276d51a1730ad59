package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/tessera/api/layout"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// keepMLARecord returns the keep function of a server's mlaLedger: the
// private record behind each mla-transition entry goes to the database
// (store.MLARecords), where every replica's records are together.
func keepMLARecord(st store.MLARecords) func(context.Context, uint64, ledger.Entry, ledger.Private) error {
	return func(ctx context.Context, index uint64, e ledger.Entry, p ledger.Private) error {
		r, err := mlaRecordOf(index, e, p)
		if err != nil {
			return err
		}
		return st.RecordMLA(ctx, r)
	}
}

// mlaRecordOf builds the stored form of an mla-transition entry's record.
func mlaRecordOf(index uint64, e ledger.Entry, p ledger.Private) (store.MLARecord, error) {
	if e.Kind != ledger.KindMLATransition {
		return store.MLARecord{}, locale.Errorf("entry kind %q is not %s", e.Kind, ledger.KindMLATransition)
	}
	// The subject is "<case id>:<state>"; a case id may hold ':', a state
	// never does.
	i := strings.LastIndexByte(e.Subject, ':')
	if i <= 0 {
		return store.MLARecord{}, locale.Errorf("entry subject %q is not <case>:<state>", e.Subject)
	}
	raw, err := e.Marshal()
	if err != nil {
		return store.MLARecord{}, err
	}
	return store.MLARecord{LogIndex: index, Case: e.Subject[:i], Entry: raw, Record: bytes.Clone(p.Record),
		Salt: bytes.Clone(p.Salt), Created: e.Time.UTC()}, nil
}

// parseMLARecordLines reads a records.jsonl file (what recordKeeper
// writes: one {"index", "entry", "private"} object per line) strictly:
// no unknown or missing member, an mla-transition entry in Accord's
// encoding, a private record that hashes to the entry's record_hash, no
// index twice with different records. Errors name name:line. Blank lines
// are skipped; a line repeated is kept once.
func parseMLARecordLines(name string, data []byte) ([]store.MLARecord, error) {
	var (
		out  []store.MLARecord
		seen = map[uint64]int{} // index -> position in out
	)
	for n, line := range bytes.Split(data, []byte("\n")) {
		at := fmt.Sprintf("%s:%d", name, n+1)
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l struct {
			Index   *uint64         `json:"index"`
			Entry   json.RawMessage `json:"entry"`
			Private *ledger.Private `json:"private"`
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		dec.UseNumber()
		if err := dec.Decode(&l); err != nil {
			return nil, locale.Errorf("%s: %v", at, err)
		}
		if dec.More() {
			return nil, locale.Errorf("%s: byte %s: data after the record", at, strconv.FormatInt(dec.InputOffset(), 10))
		}
		switch {
		case l.Index == nil:
			return nil, locale.Errorf("%s: index is missing", at)
		case l.Entry == nil:
			return nil, locale.Errorf("%s: entry is missing", at)
		case l.Private == nil || len(l.Private.Record) == 0 || len(l.Private.Salt) == 0:
			return nil, locale.Errorf("%s: private: record and salt are required", at)
		}
		e, err := ledger.ParseEntry(l.Entry)
		if err != nil {
			return nil, locale.Errorf("%s: entry: %v", at, err)
		}
		if err := ledger.VerifyPrivate(e, *l.Private); err != nil {
			return nil, locale.Errorf("%s: private: %v", at, err)
		}
		r, err := mlaRecordOf(*l.Index, e, *l.Private)
		if err != nil {
			return nil, locale.Errorf("%s: entry: %v", at, err)
		}
		if err := r.Validate(); err != nil {
			return nil, locale.Errorf("%s: %v", at, err)
		}
		if j, ok := seen[r.LogIndex]; ok {
			if !out[j].SameAs(r) {
				return nil, locale.Errorf("%s: log index %s holds another record on an earlier line", at, strconv.FormatUint(r.LogIndex, 10))
			}
			continue
		}
		seen[r.LogIndex] = len(out)
		out = append(out, r)
	}
	return out, nil
}

// publishedEntries is the part of the log the import checks records
// against; *ledger.Log implements it.
type publishedEntries interface {
	PublishedSize(ctx context.Context) (uint64, error)
	Entries(ctx context.Context, from, to uint64, fn func(index uint64, e ledger.Entry) error) error
}

// importMLARecords moves the private records of path (DIR/mla/records.jsonl,
// written by servers before the records moved into the database, and by
// `accord mla`) into st, then renames the file to records.jsonl.imported
// (or .imported-<unix time> if that exists). Every record is checked first
// (parseMLARecordLines), and each one whose index the log has published
// against the log's own entry there: a file from another log stops the
// start with an error naming the line, and nothing is imported. The import
// is one transaction and idempotent: after a crash before the rename, the
// next start imports nothing twice.
func importMLARecords(ctx context.Context, st store.MLARecords, lg publishedEntries, path string, logger *slog.Logger) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return locale.Errorf("import mla records: %v", err)
	}
	logger.Info("importing MLA records into the database", slog.String("file", path), slog.Int("bytes", len(data)))
	recs, err := parseMLARecordLines(path, data)
	if err != nil {
		return locale.Errorf("import mla records: %v (nothing was imported; fix or move the file aside)", err)
	}
	size, err := lg.PublishedSize(ctx)
	if err != nil {
		return locale.Errorf("import mla records: read the log's size: %v", err)
	}
	// Check each record against the log's entry at its index, reading
	// each entry bundle once (records of one bundle are read together).
	unpublished := 0
	byBundle := map[uint64][]store.MLARecord{}
	var bundles []uint64
	for _, r := range recs {
		if r.LogIndex >= size {
			unpublished++
			continue
		}
		b := r.LogIndex / layout.EntryBundleWidth
		if byBundle[b] == nil {
			bundles = append(bundles, b)
		}
		byBundle[b] = append(byBundle[b], r)
	}
	slices.Sort(bundles)
	for n, b := range bundles {
		want := map[uint64]store.MLARecord{}
		from, to := uint64(math.MaxUint64), uint64(0)
		for _, r := range byBundle[b] {
			want[r.LogIndex] = r
			from, to = min(from, r.LogIndex), max(to, r.LogIndex+1)
		}
		err := lg.Entries(ctx, from, to, func(i uint64, e ledger.Entry) error {
			r, ok := want[i]
			if !ok {
				return nil
			}
			raw, err := e.Marshal()
			if err != nil {
				return locale.Errorf("record of log index %s (case %s): %v", strconv.FormatUint(i, 10), r.Case, err)
			}
			if !bytes.Equal(raw, r.Entry) {
				return locale.Errorf("record of log index %s (case %s): the log holds another entry there", strconv.FormatUint(i, 10), r.Case)
			}
			return nil
		})
		if err != nil {
			return locale.Errorf("import mla records: %s: %v (nothing was imported; is the file from another log? move it aside)", path, err)
		}
		if (n+1)%1000 == 0 {
			logger.Info("importing MLA records: checked against the log", slog.Int("bundles", n+1), slog.Int("of", len(bundles)))
		}
	}
	added, err := st.ImportMLARecords(ctx, recs)
	if err != nil {
		return locale.Errorf("import mla records from %s: %v (nothing was imported)", path, err)
	}
	done := path + ".imported"
	if _, err := os.Stat(done); err == nil {
		done = fmt.Sprintf("%s.imported-%d", path, time.Now().Unix())
	}
	if err := os.Rename(path, done); err != nil {
		return locale.Errorf("import mla records: imported, but renaming %s: %v", path, err)
	}
	logger.Info("imported MLA records into the database", slog.String("file", done), slog.Int("records", len(recs)),
		slog.Int("new", added), slog.Int("already_there", len(recs)-added), slog.Int("beyond_published_checkpoint", unpublished))
	return nil
}
