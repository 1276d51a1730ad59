// Package ledger is Accord's transparency log: every binding decision, every
// authorization, every key release is appended to an append-only Merkle log
// that anyone can verify.
//
// The log is a Tessera log (github.com/transparency-dev/tessera) on its POSIX
// driver (Open: one writer, a directory), or on its MySQL driver (OpenMySQL:
// any number of replicas appending to one MySQL or MariaDB database, which
// gives every entry exactly one index; MigrateToMySQL moves a POSIX log
// there). Both have the same API, and the same read API over HTTP. Its layout on disk and over HTTP follows C2SP tlog-tiles, and its
// checkpoints follow C2SP tlog-checkpoint and signed-note, so standard
// verifiers and witnesses work against an Accord log without knowing Accord.
//
// The life of an entry:
//
//  1. A caller builds an Entry: a public summary (codes and counts only, never
//     personal data or free text) plus the SHA-256 of the salted private record
//     it summarises (see DecisionEntry and NewRecord). The private record and
//     its salt stay with the caller.
//  2. Log.Append canonicalises the entry (RFC 8785) and returns its index once
//     Tessera has made it durable. Appends are written in batches: while one
//     batch is being written, the entries that arrive wait at the log's gate
//     and go to Tessera together as the next batch, so the synced writes per
//     entry fall as the load rises (see gate).
//  3. Log.Receipt waits until a signed checkpoint covers the index and returns
//     a Receipt: the entry, the checkpoint and an inclusion proof.
//  4. Anyone holding the log's verifier key checks a receipt offline with
//     VerifyReceipt, and the whole log with Verify.
//
// The checkpoint key is an Ed25519 signed-note key generated on first start
// and kept beside the log (see Options.KeyFile).
package ledger
