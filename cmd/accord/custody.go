package main

import (
	"context"
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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/custody"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
)

func init() {
	rootCmd.AddCommand(newCustodianCmd(), newSealCmd(), newOpenCmd())
}

func newCustodianCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "custodian",
		Short: "Hold one share of sealed datasets' keys and release it against logged decisions",
		Long: `A custodian holds one HPKE private key. Files sealed with accord seal carry
one share of their key for each custodian, sealed to its public key. A
custodian releases its share, sealed to the requester's key, only after it has
itself verified the decision's receipt against the decision log, found the
decision binding, allowing, for this dataset, this requester's key, a
releasing action and recent, found no void entry for it, run its own packs
(--packs), and made its own release entry durable in its release log under
--data. See docs/custody.md.`,
	}
	cmd.AddCommand(newCustodianKeygenCmd(), newCustodianServeCmd())
	return cmd
}

func newCustodianKeygenCmd() *cobra.Command {
	var out, format string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen -o FILE",
		Short: "Generate an HPKE (X25519) key pair for a custodian or a requester",
		Long: `keygen writes a new HPKE private key (DHKEM X25519) to -o/--output with mode 0600
and prints its public key (standard base64). A custodian gives its public key
to those who seal (accord seal --custodian ID=URL,PUBKEY); a requester puts
its public key in the request it asks a decision for ("recipient").`,
		Example: `  accord custodian keygen -o fr.key
  accord custodian keygen -o requester.key --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if out == "" {
				return badInput(locale.Errorf("-o/--output: name the file for the private key"))
			}
			k, err := custody.GenerateKey()
			if err != nil {
				return err
			}
			text, err := custody.EncodePrivateKey(k)
			if err != nil {
				return err
			}
			if err := writeKeyFile(out, text, force); err != nil {
				return err
			}
			pub := custody.EncodePublicKey(k.PublicKey())
			if format == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"public_key": pub, "private_key_file": out})
			}
			fmt.Fprintln(cmd.OutOrStdout(), pub)
			return nil
		},
	}
	addOutputFlag(cmd.Flags(), &out, "file for the private key (mode 0600)")
	cmd.Flags().BoolVar(&force, "force", false, "replace --output if it exists")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// packVeto is a custodian's own packs: it objects unless they allow the
// decision's request. Signed authorizations are not verified here, so a
// pack that requires one objects (default deny).
type packVeto struct {
	eng   *policy.Engine
	names []string
}

// Veto implements custody.Veto.
func (v packVeto) Veto(_ context.Context, r *custody.Release) error {
	req := *r.Request
	d := v.eng.Evaluate(&policy.Input{Request: &req}, policy.Options{Packs: v.names})
	if d.Outcome == model.Allow {
		return nil
	}
	var rules []string
	for _, rs := range d.Reasons {
		rules = append(rules, rs.Rule)
	}
	return locale.Errorf("this custodian's packs say %s (rules: %s)", d.Outcome, strings.Join(rules, ", "))
}

func newCustodianServeCmd() *cobra.Command {
	var (
		keyFile, logLoc, logKey, addr, id, packs, origin, witnessPolicy string
		window                                                          time.Duration
		registryDirs                                                    []string
	)
	cmd := &cobra.Command{
		Use:   "serve --key FILE --log URL --log-key VKEY",
		Short: "Answer POST /v1/release with this custodian's shares",
		Long: `serve answers POST /v1/release (see docs/custody.md) and serves its own
release log, read-only, under /log/ for auditors. The release log (a
Tessera POSIX log, its own signing key) and the private records of releases
(releases.jsonl) live under --data.

--log is the decision log (the Accord server's /log/ URL or a log
directory), --log-key its verifier key (or a file holding it). --packs names
packs this custodian evaluates itself on every decision's request: unless
they allow, it refuses (vetoed), whatever the decision says.`,
		Example: `  accord custodian serve --data fr-custodian --key fr.key --id fr \
    --log http://127.0.0.1:8700/log --log-key "$(accord log key)" --addr 127.0.0.1:8471`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile == "" || logLoc == "" || logKey == "" {
				return badInput(locale.Errorf("--key, --log and --log-key are required"))
			}
			for _, server := range []string{dbFileName, logDirName} {
				if _, err := os.Stat(filepath.Join(dataDir, server)); err == nil {
					return badInput(locale.Errorf("--data %s holds an Accord server's %s: give the custodian a directory of its own", dataDir, server))
				}
			}
			key, err := custody.ReadPrivateKey(keyFile)
			if err != nil {
				return badInput(locale.Errorf("--key: %v", err))
			}
			v, err := logVerifierFor(logKey)
			if err != nil {
				return err
			}
			src, err := ledger.OpenSource(logLoc, logHTTPClient)
			if err != nil {
				return badInput(locale.Errorf("--log: %v", err))
			}
			if id == "" {
				id = "custodian"
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return locale.Errorf("--data: %v", err)
			}
			if origin == "" {
				origin = "accord.custodian/" + id
			}
			rel, err := ledger.Open(ctx, filepath.Join(dataDir, "releases"), ledger.Options{Origin: origin})
			if err != nil {
				return locale.Errorf("open release log: %v", err)
			}
			defer rel.Close()
			records, err := os.OpenFile(filepath.Join(dataDir, "releases.jsonl"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
			if err != nil {
				return locale.Errorf("open release records: %v", err)
			}
			defer records.Close()
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			cfg := custody.CustodianConfig{ID: id, Key: key, Log: src, Verifier: v, Releases: rel, Records: records, Window: window, Logger: logger}
			if witnessPolicy != "" {
				pol, err := os.ReadFile(witnessPolicy)
				if err != nil {
					return badInput(locale.Errorf("--witness-policy: %v", err))
				}
				wg, err := ledger.ParseWitnessPolicy(pol)
				if err != nil {
					return badInput(locale.Errorf("--witness-policy %s: %v", witnessPolicy, err))
				}
				cfg.Witnesses = wg
			}
			if packs != "" {
				reg, err := registry.Load(registryDirs...)
				if err != nil {
					return badInput(locale.Errorf("load registry: %v", err))
				}
				eng, names, err := compilePacks(reg, packs)
				if err != nil {
					return err
				}
				cfg.Veto = packVeto{eng: eng, names: names}
			}
			c, err := custody.NewCustodian(cfg)
			if err != nil {
				return err
			}
			mux := http.NewServeMux()
			mux.Handle("POST /v1/release", c)
			mux.Handle("GET /log/", http.StripPrefix("/log", rel.Handler()))
			mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return locale.Errorf("--addr: %v", err)
			}
			hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintln(cmd.OutOrStdout(), userPrinter().Sprintf("custodian %s serving on http://%s (public key %s; release log %s)", id, ln.Addr(), custody.EncodePublicKey(key.PublicKey()), rel.VerifierKey()))
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return hs.Shutdown(sctx)
		},
	}
	f := cmd.Flags()
	addDataFlag(f)
	f.StringVar(&keyFile, "key", "", "the custodian's private key file (accord custodian keygen)")
	f.StringVar(&logLoc, "log", "", "the decision log: URL of its /log/ API or its directory")
	f.StringVar(&logKey, "log-key", "", "the decision log's verifier key, or a file holding it")
	f.StringVar(&addr, "addr", "127.0.0.1:8471", "address to listen on")
	f.StringVar(&id, "id", "", "this custodian's id, as the sealed files name it")
	f.StringVar(&origin, "origin", "", "origin of the release log (default accord.custodian/ID)")
	f.DurationVar(&window, "window", custody.DefaultWindow, "how long after a decision a release may follow it")
	f.StringVar(&witnessPolicy, "witness-policy", "", "witness policy file (as accord serve takes it): the decision log's checkpoint must be cosigned by its quorum")
	f.StringVar(&packs, "packs", "", "packs this custodian evaluates itself (names, files or directories, comma-separated); none when empty")
	f.StringSliceVar(&registryDirs, "registry", nil, "directory of registry override YAML files (repeatable), for --packs")
	return cmd
}

