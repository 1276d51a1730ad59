package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

// mlaRecordLine returns a records.jsonl line for a fresh mla-transition
// entry of case id at index, as recordKeeper writes it.
func mlaRecordLine(t testing.TB, index uint64, id, to string) []byte {
	t.Helper()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	e, p, err := ledger.NewRecord(ledger.KindMLATransition, at, map[string]any{"kind": "mla." + to, "summary": map[string]any{"case": id, "to": to}})
	if err != nil {
		t.Fatal(err)
	}
	e.Subject = id + ":" + to
	e.Jurisdiction = "CN"
	e.Requester = &ledger.Party{Kind: "state-authority", Role: "central-authority", State: "CN"}
	line, err := json.Marshal(map[string]any{"index": index, "entry": e, "private": p})
	if err != nil {
		t.Fatal(err)
	}
	return line
}

func TestParseMLARecordLines(t *testing.T) {
	good := mlaRecordLine(t, 3, "MLA-2026-0042", "received")
	good2 := mlaRecordLine(t, 4, "MLA:with:colons", "accepted")
	edit := func(line []byte, f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(line, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	join := func(lines ...[]byte) []byte { return bytes.Join(lines, []byte("\n")) }
	cases := []struct {
		name  string
		data  []byte
		cases []string // the case of each record parsed
		err   string
	}{
		{"two lines", join(good, good2, nil), []string{"MLA-2026-0042", "MLA:with:colons"}, ""},
		{"blank lines and CRLF", join(nil, append(bytes.Clone(good), '\r'), []byte("  ")), []string{"MLA-2026-0042"}, ""},
		{"a line twice", join(good, good), []string{"MLA-2026-0042"}, ""},
		{"empty file", nil, nil, ""},
		{"not JSON", join(good, []byte("{")), nil, "records.jsonl:2: unexpected EOF"},
		{"unknown member", edit(good, func(m map[string]any) { m["extra"] = 1 }), nil, `records.jsonl:1: json: unknown field "extra"`},
		{"index missing", edit(good, func(m map[string]any) { delete(m, "index") }), nil, "records.jsonl:1: index is missing"},
		{"negative index", edit(good, func(m map[string]any) { m["index"] = -1 }), nil, "records.jsonl:1: json: cannot unmarshal number -1 into Go struct field .index of type uint64"},
		{"entry missing", edit(good, func(m map[string]any) { delete(m, "entry") }), nil, "records.jsonl:1: entry is missing"},
		{"private missing", edit(good, func(m map[string]any) { delete(m, "private") }), nil, "records.jsonl:1: private: record and salt are required"},
		{"salt changed", edit(good, func(m map[string]any) { m["private"].(map[string]any)["salt"] = "AAAA" }), nil, "records.jsonl:1: private: record hash mismatch"},
		{"record changed", edit(good, func(m map[string]any) { m["private"].(map[string]any)["record"] = map[string]any{"kind": "mla.closed"} }), nil, "records.jsonl:1: private: record hash mismatch"},
		{"record_hash changed", edit(good, func(m map[string]any) { m["entry"].(map[string]any)["record_hash"] = strings.Repeat("0", 64) }), nil, "records.jsonl:1: private: record hash mismatch"},
		{"entry not canonical", edit(good, func(m map[string]any) { m["entry"].(map[string]any)["Kind"] = "x" }), nil, "records.jsonl:1: entry: entry is not in Accord's encoding"},
		{"another kind", edit(good, func(m map[string]any) { m["entry"].(map[string]any)["kind"] = "decision" }), nil, "records.jsonl:1: entry:"},
		{"data after the record", append(bytes.Clone(good), []byte(" {}")...), nil, "records.jsonl:1: byte"},
		{"an index twice, two records", join(good, edit(good2, func(m map[string]any) { m["index"] = 3 })), nil, "records.jsonl:2: log index 3 holds another record on an earlier line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, err := parseMLARecordLines("records.jsonl", c.data)
			if c.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.err) {
					t.Fatalf("error %v, want one starting %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(c.cases) {
				t.Fatalf("%d records, want %d", len(recs), len(c.cases))
			}
			for i, r := range recs {
				if r.Case != c.cases[i] {
					t.Errorf("record %d: case %q, want %q", i, r.Case, c.cases[i])
				}
				e, err := ledger.ParseEntry(r.Entry)
				if err != nil {
					t.Fatal(err)
				}
				if err := ledger.VerifyPrivate(e, ledger.Private{Record: r.Record, Salt: r.Salt}); err != nil {
					t.Errorf("record %d does not verify against its entry: %v", i, err)
				}
			}
		})
	}
}

func FuzzMLARecordLines(f *testing.F) {
	f.Add(mlaRecordLine(f, 0, "MLA-1", "opened"))
	f.Add([]byte(`{"index":1,"entry":{},"private":{"record":{},"salt":"AA=="}}`))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseMLARecordLines("f", data)
		if err != nil {
			return
		}
		for _, r := range recs {
			if err := r.Validate(); err != nil {
				t.Fatalf("accepted an invalid record: %v", err)
			}
			e, err := ledger.ParseEntry(r.Entry)
			if err != nil {
				t.Fatalf("accepted an entry that does not parse: %v", err)
			}
			if err := ledger.VerifyPrivate(e, ledger.Private{Record: r.Record, Salt: r.Salt}); err != nil {
				t.Fatalf("accepted a record that does not verify: %v", err)
			}
		}
	})
}

