package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
)

// The log commands read the log's public files and keys; only `accord serve`
// and `accord demo` append to it.

func newLogCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Read, prove and audit the transparency log",
		Long: `The transparency log records every binding decision, authorization and key
release as a public summary (codes and counts, never personal data). Its
checkpoints are signed with the log's key; anyone holding the verifier key can
check a receipt offline, or audit the whole log.

The log lives in DIR/log under the data directory (--data, default
./accord-data); its signing key in DIR/keys/log.key (mode 0600) and the
public verifier key in DIR/keys/log.pub.`,
		Example: `  accord log key --data ./accord-data
  accord log receipt --index 0 -o receipt.json
  accord log verify-receipt receipt.json --key "$(accord log key)"
  accord log verify --log ./accord-data/log --key "$(accord log key)"`,
	}
	cmd.AddCommand(newLogKeyCmd(), newLogCheckpointCmd(), newLogReceiptCmd(), newLogVerifyReceiptCmd(),
		newLogVerifyCmd(), newLogConsistencyCmd(), newLogServeCmd(), newLogMigrateCmd())
	// Every log command but witness-policy reads the data directory (for
	// the log or its key); witness-policy reads only its file.
	for _, c := range cmd.Commands() {
		addDataFlag(c.Flags())
	}
	// record talks to a server; it reads no data directory.
	cmd.AddCommand(newLogWitnessPolicyCmd(), newLogRecordCmd())
	return cmd
}

func init() {
	rootCmd.AddCommand(newLogCmd())
	// Tessera logs through klog to standard error, informational notes
	// included ("Initializing directory for POSIX log ..."). Keep only its
	// warnings and errors, for every command of the binary.
	ledger.RouteTesseraLogs(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// logHTTPClient fetches logs given as URLs.
var logHTTPClient = &http.Client{Timeout: 30 * time.Second}

// logLocation returns where the log is: --log if given, else DIR/log under
// --data.
func logLocation(flag string) string {
	if flag != "" {
		return flag
	}
	return filepath.Join(dataDir, "log")
}

// logVerifierFor returns the verifier for --key: a verifier key, a file holding
// one, or (when empty) the key of the log under --data.
func logVerifierFor(key string) (note.Verifier, error) {
	if key == "" {
		if err := requireData(dataDir); err != nil {
			return nil, err
		}
		vkey, err := ledger.ReadVerifierKey(filepath.Join(dataDir, "keys"))
		if err != nil {
			return nil, badInput(locale.Errorf("%v (or give --key)", err))
		}
		key = vkey
	} else if !strings.Contains(key, "+") {
		raw, err := os.ReadFile(key)
		if err != nil {
			return nil, badInput(locale.Errorf("--key: %q is neither a verifier key (origin+hash+key) nor a readable file: %v", key, err))
		}
		key = strings.TrimSpace(string(raw))
	}
	v, err := ledger.NewVerifier(key)
	if err != nil {
		return nil, badInput(locale.Errorf("--key: %v", err))
	}
	return v, nil
}

// logCheckFormat refuses a --format other than text or json (bad input).
func logCheckFormat(format string) error {
	if format != "text" && format != "json" {
		return badInput(locale.Errorf("--format: %q is not text or json", format))
	}
	return nil
}

func logWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// logWriteOutput writes data to path, or to w when path is empty or "-".
func logWriteOutput(w io.Writer, path string, data []byte) error {
	if path == "" || path == "-" {
		_, err := w.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return locale.Errorf("write %s: %v", path, err)
	}
	return nil
}

func newLogKeyCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Print the log's verifier key",
		Long: `Key prints the public verifier key of the log under --data, in signed-note
form (origin+hash+key). Give it to anyone who verifies receipts or audits the
log; it is what --key expects. The private key never leaves DIR/keys/log.key.`,
		Example: `  accord log key --data ./accord-data
  accord log verify --log ./accord-data/log --key "$(accord log key --data ./accord-data)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := logCheckFormat(format); err != nil {
				return err
			}
			if err := requireData(dataDir); err != nil {
				return err
			}
			vkey, err := ledger.ReadVerifierKey(filepath.Join(dataDir, "keys"))
			if err != nil {
				return err
			}
			if format == "json" {
				v, err := ledger.NewVerifier(vkey)
				if err != nil {
					return err
				}
				return logWriteJSON(cmd.OutOrStdout(), map[string]string{"verifier_key": vkey, "origin": v.Name()})
			}
			fmt.Fprintln(cmd.OutOrStdout(), vkey)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// logCheckpointJSON is the --format json view of a checkpoint.
type logCheckpointJSON struct {
	Origin     string `json:"origin"`
	Size       uint64 `json:"size"`
	RootHash   string `json:"root_hash"`
	Checkpoint string `json:"checkpoint"`
}

func logCPJSON(cp *ledger.Checkpoint) logCheckpointJSON {
	return logCheckpointJSON{Origin: cp.Origin, Size: cp.Size, RootHash: base64.StdEncoding.EncodeToString(cp.Hash), Checkpoint: string(cp.Raw)}
}

func newLogCheckpointCmd() *cobra.Command {
	var format, logFlag, key, out string
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Print (and save) the log's latest signed checkpoint",
		Long: `Checkpoint reads the log's latest checkpoint, verifies its signature, and
prints it as published (a C2SP signed note: origin, size, root hash,
signatures). Save it with -o to check later, with accord log verify --since or
accord log consistency, that the log never rewrote what it had shown.`,
		Example: `  accord log checkpoint -o checkpoint-monday.txt
  accord log checkpoint --log https://accord.example/log --key "$VKEY" --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := logCheckFormat(format); err != nil {
				return err
			}
			v, err := logVerifierFor(key)
			if err != nil {
				return err
			}
			src, err := ledger.OpenSource(logLocation(logFlag), logHTTPClient)
			if err != nil {
				return badInput(err)
			}
			raw, err := src.ReadCheckpoint(cmd.Context())
			if err != nil {
				return locale.Errorf("read checkpoint: %v", err)
			}
			cp, err := ledger.ParseCheckpoint(raw, v, "")
			if err != nil {
				return err
			}
			if out != "" && out != "-" {
				if err := logWriteOutput(nil, out, raw); err != nil {
					return err
				}
			}
			if format == "json" {
				return logWriteJSON(cmd.OutOrStdout(), logCPJSON(cp))
			}
			if out != "" && out != "-" {
				fmt.Fprintln(cmd.OutOrStdout(), userPrinter().Sprintf("checkpoint of %s at size %d saved to %s", cp.Origin, cp.Size, out))
				return nil
			}
			_, err = cmd.OutOrStdout().Write(raw)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&logFlag, "log", "", "log directory or URL (default DIR/log under --data)")
	cmd.Flags().StringVar(&key, "key", "", "verifier key, or a file holding it (default: the key under --data)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "also save the signed checkpoint to this file")
	return cmd
}