// parseCustodianFlag parses ID=URL,PUBKEY (or URL,PUBKEY: id c<n>).
func parseCustodianFlag(s string, n int) (custody.CustodianKey, error) {
	id := fmt.Sprintf("c%d", n+1)
	if i := strings.Index(s, "="); i > 0 && !strings.Contains(s[:i], "/") {
		id, s = s[:i], s[i+1:]
	}
	u, pub, ok := strings.Cut(s, ",")
	if !ok {
		return custody.CustodianKey{}, locale.Errorf("--custodian %q: want ID=URL,PUBKEY", s)
	}
	k, err := custody.ParsePublicKey(pub)
	if err != nil {
		return custody.CustodianKey{}, locale.Errorf("--custodian %s: %v", id, err)
	}
	return custody.CustodianKey{ID: id, URL: u, PublicKey: k}, nil
}

// writeAtomic runs fill on a temporary file beside path and renames it to
// path only when fill succeeds: never half a file.
func writeAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return locale.Errorf("-o: %v", err)
	}
	defer os.Remove(tmp.Name())
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return locale.Errorf("-o: %v", err)
	}
	if err := tmp.Close(); err != nil {
		return locale.Errorf("-o: %v", err)
	}
	return os.Rename(tmp.Name(), path)
}

// serverToken is --token, else $ACCORD_TOKEN.
func serverToken(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv("ACCORD_TOKEN")
}