// storedMLARecords opens dir's SQLite store (the server stopped) and
// returns its MLA records, each checked against its entry.
func storedMLARecords(t *testing.T, dir string) []store.MLARecord {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.ListMLARecords(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		e, err := ledger.ParseEntry(r.Entry)
		if err != nil {
			t.Fatalf("stored entry at %d: %v", r.LogIndex, err)
		}
		if err := ledger.VerifyPrivate(e, ledger.Private{Record: r.Record, Salt: r.Salt}); err != nil {
			t.Fatalf("stored record at %d: %v", r.LogIndex, err)
		}
	}
	return recs
}

// TestServeImportsMLARecords: the records `accord mla` (or a server before
// the move) wrote to DIR/mla/records.jsonl are imported into the database
// at the next start, checked against the log, and the file renamed; the
// import is idempotent; a tampered file or one from another log stops the
// start, names the line, and imports nothing.
func TestServeImportsMLARecords(t *testing.T) {
	dir := newWorld(t)
	for _, args := range [][]string{
		{"mla", "open", "MLA-2026-0042", "--as", "fr-bepi", "--to", "CN", "--agreement", "cn-fr-mla-2005", "--provider", "mailco-cn",
			"--purpose", "law-enforcement", "--category", "personal.contact", "--selectors", "specific:3", "--max-subjects", "3", "--subject-state", "CN,FR"},
		{"mla", "receive", "MLA-2026-0042", "--as", "cn-moj"},
	} {
		if out, code := runAccord(t, append(args, "--data", dir)...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, out)
		}
	}
	file := filepath.Join(dir, "mla", "records.jsonl")
	original, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(original), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("records.jsonl holds %d lines, want 2", len(lines))
	}

	imported := func(want string) {
		t.Helper()
		out, code := serveOnce(t, dir)
		if code != exitOK || !strings.Contains(out, "imported MLA records into the database") || !strings.Contains(out, want) {
			t.Fatalf("start: exit %d, want the import line with %s:\n%s", code, want, out)
		}
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Fatalf("records.jsonl still there after the import (%v)", err)
		}
		recs := storedMLARecords(t, dir)
		if len(recs) != 2 || recs[0].Case != "MLA-2026-0042" || recs[1].LogIndex <= recs[0].LogIndex {
			t.Fatalf("stored records: %+v", recs)
		}
	}
	imported(`"new":2`)
	if _, err := os.Stat(file + ".imported"); err != nil {
		t.Fatal(err)
	}
	// A crash before the rename leaves the file: the next start imports
	// nothing twice.
	os.WriteFile(file, original, 0o600)
	imported(`"new":0`)

	refused := func(name string, data []byte, want string) {
		t.Helper()
		os.WriteFile(file, data, 0o600)
		out, code := serveOnce(t, dir)
		if code == exitOK || !strings.Contains(out, want) || !strings.Contains(out, "nothing was imported") {
			t.Fatalf("%s: exit %d, want a refusal saying %q:\n%s", name, code, want, out)
		}
		if len(storedMLARecords(t, dir)) != 2 {
			t.Fatalf("%s: the refused import changed the database", name)
		}
		if _, err := os.Stat(file); err != nil {
			t.Fatalf("%s: the refused file was moved: %v", name, err)
		}
	}
	var m map[string]any
	json.Unmarshal(lines[1], &m)
	m["private"].(map[string]any)["salt"] = "AAAA"
	tampered, _ := json.Marshal(m)
	refused("tampered", append(append(bytes.Clone(lines[0]), '\n'), tampered...), "records.jsonl:2: private: record hash mismatch")
	json.Unmarshal(lines[1], &m)
	m["index"] = 0
	moved, _ := json.Marshal(m)
	refused("another log's record", moved, "record of log index 0 (case MLA-2026-0042): the log holds another entry there")
	os.Remove(file)
}
