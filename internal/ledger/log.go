package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
)

// Defaults for Options, chosen so that an entry is durable within a few
// milliseconds under light load and its receipt is available within about
// a second.
const (
	// DefaultCheckpointInterval is how often a new checkpoint is signed and
	// published when the log has grown.
	DefaultCheckpointInterval = time.Second
	// DefaultBatchMaxAge is how long an entry may wait in memory for others
	// to share its write to disk once it is handed to Tessera. Under load
	// entries also wait at the log's gate while the previous batch is
	// written (see gate), so batches grow with the load whatever this age;
	// it only bounds the wait of an entry that arrives alone.
	DefaultBatchMaxAge = time.Millisecond
	// DefaultBatchMaxSize is how many entries are written to disk together
	// at most.
	DefaultBatchMaxSize = 1024
	// DefaultMaxEntrySize is the largest canonical entry accepted, in bytes.
	DefaultMaxEntrySize = 8 << 10
	// MaxEntrySizeLimit is the largest entry C2SP tlog-tiles allows.
	MaxEntrySizeLimit = 1<<16 - 1
	// receiptPoll is how often Receipt looks for a new checkpoint.
	receiptPoll = 20 * time.Millisecond
)

// ErrClosed is returned by Append and Receipt once Close has been called.
var ErrClosed = errors.New("log is closed")

// ErrOriginMismatch is returned by Open when the configured origin differs
// from the existing log's. Nothing is changed on disk: either fix the
// configuration or use another data directory.
var ErrOriginMismatch = errors.New("log origin mismatch")

// Options configure Open. The zero value is valid: every zero field takes its
// default.
type Options struct {
	// Origin names the log; it is the first line of every checkpoint and the
	// name of the signing key, e.g. "accord.example/fr". Empty means: the
	// existing log's origin, or for a new log DefaultOrigin(hostname, "").
	Origin string
	// CheckpointInterval is how often a checkpoint is published
	// (DefaultCheckpointInterval; at least 100 ms).
	CheckpointInterval time.Duration
	// BatchMaxAge bounds how long an entry waits in memory for others to
	// share its disk write (DefaultBatchMaxAge); it is the floor of Append's
	// latency under light load.
	BatchMaxAge time.Duration
	// BatchMaxSize bounds how many entries are written together
	// (DefaultBatchMaxSize).
	BatchMaxSize uint
	// WitnessPolicy, when not empty, is a witness policy file (Sigsum policy
	// format with C2SP vkeys, as Tessera reads it): each checkpoint is then
	// cosigned by a quorum of the witnesses before it is published.
	WitnessPolicy []byte
	// WitnessTimeout bounds how long a checkpoint waits for its witnesses
	// (default: Tessera's, 5 s).
	WitnessTimeout time.Duration
	// MaxEntrySize is the largest canonical entry accepted, in bytes
	// (DefaultMaxEntrySize, at most MaxEntrySizeLimit).
	MaxEntrySize int
	// KeyFile is the checkpoint signing key; DefaultKeyFile(dir) when empty.
	// It is created (mode 0600) with its verifier key log.pub beside it on
	// first start.
	KeyFile string
	// OnHealth, when set, is called when the log becomes unwritable (with
	// the error, wrapping ErrUnavailable) and when it is writable again
	// (with nil): once per change, never once per append. accord serve logs
	// it at ERROR.
	OnHealth func(err error)

	// fault, set by this package's tests only, is called before each
	// storage write ("append", "probe"); an error it returns fails the
	// write as a full disk would.
	fault func(op string) error
}

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = DefaultCheckpointInterval
	}
	if o.CheckpointInterval < 100*time.Millisecond {
		return o, fmt.Errorf("checkpoint interval %v is shorter than the 100ms minimum", o.CheckpointInterval)
	}
	if o.BatchMaxAge == 0 {
		o.BatchMaxAge = DefaultBatchMaxAge
	}
	if o.BatchMaxAge < 0 {
		return o, fmt.Errorf("batch max age %v is negative", o.BatchMaxAge)
	}
	if o.BatchMaxSize == 0 {
		o.BatchMaxSize = DefaultBatchMaxSize
	}
	if o.MaxEntrySize == 0 {
		o.MaxEntrySize = DefaultMaxEntrySize
	}
	if o.MaxEntrySize < 0 || o.MaxEntrySize > MaxEntrySizeLimit {
		return o, fmt.Errorf("max entry size %d is outside 1..%d", o.MaxEntrySize, MaxEntrySizeLimit)
	}
	return o, nil
}

