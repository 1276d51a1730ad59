package store

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"time"
)

// MLARecords keeps the private records behind the log's mla-transition
// entries: what a server appended for each step of a mutual legal
// assistance case, salted and hashed into the public entry. They live in
// the database, so that every replica's records are in one place and an
// auditor can check any entry whichever server appended it.
type MLARecords interface {
	// RecordMLA stores r. Storing the record already stored at
	// r.LogIndex again is not an error (an import repeated after a crash);
	// a different record at that index is ErrConflict and writes nothing.
	RecordMLA(ctx context.Context, r MLARecord) error
	// ImportMLARecords stores rs in one transaction, each as RecordMLA
	// would, and returns how many were not stored before. On any error
	// (an invalid record, a conflict) nothing is written.
	ImportMLARecords(ctx context.Context, rs []MLARecord) (int, error)
	// ListMLARecords returns the records of one case ("" for every case),
	// ordered by log index.
	ListMLARecords(ctx context.Context, caseID string) ([]MLARecord, error)
}

// MLARecord is the private record behind one mla-transition log entry.
type MLARecord struct {
	// LogIndex is the index of the entry in the log.
	LogIndex uint64 `json:"log_index"`
	// Case is the id of the case the step moved.
	Case string `json:"case"`
	// Entry is the public log entry, as logged (canonical JSON).
	Entry []byte `json:"entry"`
	// Record is the private record (JSON), exactly the bytes hashed into
	// the entry's record_hash.
	Record []byte `json:"record"`
	// Salt is the random salt hashed with Record.
	Salt []byte `json:"salt"`
	// Created is when the step was made (the entry's time).
	Created time.Time `json:"created"`
}

// Validate reports the first rule r breaks, naming the field.
func (r MLARecord) Validate() error {
	switch {
	case r.LogIndex > math.MaxInt64:
		return fmt.Errorf("%w: mla record: log index %d is out of range", ErrInvalid, r.LogIndex)
	case r.Case == "":
		return fmt.Errorf("%w: mla record at log index %d: case is empty", ErrInvalid, r.LogIndex)
	case len(r.Entry) == 0:
		return fmt.Errorf("%w: mla record at log index %d: entry is empty", ErrInvalid, r.LogIndex)
	case len(r.Record) == 0:
		return fmt.Errorf("%w: mla record at log index %d: record is empty", ErrInvalid, r.LogIndex)
	case len(r.Salt) == 0:
		return fmt.Errorf("%w: mla record at log index %d: salt is empty", ErrInvalid, r.LogIndex)
	case r.Created.IsZero():
		return fmt.Errorf("%w: mla record at log index %d: created is zero", ErrInvalid, r.LogIndex)
	}
	return nil
}

// SameAs reports whether r and o are the same record: same index, case,
// entry, record and salt (Created is not compared).
func (r MLARecord) SameAs(o MLARecord) bool {
	return r.LogIndex == o.LogIndex && r.Case == o.Case && bytes.Equal(r.Entry, o.Entry) &&
		bytes.Equal(r.Record, o.Record) && bytes.Equal(r.Salt, o.Salt)
}