func newSealCmd() *cobra.Command {
	var (
		dataset, out, labelsFile, server, token, format, sealRecord string
		custodians, vetoes                                          []string
		k                                                           int
	)
	cmd := &cobra.Command{
		Use:   "seal --dataset ID IN -o OUT --custodian ID=URL,PUBKEY ... -k K",
		Short: "Encrypt a file so that its key is held k-of-n by custodians",
		Long: `seal encrypts IN with a fresh data key (Tink streaming AEAD), splits the key
k-of-n with verifiable secret sharing, seals each share to one custodian's
HPKE public key, and writes OUT: a header (dataset, key id, custodians, k,
share commitments, policy binding over the dataset's labels) and the
ciphertext. A custodian named with --veto holds a veto: the file cannot be
opened without its release, however many others release. The labels are the dataset's catalog entry, read from --server
(GET /v1/datasets/ID) or from --labels FILE (JSON). With --server (operator
token) a seal entry — dataset, custodians, k, commitments' digest, never key
material — is logged (POST /v1/seals) before OUT appears; OUT is written
whole or not at all.`,
		Example: `  accord seal --dataset crm-eu crm.csv -o crm.sealed -k 2 --server http://127.0.0.1:8700 \
    --custodian fr=http://127.0.0.1:8471,$FR_PUB --custodian cn=http://127.0.0.1:8472,$CN_PUB \
    --custodian ch=http://127.0.0.1:8473,$CH_PUB`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if dataset == "" || out == "" {
				return badInput(locale.Errorf("--dataset and -o are required"))
			}
			var keys []custody.CustodianKey
			for i, c := range custodians {
				ck, err := parseCustodianFlag(c, i)
				if err != nil {
					return badInput(err)
				}
				keys = append(keys, ck)
			}
			var labels []byte
			switch {
			case labelsFile != "":
				b, err := os.ReadFile(labelsFile)
				if err != nil {
					return badInput(locale.Errorf("--labels: %v", err))
				}
				labels = b
			case server != "":
				b, err := custody.FetchLabels(cmd.Context(), nil, server, serverToken(token), dataset)
				if err != nil {
					return err
				}
				labels = b
			default:
				return badInput(locale.Errorf("name where the dataset's labels come from: --server URL (its catalog) or --labels FILE"))
			}
			in, err := os.Open(args[0])
			if err != nil {
				return badInput(err)
			}
			defer in.Close()
			var (
				h        *custody.Header
				logged   bool
				sealIdx  uint64
				sealPriv *ledger.Private
			)
			err = writeAtomic(out, func(w io.Writer) error {
				var err error
				h, err = custody.Seal(w, in, custody.SealOptions{Dataset: dataset, Labels: labels, Custodians: keys, K: k, Vetoes: vetoes})
				if err != nil {
					return badInput(err)
				}
				if server == "" {
					return nil
				}
				// The seal is on the log before the file exists.
				sealIdx, sealPriv, err = custody.LogSeal(cmd.Context(), nil, server, serverToken(token), h)
				logged = err == nil
				return err
			})
			if err != nil {
				return err
			}
			if logged && sealRecord != "" {
				b, _ := json.Marshal(sealPriv)
				if err := os.WriteFile(sealRecord, append(b, '\n'), 0o600); err != nil {
					return locale.Errorf("--seal-record: %v", err)
				}
			}
			if format == "json" {
				out := map[string]any{"file": out, "dataset": h.Dataset, "key_id": h.KeyID, "k": h.K, "custodians": len(h.Custodians), "header_digest": h.Digest()}
				if logged {
					out["seal_index"] = sealIdx
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			p := userPrinter()
			fmt.Fprintln(cmd.OutOrStdout(), p.Sprintf("sealed %s as %s: dataset %s, key %s, %d of %d custodians needed", args[0], out, h.Dataset, h.KeyID, h.K, len(h.Custodians)))
			if logged {
				fmt.Fprintln(cmd.OutOrStdout(), p.Sprintf("seal entry logged at index %s", strconv.FormatUint(sealIdx, 10)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataset, "dataset", "", "catalog id of the dataset")
	f.StringVarP(&out, "out", "o", "", "sealed file to write")
	f.StringArrayVar(&custodians, "custodian", nil, "a custodian: ID=URL,PUBKEY (repeat, in order)")
	f.IntVarP(&k, "k", "k", 2, "how many custodians' shares open the file")
	f.StringArrayVar(&vetoes, "veto", nil, "a custodian ID whose release is needed whatever the others do (repeatable): the location state's, for example")
	f.StringVar(&labelsFile, "labels", "", "JSON file of the dataset's labels (instead of --server)")
	f.StringVar(&server, "server", "", "Accord server whose catalog gives the dataset's labels")
	f.StringVar(&token, "token", "", "API token for --server (default $ACCORD_TOKEN)")
	f.StringVar(&format, "format", "text", "output format: text or json")
	f.StringVar(&sealRecord, "seal-record", "", "file to keep the seal entry's private record in (with --server)")
	return cmd
}

func newOpenCmd() *cobra.Command {
	var (
		decision, server, token, out, keyFile, format string
		urls                                          []string
		wait                                          time.Duration
	)
	cmd := &cobra.Command{
		Use:   "open IN --decision ID --server URL --key FILE -o OUT",
		Short: "Open a sealed file with the shares custodians release against a decision",
		Long: `open fetches decision ID (its receipt and private record) from --server,
asks every custodian the file names for its share, verifies each against the
file's commitments, rebuilds the key from k of them, checks the policy
binding and decrypts IN into OUT (written whole or not at all). --key is the
requester's private key whose public key the decision's request named as
"recipient". When fewer than k custodians release, each one's reason is
printed and the exit code is 3.`,
		Example: `  accord open crm.sealed --decision d-0123 --server http://127.0.0.1:8700 --key requester.key -o crm.csv`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if decision == "" || server == "" || keyFile == "" || out == "" {
				return badInput(locale.Errorf("--decision, --server, --key and -o are required"))
			}
			key, err := custody.ReadPrivateKey(keyFile)
			if err != nil {
				return badInput(locale.Errorf("--key: %v", err))
			}
			over := map[string]string{}
			for _, u := range urls {
				id, rest, ok := strings.Cut(u, "=")
				if !ok {
					return badInput(locale.Errorf("--custodian-url %q: want ID=URL", u))
				}
				over[id] = rest
			}
			d, err := custody.FetchDecision(cmd.Context(), nil, server, serverToken(token), decision, wait)
			if err != nil {
				return err
			}
			in, err := os.Open(args[0])
			if err != nil {
				return badInput(err)
			}
			defer in.Close()
			var h *custody.Header
			err = writeAtomic(out, func(w io.Writer) error {
				var err error
				h, err = custody.OpenFile(cmd.Context(), w, in, custody.OpenOptions{Decision: d, Key: key, URLs: over})
				return err
			})
			if err != nil {
				if errors.Is(err, custody.ErrTooFewShares) || errors.Is(err, custody.ErrVetoMissing) {
					return &exitCodeError{code: exitDeny, err: err}
				}
				return err
			}
			if format == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"file": out, "dataset": h.Dataset, "key_id": h.KeyID, "decision": decision})
			}
			fmt.Fprintln(cmd.OutOrStdout(), userPrinter().Sprintf("opened %s as %s: dataset %s, decision %s", args[0], out, h.Dataset, decision))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&decision, "decision", "", "id of the allowing decision")
	f.StringVar(&server, "server", "", "Accord server that made the decision")
	f.StringVar(&token, "token", "", "API token for --server (default $ACCORD_TOKEN)")
	f.StringVar(&keyFile, "key", "", "the requester's private key (its public key is the request's recipient)")
	f.StringVarP(&out, "out", "o", "", "file to write the plaintext to")
	f.StringArrayVar(&urls, "custodian-url", nil, "override a custodian's URL: ID=URL (repeatable)")
	f.DurationVar(&wait, "wait", 10*time.Second, "how long the server may wait for the decision's receipt")
	f.StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}