func newLogReceiptCmd() *cobra.Command {
	var (
		index        int64
		logFlag, key string
		out          string
		wait         time.Duration
	)
	cmd := &cobra.Command{
		Use:   "receipt --index N",
		Short: "Write the receipt (checkpoint + inclusion proof) for a log entry",
		Long: `Receipt writes the receipt for the entry at --index: the entry, the latest
signed checkpoint and the inclusion proof linking them, as JSON. Whoever holds
the receipt and the log's verifier key can check it offline with
accord log verify-receipt, without trusting the server.

An entry is covered by a checkpoint about a second after it is logged; --wait
keeps trying that long.`,
		Example: `  accord log receipt --index 0 -o receipt.json
  accord log receipt --index 41 --log https://accord.example/log --key "$VKEY" --wait 3s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if index < 0 {
				return badInput(locale.Errorf("--index: give the entry's index (0 or more)"))
			}
			v, err := logVerifierFor(key)
			if err != nil {
				return err
			}
			src, err := ledger.OpenSource(logLocation(logFlag), logHTTPClient)
			if err != nil {
				return badInput(err)
			}
			ctx := cmd.Context()
			if wait > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, wait)
				defer cancel()
			}
			var r *ledger.Receipt
			for {
				r, err = ledger.ReceiptFrom(ctx, src, v, "", uint64(index))
				if err == nil || wait <= 0 || !errors.Is(err, ledger.ErrNotPublished) {
					break
				}
				select {
				case <-ctx.Done():
					return locale.Errorf("%v (waited %v)", err, wait)
				case <-time.After(100 * time.Millisecond):
				}
			}
			if err != nil {
				return err
			}
			if e, err := r.ParsedEntry(); err == nil && e.Kind == ledger.KindDecision {
				if at, voided, err := ledger.VoidedBy(ctx, src, r.Index, checkpointSize(r)); err != nil {
					return locale.Errorf("look for a void of entry %s: %v", indexText(r.Index), err)
				} else if voided {
					return locale.Errorf("entry %s is a decision voided by entry %s (logged but never committed): it is not a decision, so no receipt is issued for it", indexText(r.Index), indexText(at))
				}
			}
			data, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				return err
			}
			return logWriteOutput(cmd.OutOrStdout(), out, append(data, '\n'))
		},
	}
	cmd.Flags().Int64Var(&index, "index", -1, "index of the entry (required)")
	cmd.Flags().StringVar(&logFlag, "log", "", "log directory or URL (default DIR/log under --data)")
	cmd.Flags().StringVar(&key, "key", "", "verifier key, or a file holding it (default: the key under --data)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the receipt to this file instead of standard output")
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait this long for a checkpoint covering the entry")
	_ = cmd.MarkFlagRequired("index")
	return cmd
}

// indexText writes a log index as its digits, never grouped: an index is
// an identifier a reader compares and types, not an amount.
func indexText(i uint64) string { return strconv.FormatUint(i, 10) }

// checkpointSize returns the size of the tree a receipt's checkpoint
// commits to (its second line; 0 if unreadable).
func checkpointSize(r *ledger.Receipt) uint64 {
	lines := strings.SplitN(r.Checkpoint, "\n", 3)
	if len(lines) < 2 {
		return 0
	}
	n, _ := strconv.ParseUint(lines[1], 10, 64)
	return n
}

// logReceiptResult is the --format json view of a verified receipt.
type logReceiptResult struct {
	OK       bool          `json:"ok"`
	Index    uint64        `json:"index"`
	Origin   string        `json:"origin"`
	TreeSize uint64        `json:"tree_size"`
	Entry    *ledger.Entry `json:"entry,omitempty"`
	Record   bool          `json:"record_verified,omitempty"`
}

func newLogVerifyReceiptCmd() *cobra.Command {
	var key, origin, record, format string
	cmd := &cobra.Command{
		Use:   "verify-receipt RECEIPT.json --key VKEY",
		Short: "Verify a receipt offline",
		Long: `Verify-receipt checks a receipt without contacting the log: the checkpoint is
signed by the log's key, names the expected log, the entry hashes to the
receipt's leaf, and the inclusion proof leads from that leaf to the
checkpoint's root. It says exactly which check failed.

With --record, it also checks a private record (JSON with "record" and
"salt", as the store keeps it) against the entry's record_hash.`,
		Example: `  accord log verify-receipt receipt.json --key "accord.example/demo+1a2b3c4d+AQ..."
  accord log verify-receipt receipt.json --key ./accord-data/keys/log.pub --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := logCheckFormat(format); err != nil {
				return err
			}
			v, err := logVerifierFor(key)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return badInput(err)
			}
			r, err := ledger.ParseReceipt(data)
			if err != nil {
				return badInput(locale.Errorf("%s: %v", args[0], err))
			}
			if err := ledger.VerifyReceipt(r, v, origin); err != nil {
				return locale.Errorf("%s: %v", args[0], err)
			}
			cp, err := ledger.ParseCheckpoint([]byte(r.Checkpoint), v, origin)
			if err != nil {
				return err
			}
			e, err := r.ParsedEntry()
			if err != nil {
				return locale.Errorf("%s: the proof holds but the entry is not a valid Accord entry: %v", args[0], err)
			}
			res := logReceiptResult{OK: true, Index: r.Index, Origin: cp.Origin, TreeSize: cp.Size, Entry: &e}
			if record != "" {
				raw, err := os.ReadFile(record)
				if err != nil {
					return badInput(err)
				}
				var p ledger.Private
				if err := json.Unmarshal(raw, &p); err != nil {
					return badInput(locale.Errorf("%s: %v", record, err))
				}
				if err := ledger.VerifyPrivate(e, p); err != nil {
					return locale.Errorf("%s: %v", record, err)
				}
				res.Record = true
			}
			if format == "json" {
				return logWriteJSON(cmd.OutOrStdout(), res)
			}
			w, p := cmd.OutOrStdout(), userPrinter()
			fmt.Fprintln(w, p.Sprintf("receipt OK: entry %[1]s is in log %[2]s (checkpoint of %[3]d entries)", indexText(r.Index), cp.Origin, cp.Size))
			fmt.Fprintln(w, p.Sprintf("  signature  ok (%s)", v.Name()))
			fmt.Fprintln(w, p.Sprintf("  origin     ok"))
			fmt.Fprintln(w, p.Sprintf("  entry hash ok"))
			fmt.Fprintln(w, p.Sprintf("  proof      ok (%d hashes)", len(r.InclusionProof)))
			if res.Record {
				fmt.Fprintln(w, p.Sprintf("  record     ok (matches record_hash)"))
			}
			// The entry's own fields, as the receipt holds them: its kind
			// and outcome are codes, its time RFC 3339 to the second.
			fields := p.Sprintf("  kind %s, time %s", e.Kind, e.Time.Format(time.RFC3339))
			if e.Outcome != "" {
				fields = p.Sprintf("  kind %s, time %s, outcome %s", e.Kind, e.Time.Format(time.RFC3339), e.Outcome)
			}
			fmt.Fprintln(w, fields)
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "verifier key, or a file holding it (default: the key under --data)")
	cmd.Flags().StringVar(&origin, "origin", "", "expected log origin (default: the key's name)")
	cmd.Flags().StringVar(&record, "record", "", "private record file to check against the entry's record_hash")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// logVerifyResult is the --format json view of a log audit.
type logVerifyResult struct {
	OK        bool    `json:"ok"`
	Origin    string  `json:"origin"`
	Size      uint64  `json:"size"`
	RootHash  string  `json:"root_hash"`
	SinceSize *uint64 `json:"since_size,omitempty"`
}

func newLogVerifyCmd() *cobra.Command {
	var key, since, format, logFlag string
	var noEntries bool
	var sampleEvery int
	cmd := &cobra.Command{
		Use:   "verify [--log DIR|URL] [--key VKEY]",
		Short: "Audit the whole log: re-read every entry, recompute the tree",
		Long: `Verify audits a log the way an outside party would: it checks the signed
checkpoint, re-reads every entry bundle, recomputes every leaf hash (from
the entries' bytes as stored, on every core) and the Merkle tree, compares
every stored tile hash, and compares the root with the checkpoint's. It names
the first entry index that does not match.

Entries are checked at hashing speed: every entry is screened for bytes no
canonical entry holds, and one in --sample-every (64 by default), drawn at
random for each run, is parsed and checked as a valid Accord entry in
canonical form. --sample-every 1 parses every entry (about 40 times slower);
--no-entry-check only checks hashes. A changed entry changes the root, so
tampering is caught whether or not the entry is parsed.

With --since, it also checks that the log still holds exactly the tree an
earlier checkpoint (saved with accord log checkpoint -o) committed to.
--log is the log directory (default DATA/log under --data) or the URL of its
read API, as for the other log commands. (Giving the log as a positional
argument still works, with a note: it is deprecated.)`,
		Example: `  accord log verify --data ./accord-data
  accord log verify --log ./accord-data/log --key "$(accord log key --data ./accord-data)"
  accord log verify --log https://accord.example/log --key "$VKEY" --since checkpoint-monday.txt`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := logCheckFormat(format); err != nil {
				return err
			}
			if len(args) == 1 {
				if logFlag != "" && logFlag != args[0] {
					return badInput(locale.Errorf("the log is given twice, as %q and --log %q: give only --log", args[0], logFlag))
				}
				fmt.Fprintln(cmd.ErrOrStderr(), userPrinter().Sprintf("accord: giving the log as an argument is deprecated; use --log %s", args[0]))
				logFlag = args[0]
			}
			v, err := logVerifierFor(key)
			if err != nil {
				return err
			}
			where := logLocation(logFlag)
			src, err := ledger.OpenSource(where, logHTTPClient)
			if err != nil {
				return badInput(err)
			}
			if sampleEvery < 1 {
				return badInput(locale.Errorf("--sample-every: %s, want 1 or more (1 parses every entry)", strconv.Itoa(sampleEvery)))
			}
			opts := ledger.VerifyOptions{}
			if !noEntries {
				opts.SampleEvery = sampleEvery
			}
			if since != "" {
				if opts.Since, err = os.ReadFile(since); err != nil {
					return badInput(locale.Errorf("--since: %v", err))
				}
			}
			bar := newLogProgressBar(cmd.ErrOrStderr(), userPrinter())
			if bar != nil {
				opts.Progress = bar.update
			}
			cp, err := ledger.Verify(cmd.Context(), src, v, "", opts)
			bar.finish()
			if err != nil {
				var me *ledger.MismatchError
				if errors.As(err, &me) {
					return locale.Errorf("log verification FAILED at entry %s: %s", indexText(me.Index), me.What)
				}
				if unreachable(err) {
					return locale.Errorf("the log at %s is unreachable, so nothing was verified (is the server running?): %v", where, err)
				}
				return locale.Errorf("log verification FAILED: %v", err)
			}
			res := logVerifyResult{OK: true, Origin: cp.Origin, Size: cp.Size, RootHash: base64.StdEncoding.EncodeToString(cp.Hash)}
			if since != "" {
				sc, err := ledger.ParseCheckpoint(opts.Since, v, "")
				if err == nil {
					res.SinceSize = &sc.Size
				}
			}
			if format == "json" {
				return logWriteJSON(cmd.OutOrStdout(), res)
			}
			w, p := cmd.OutOrStdout(), userPrinter()
			fmt.Fprintln(w, p.Sprintf("log %[1]s verified: %[2]d entries, root %[3]s, signed checkpoint ok", cp.Origin, cp.Size, res.RootHash))
			if res.SinceSize != nil {
				fmt.Fprintln(w, p.Sprintf("consistent with the saved checkpoint of %d entries", *res.SinceSize))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "verifier key, or a file holding it (default: the key under --data)")
	cmd.Flags().StringVar(&logFlag, "log", "", "log directory or URL (default DIR/log under --data)")
	cmd.Flags().StringVar(&since, "since", "", "checkpoint file saved earlier; check the log is consistent with it")
	cmd.Flags().BoolVar(&noEntries, "no-entry-check", false, "only check hashes, not that entries are valid Accord entries")
	cmd.Flags().IntVar(&sampleEvery, "sample-every", ledger.DefaultSampleEvery, "parse and check one entry in N, drawn at random (1: every entry); every entry is hashed and screened")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// logProgressBar draws verification progress on a terminal.
type logProgressBar struct {
	w     io.Writer
	p     *locale.Printer
	last  time.Time
	drawn bool
}

// newLogProgressBar returns a bar drawing on w in p's language, or nil
// when w is not a terminal (a nil bar draws nothing).
func newLogProgressBar(w io.Writer, p *locale.Printer) *logProgressBar {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &logProgressBar{w: w, p: p}
}

func (b *logProgressBar) update(done, total uint64) {
	if b == nil || (done < total && time.Since(b.last) < 100*time.Millisecond) {
		return
	}
	b.last = time.Now()
	const width = 30
	filled := width
	if total > 0 {
		filled = int(done * width / total)
	}
	fmt.Fprint(b.w, "\r"+b.p.Sprintf("verifying [%[1]s] %[2]d/%[3]d entries", strings.Repeat("#", filled)+strings.Repeat("-", width-filled), done, total))
	b.drawn = true
}

func (b *logProgressBar) finish() {
	if b != nil && b.drawn {
		fmt.Fprintln(b.w)
	}
}

func newLogConsistencyCmd() *cobra.Command {
	var key, logFlag, format string
	cmd := &cobra.Command{
		Use:   "consistency OLD NEW",
		Short: "Prove that a newer checkpoint extends an older one",
		Long: `Consistency reads two saved checkpoints (oldest first), fetches the RFC 6962
consistency proof between them from the log, verifies it, and prints it. A
valid proof shows that the log only appended entries between the two: it
rewrote nothing it had already committed to.`,
		Example: `  accord log checkpoint -o old.txt
  # ... later ...
  accord log checkpoint -o new.txt
  accord log consistency old.txt new.txt --key "$(accord log key)"`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := logCheckFormat(format); err != nil {
				return err
			}
			v, err := logVerifierFor(key)
			if err != nil {
				return err
			}
			oldRaw, err := os.ReadFile(args[0])
			if err != nil {
				return badInput(err)
			}
			newRaw, err := os.ReadFile(args[1])
			if err != nil {
				return badInput(err)
			}
			src, err := ledger.OpenSource(logLocation(logFlag), logHTTPClient)
			if err != nil {
				return badInput(err)
			}
			p, oldCP, newCP, err := ledger.Consistency(cmd.Context(), src, v, "", oldRaw, newRaw)
			if err != nil {
				return err
			}
			hashes := make([]string, len(p))
			for i, h := range p {
				hashes[i] = base64.StdEncoding.EncodeToString(h)
			}
			if format == "json" {
				return logWriteJSON(cmd.OutOrStdout(), map[string]any{
					"ok": true, "old": logCPJSON(oldCP), "new": logCPJSON(newCP), "proof": hashes,
				})
			}
			w, pr := cmd.OutOrStdout(), userPrinter()
			fmt.Fprintln(w, pr.Sprintf("consistent: %[1]s grew from %[2]d to %[3]d entries without rewriting any", newCP.Origin, oldCP.Size, newCP.Size))
			fmt.Fprintln(w, pr.Sprintf("proof (%d hashes):", len(hashes)))
			for _, h := range hashes {
				fmt.Fprintf(w, "  %s\n", h)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "verifier key, or a file holding it (default: the key under --data)")
	cmd.Flags().StringVar(&logFlag, "log", "", "log directory or URL (default DIR/log under --data)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func newLogServeCmd() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the log read-only over HTTP (C2SP tlog-tiles)",
		Long: `Serve publishes the log under --data read-only at the C2SP tlog-tiles paths:
/checkpoint, /tile/<L>/<N> and /tile/entries/<N>, with the cache headers the
spec expects. Standard tlog clients and witnesses read it without knowing
Accord. accord serve mounts the same handler under /log/.`,
		Example: `  accord log serve --addr :8081 --data ./accord-data
  curl http://localhost:8081/checkpoint
  accord log verify --log http://localhost:8081/ --key "$(accord log key)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireData(dataDir); err != nil {
				return err
			}
			dir := logLocation("")
			if _, err := ledger.OpenSource(dir, nil); err != nil {
				return badInput(err)
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return locale.Errorf("listen on %s: %v", addr, err)
			}
			srv := &http.Server{Handler: ledger.NewHandler(dir), ReadHeaderTimeout: 10 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(sctx)
			}()
			fmt.Fprintln(cmd.ErrOrStderr(), userPrinter().Sprintf("serving the log %s at http://%s/", dir, ln.Addr().String()))
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "localhost:8081", "address to listen on")
	return cmd
}

func newLogWitnessPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "witness-policy FILE",
		Short: "Check a witness policy file",
		Long: `Witness-policy parses a witness policy file (Sigsum policy format with C2SP
cosignature/v1 keys, as Tessera reads it) and lists the witnesses it names.
Pass the file to accord serve --witness-policy so that every checkpoint is
cosigned by a quorum of witnesses before it is published; see docs/ledger.md.`,
		Example: `  accord log witness-policy witnesses.txt`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return badInput(err)
			}
			wg, err := ledger.ParseWitnessPolicy(data)
			if err != nil {
				return badInput(locale.Errorf("%s: %v", args[0], err))
			}
			eps := wg.Endpoints()
			urls := make([]string, 0, len(eps))
			for u := range eps {
				urls = append(urls, u)
			}
			sort.Strings(urls)
			fmt.Fprintln(cmd.OutOrStdout(), userPrinter().Sprintf("witness policy OK: %d witness endpoints", len(urls)))
			for _, u := range urls {
				fmt.Fprintf(cmd.OutOrStdout(), "  %s (%s)\n", u, eps[u].Name())
			}
			return nil
		},
	}
	return cmd
}