// Log is an open transparency log that this process appends to. It is safe
// for concurrent use.
type Log struct {
	dir      string
	name     string  // where the log is, for messages: dir or a redacted URL
	db       *sql.DB // the database of a MySQL log (OpenMySQL), else nil
	origin   string
	verifier note.Verifier
	vkey     string
	maxEntry int

	add      tessera.AddFn
	shutdown func(context.Context) error
	reader   tessera.LogReader
	awaiter  *tessera.PublicationAwaiter
	cancel   context.CancelFunc

	// mu guards closed; Append holds it for reading while it waits, so Close
	// can wait for in-flight appends before shutting Tessera down.
	mu     sync.RWMutex
	closed bool

	// health is whether appends reach storage (see Err).
	health health

	// pmu guards the proof builder for the latest checkpoint seen.
	pmu   sync.Mutex
	curCP *Checkpoint
	curPB *client.ProofBuilder
}

// Open creates the log in dir (for Accord, <data>/log) or reopens it. On
// first start it generates the Ed25519 checkpoint key (see Options.KeyFile).
// Reopening checks that the key, the configured origin and the published
// checkpoint agree; on any disagreement — origin mismatch, a checkpoint that
// does not parse or is not signed by the key, a key missing for an existing
// log — it returns an error and changes nothing.
//
// The returned Log runs background work (batching, checkpoint publishing)
// until Close; ctx is only used while opening.
func Open(ctx context.Context, dir string, opts Options) (*Log, error) {
	if dir == "" {
		return nil, errors.New("open log: no directory given")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	var witnesses *tessera.WitnessGroup
	if len(bytes.TrimSpace(o.WitnessPolicy)) > 0 {
		wg, err := ParseWitnessPolicy(o.WitnessPolicy)
		if err != nil {
			return nil, fmt.Errorf("open log %s: %w", dir, err)
		}
		witnesses = &wg
	}
	keyFile := o.KeyFile
	if keyFile == "" {
		keyFile = DefaultKeyFile(dir)
	}
	exists, err := logExists(dir)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}

	var signer note.Signer
	var vkey string
	switch _, statErr := os.Stat(keyFile); {
	case statErr == nil:
		signer, vkey, err = loadKey(keyFile)
		if err != nil {
			return nil, fmt.Errorf("open log %s: %w", dir, err)
		}
		if o.Origin != "" && o.Origin != signer.Name() {
			return nil, fmt.Errorf("open log %s: %w: the log's key %s signs for %q, the configuration says %q (nothing was changed)", dir, ErrOriginMismatch, keyFile, signer.Name(), o.Origin)
		}
		if !exists {
			return nil, fmt.Errorf("open log %s: the signing key %s exists but the log does not; restore the log directory (a new log under the same key would contradict every checkpoint it already signed), or move the key away to start a new log (nothing was changed)", dir, keyFile)
		}
	case errors.Is(statErr, fs.ErrNotExist):
		if exists {
			return nil, fmt.Errorf("open log %s: the log exists but its signing key %s is missing; restore the key (a new key would orphan every published checkpoint; nothing was changed)", dir, keyFile)
		}
		origin := o.Origin
		if origin == "" {
			host, _ := os.Hostname()
			origin = DefaultOrigin(host, "")
		}
		if err := checkOrigin(origin); err != nil {
			return nil, fmt.Errorf("open log %s: %w", dir, err)
		}
		signer, vkey, err = createKey(keyFile, origin)
		if err != nil {
			return nil, fmt.Errorf("open log %s: %w", dir, err)
		}
	default:
		return nil, fmt.Errorf("open log %s: key %s: %w", dir, keyFile, statErr)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	origin := signer.Name()

	// An existing checkpoint must be ours, for this origin, and readable:
	// Tessera would otherwise fail to publish (or publish over it).
	if raw, err := os.ReadFile(filepath.Join(dir, layout.CheckpointPath)); err == nil {
		if _, err := ParseCheckpoint(raw, verifier, origin); err != nil {
			if errors.Is(err, ErrOrigin) || errors.Is(err, ErrSignature) {
				if got, oerr := checkpointOrigin(raw); oerr == nil && got != origin {
					return nil, fmt.Errorf("open log %s: %w: the published checkpoint is for %q, the key signs for %q (nothing was changed)", dir, ErrOriginMismatch, got, origin)
				}
			}
			return nil, fmt.Errorf("open log %s: published checkpoint %s: %w (nothing was changed)", dir, filepath.Join(dir, layout.CheckpointPath), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	aopts := tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithCheckpointInterval(o.CheckpointInterval).
		WithBatching(o.BatchMaxSize, o.BatchMaxAge)
	if witnesses != nil {
		aopts = aopts.WithWitnesses(*witnesses, &tessera.WitnessOptions{Timeout: o.WitnessTimeout})
	}

	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	driver, err := posix.New(bg, posix.Config{Path: dir})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	app, shutdown, reader, err := tessera.NewAppender(bg, driver, aopts)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	return &Log{
		health:   health{notify: o.OnHealth, fault: o.fault},
		dir:      dir,
		name:     dir,
		origin:   origin,
		verifier: verifier,
		vkey:     vkey,
		maxEntry: o.MaxEntrySize,
		add:      (&gate{next: app.Add}).add,
		shutdown: shutdown,
		reader:   reader,
		awaiter:  tessera.NewPublicationAwaiter(bg, reader.ReadCheckpoint, receiptPoll),
		cancel:   cancel,
	}, nil
}

// logExists reports whether dir already holds a log (a published checkpoint
// or Tessera's tree state).
func logExists(dir string) (bool, error) {
	for _, p := range []string{layout.CheckpointPath, filepath.Join(".state", "treeState")} {
		_, err := os.Stat(filepath.Join(dir, p))
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
	}
	return false, nil
}

// Dir returns the directory the log's public files are in; empty for a
// log in a database (OpenMySQL).
func (l *Log) Dir() string { return l.dir }

// Location names where the log is kept: its directory, or its database URL
// without the password. It is safe to print.
func (l *Log) Location() string { return l.name }

// Origin returns the log's origin, the first line of its checkpoints.
func (l *Log) Origin() string { return l.origin }

// Verifier returns the verifier for the log's checkpoints.
func (l *Log) Verifier() note.Verifier { return l.verifier }

// VerifierKey returns the log's verifier key in signed-note form
// (origin+hash+key), as `accord log key` prints it. It is public.
func (l *Log) VerifierKey() string { return l.vkey }

// Source returns a Source reading this log's public files.
func (l *Log) Source() Source { return l.reader }

// Append adds e to the log and returns its index once Tessera has made it
// durable: from then on the entry survives a crash, and a receipt for it
// follows within about a checkpoint interval (see Receipt). An entry whose
// canonical JSON is longer than Options.MaxEntrySize is rejected with
// ErrEntryTooLarge.
//
// Append waits at most about a batch age plus one disk write; ctx is checked
// before the entry is queued.
func (l *Log) Append(ctx context.Context, e Entry) (uint64, error) {
	data, err := e.Marshal()
	if err != nil {
		return 0, fmt.Errorf("append %s entry: %w", e.Kind, err)
	}
	return l.appendLeaf(ctx, e.Kind, data)
}

// AppendLeaf is Append for an entry already encoded (see Leaf,
// DecisionLeaf): the leaf's bytes are appended as they are, without
// validating and encoding the entry again. A zero Leaf is refused.
func (l *Log) AppendLeaf(ctx context.Context, leaf Leaf) (uint64, error) {
	if leaf.data == nil {
		return 0, fmt.Errorf("append entry: %w: empty leaf (build it with NewLeaf or DecisionLeaf)", ErrNotQueued)
	}
	return l.appendLeaf(ctx, leaf.entry.Kind, leaf.data)
}

// appendLeaf appends canonical entry bytes.
func (l *Log) appendLeaf(ctx context.Context, kind string, data []byte) (uint64, error) {
	// Errors up to the hand-over to Tessera wrap ErrNotQueued: the entry
	// never will be on the log.
	if len(data) > l.maxEntry {
		return 0, fmt.Errorf("append %s entry: %w: %w: %d bytes, the limit is %d", kind, ErrNotQueued, ErrEntryTooLarge, len(data), l.maxEntry)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("append %s entry: %w: %w", kind, ErrNotQueued, err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return 0, fmt.Errorf("append %s entry: %w: %w", kind, ErrNotQueued, ErrClosed)
	}
	if l.health.fault != nil {
		if err := l.health.fault("append"); err != nil {
			err = fmt.Errorf("append %s entry: %w: %w: %w", kind, ErrNotQueued, ErrUnavailable, err)
			l.health.failed(err)
			return 0, err
		}
	}
	idx, err := l.add(ctx, tessera.NewEntry(data))()
	switch {
	case err == nil:
		l.health.ok()
		return idx.Index, nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return 0, fmt.Errorf("append %s entry: %w", kind, err)
	case isPushback(err):
		// Tessera refused it before sequencing: its queue is full.
		return 0, fmt.Errorf("append %s entry: %w: %w: overloaded: %w", kind, ErrNotQueued, ErrUnavailable, err)
	case storageFailure(err):
		err = fmt.Errorf("append %s entry: %w: %w", kind, ErrUnavailable, err)
		l.health.failed(err)
		return 0, err
	}
	return 0, fmt.Errorf("append %s entry: %w", kind, err)
}

// Receipt returns the receipt for the entry at index, waiting (until ctx is
// done) for a checkpoint that covers it to be published. With the default
// options that takes about a second after Append returns. The receipt is
// verified against the log's own key before it is returned.
func (l *Log) Receipt(ctx context.Context, index uint64) (*Receipt, error) {
	l.mu.RLock()
	closed := l.closed
	l.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("receipt for %d: %w", index, ErrClosed)
	}
	size, err := l.reader.IntegratedSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("receipt for %d: %w", index, err)
	}
	if index >= size {
		return nil, fmt.Errorf("receipt for %d: no such entry (the log holds %d)", index, size)
	}
	_, raw, err := l.awaiter.Await(ctx, func() (tessera.Index, error) { return tessera.Index{Index: index}, nil })
	if err != nil {
		return nil, fmt.Errorf("receipt for %d: waiting for a checkpoint: %w", index, err)
	}
	l.pmu.Lock()
	defer l.pmu.Unlock()
	if l.curCP == nil || !bytes.Equal(l.curCP.Raw, raw) {
		cp, err := ParseCheckpoint(raw, l.verifier, l.origin)
		if err != nil {
			return nil, fmt.Errorf("receipt for %d: %w", index, err)
		}
		if l.curCP == nil || cp.Size >= l.curCP.Size {
			pb, err := client.NewProofBuilder(ctx, cp.Size, l.reader.ReadTile)
			if err != nil {
				return nil, fmt.Errorf("receipt for %d: %w", index, err)
			}
			l.curCP, l.curPB = cp, pb
		}
	}
	return buildReceipt(ctx, l.reader, l.curPB, l.curCP, l.verifier, index)
}

// Close stops accepting entries, waits for the entries already acknowledged
// to be covered by a published checkpoint, and stops background work.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	err := l.shutdown(context.Background())
	l.cancel()
	if l.db != nil {
		err = errors.Join(err, l.db.Close())
	}
	if err != nil {
		return fmt.Errorf("close log %s: %w", l.name, err)
	}
	return nil
}
