package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/console"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/store"
)

// serveOptions are the flags of accord serve.
type serveOptions struct {
	addr                    string
	demo                    bool
	tlsCert, tlsKey, caFile string
	origin                  string
	packs                   string
	registryDirs            []string
	drain                   time.Duration
	checkpointInterval      time.Duration
	batchMaxAge             time.Duration
	witnessPolicy           string
	batchMaxSize            uint
	debugAddr               string
	csafURL                 string
	// csafKey is the CSAF provider's OpenPGP key file (default
	// DIR/keys/csaf-openpgp.asc), made at the first start.
	csafKey   string
	authCache time.Duration
	rateLimit float64
	rateBurst int
	logLevel  string
	// logURL, when set, is a mysql:// URL: the log is kept by Tessera's
	// MySQL driver there, shared by every replica (docs/scale.md).
	logURL string
	// logKey is the checkpoint signing key file (default DIR/keys/log.key).
	logKey string
	// approvalKey is the key answers to approval requests are signed with
	// (default DIR/keys/approval.key).
	approvalKey       string
	deadlines         string
	reconcileInterval time.Duration
	// fault names a fault to inject, for crash tests only (hidden flag).
	fault string
}

// serveDeps is what building the decider for serve needs.
type serveDeps struct {
	store        store.Store
	log          *ledger.Log
	metrics      *api.Metrics
	packs        string
	registryDirs []string
	// revocations are the lodged revocations the decider's authorizer
	// reads.
	revocations *api.Revocations
	// stallBeforeRecord makes every binding decision wait, once logged,
	// until its request ends, before it is stored: the window a crash
	// test kills the process in.
	stallBeforeRecord bool
	// approvals grants and asks for the data holders' approvals (nil:
	// none); approvalMeasures receives the approval measures of the packs
	// of each decider built; logger hears of approval requests not made.
	approvals        *approval.Service
	approvalMeasures *atomic.Pointer[map[string][]string]
	logger           *slog.Logger
}

// faultStallBeforeRecord is the --fault that stalls decisions between the
// log append and the store's commit.
const faultStallBeforeRecord = "stall-before-record"

// buildServeDecider builds the policy engine and the decider that serve
// answers with, and the registry they use; serve_decide.go sets it. It
// returns too a function mapping the decider's errors to HTTP statuses.
var buildServeDecider func(d serveDeps) (api.Decider, *registry.Registry, func(error) int, error)

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Accord server: decisions over HTTP, logged and counted",
		Long: `Serve the Accord HTTP API (/v1, described by /v1/openapi.json), the public
transparency-log read API (/log/), /healthz, /readyz and /metrics.

State lives in SQLite under --data (DIR/accord.db) unless --db names a
PostgreSQL database; the transparency log lives in DIR/log, with its
checkpoint signing key in DIR/keys, unless --log names a MySQL/MariaDB
database, which several replicas share (docs/scale.md). Logs are JSON lines on stderr and never contain
request bodies or personal data.

Tokens come from ` + "`accord token create`" + `; --demo seeds a sample world and
prints a token per role. With --tls-cert and --tls-key the server speaks
HTTPS; with --client-ca as well, a client certificate signed by that CA is
accepted in place of a token (subject CN = principal id, OU = role).

On SIGINT or SIGTERM the server stops accepting connections, lets requests
in flight finish (--drain), then closes the log (so every acknowledged entry
is in a published checkpoint) and the database.`,
		Example: `  # Try it: a sample world, tokens printed at start-up
  accord serve --demo

  # Embedded database and log under /var/lib/accord
  accord serve --data /var/lib/accord --addr 0.0.0.0:8700 --origin accord.example/fr

  # State in PostgreSQL (the log stays under --data)
  accord serve --data /var/lib/accord --db postgres://accord@db.internal:5432/accord

  # One of several replicas: state in PostgreSQL, the log in MySQL/MariaDB
  accord serve --data /var/lib/accord --db postgres://accord@db.internal:5432/accord \
    --log 'mysql://accord@tcp(mysql.internal:3306)/accord_log' --log-key /etc/accord/log.key

  # HTTPS, and client certificates from a CA as credentials
  accord serve --tls-cert server.pem --tls-key server.key --client-ca clients-ca.pem

  # Ask for a decision
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d @request.json http://127.0.0.1:8700/v1/decisions`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8700", "address to listen on")
	f.StringVar(&dbURL, "db", "", "PostgreSQL URL (postgres://user@host:5432/db); default: SQLite under --data")
	f.BoolVar(&o.demo, "demo", false, "seed a sample world (principals, datasets) and print a token per role")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM)")
	f.StringVar(&o.tlsKey, "tls-key", "", "private key of --tls-cert (PEM)")
	f.StringVar(&o.caFile, "client-ca", "", "accept client certificates signed by these CAs (PEM) as credentials")
	f.StringVar(&o.origin, "origin", "", "origin (name) of the log, required on the first start, which creates it: such as accord.example/fr; --demo uses accord.example/demo")
	f.StringVar(&o.packs, "packs", "auto", "packs to apply: auto, or a comma-separated list of pack names and pack files or directories")
	f.StringSliceVar(&o.registryDirs, "registry", nil, "directory of registry override YAML files (repeatable)")
	f.DurationVar(&o.drain, "drain", 30*time.Second, "how long to let requests in flight finish on shutdown")
	f.DurationVar(&o.checkpointInterval, "checkpoint-interval", 0, "how often the log publishes a checkpoint (default: the log's, about 1s)")
	f.StringVar(&o.witnessPolicy, "witness-policy", "", "witness policy file (Sigsum policy format): checkpoints are published only once cosigned (see docs/ledger.md)")
	f.DurationVar(&o.batchMaxAge, "batch-max-age", 0, "longest an entry waits to be written with others (default: the log's)")
	f.UintVar(&o.batchMaxSize, "batch-max-size", 0, "most entries written together (default: the log's)")
	f.Float64Var(&o.rateLimit, "rate-limit", api.DefaultRateLimit.PerSecond, "requests a second each principal may send, sustained (429 with Retry-After beyond it); 0 disables")
	f.IntVar(&o.rateBurst, "rate-burst", api.DefaultRateLimit.Burst, "requests each principal may send at once, above --rate-limit")
	f.DurationVar(&o.authCache, "auth-cache", time.Second, "trust a token that authenticated for this long without reading the database (expiry is always checked; revocation takes effect within it); 0 disables")
	f.StringVar(&o.csafURL, "csaf-url", "", "serve a CSAF provider under /.well-known/csaf/ with this public https base URL (docs/advisories.md)")
	f.StringVar(&o.csafKey, "csaf-key", "", "the CSAF provider's OpenPGP signing key file, made and logged at the first start, the same for every replica (default DIR/keys/csaf-openpgp.asc)")
	f.StringVar(&o.debugAddr, "debug-addr", "", "serve Go profiles (/debug/pprof/) on this separate address, e.g. 127.0.0.1:6060; never expose it")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&o.logURL, "log", "", "keep the log in MySQL/MariaDB, shared by replicas: mysql://USER[:PASS]@tcp(HOST:PORT)/DB (default: DIR/log; see docs/scale.md)")
	f.StringVar(&o.logKey, "log-key", "", "checkpoint signing key file, the same for every replica (default DIR/keys/log.key)")
	f.StringVar(&o.approvalKey, "approval-key", "", "key the data holders' answers to approval requests are signed with, the same for every replica; created if absent (default DIR/keys/approval.key)")
	f.DurationVar(&o.reconcileInterval, "reconcile-interval", 30*time.Second, "how often to check that every decision on the log is recorded or voided (0: only at start)")
	f.StringVar(&o.fault, "fault", "", "inject a fault, for crash tests: stall-before-record")
	_ = f.MarkHidden("fault")
	addDataFlag(f)
	f.StringVar(&o.deadlines, "mla-deadlines", "", "YAML file of MLA deadlines per agreement (answer, execute, validity as durations such as 240h)")
	return cmd
}

func init() { rootCmd.AddCommand(newServeCmd()) }

// maxHeaderBytes bounds the header block of a request (64 KiB): a larger
// one is refused with 431 before any handler runs.
const maxHeaderBytes = 64 << 10

// routeTesseraLogs sends Tessera's klog output to serve's logger. It must
// run before any log is open in the process (klog's logger is not
// synchronised); tests that run serve after opening logs replace it.
var routeTesseraLogs = ledger.RouteTesseraLogs

func runServe(cmd *cobra.Command, o serveOptions) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return badInput(locale.Errorf("--log-level %q: %v", o.logLevel, err))
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return badInput(locale.Errorf("--tls-cert and --tls-key go together"))
	}
	if o.caFile != "" && o.tlsCert == "" {
		return badInput(locale.Errorf("--client-ca needs --tls-cert and --tls-key"))
	}
	if buildServeDecider == nil {
		return locale.Errorf("this build of accord has no policy engine wired into serve")
	}
	logger := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	// Tessera logs through klog; send it to the same JSON stream.
	routeTesseraLogs(logger.With(slog.String("component", "tessera")))
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The first start creates the log, and its origin is the name every
	// checkpoint carries for ever: it must be chosen, not guessed from the
	// host name. Checked before anything is created.
	logDir := filepath.Join(dataDir, "log")
	_, statErr := os.Stat(logDir)
	newLog := os.IsNotExist(statErr)
	if newLog && o.origin == "" {
		if !o.demo {
			return badInput(locale.Errorf("--origin: this first start creates the transparency log; name it with --origin, such as accord.example/fr (your host and jurisdiction). Every checkpoint carries the origin and verifiers check it, so it can never change"))
		}
		o.origin = demoLogOrigin // as accord demo names its log
	}
	lock, err := lockDataErr(dataDir)
	if err != nil {
		return err
	}
	defer lock.release()
	logSize, err := preflightWorld(dataDir, dbURL == "")
	if err != nil {
		return err
	}
	st, kind, err := openStore(ctx)
	if err != nil {
		return locale.Errorf("open database: %v", err)
	}
	defer st.Close()
	if o.logURL != "" && logSize > 0 {
		return badInput(locale.Errorf("--log %s: %s already holds a log of %d entries; serving another would split the history: move it to the database first (accord log migrate, docs/scale.md) or use another --data (nothing was changed)",
			ledger.RedactMySQLURL(o.logURL), logDir, logSize))
	}
	if o.logURL == "" {
		if err := checkWorld(ctx, dataDir, st, kind, logSize); err != nil {
			return err
		}
	}
	var witnesses []byte
	if o.witnessPolicy != "" {
		if witnesses, err = os.ReadFile(o.witnessPolicy); err != nil {
			return badInput(locale.Errorf("--witness-policy: %v", err))
		}
	}
	if o.logURL != "" && !ledger.IsMySQLURL(o.logURL) {
		return badInput(locale.Errorf("--log: %q is not a %s URL", redactURL(o.logURL), ledger.MySQLScheme))
	}
	logWhere := logDir
	if o.logURL != "" {
		logWhere = ledger.RedactMySQLURL(o.logURL)
	}
	lopts := ledger.Options{
		Origin: o.origin, CheckpointInterval: o.checkpointInterval, BatchMaxAge: o.batchMaxAge, BatchMaxSize: o.batchMaxSize,
		WitnessPolicy: witnesses, KeyFile: o.logKey,
		OnHealth: func(err error) {
			if err != nil {
				logger.Error("the log cannot be written: decisions and logged changes answer 503 until it can", slog.String("log", logWhere), slog.String("error", err.Error()))
				return
			}
			logger.Info("the log can be written again", slog.String("log", logWhere))
		},
	}
	var lg *ledger.Log
	if o.logURL != "" {
		if lopts.KeyFile == "" {
			lopts.KeyFile = ledger.DefaultKeyFile(logDir)
		}
		lg, err = ledger.OpenMySQL(ctx, o.logURL, lopts)
		if err == nil {
			// The database must not record more of the log than the
			// shared log holds (checkWorld above saw no log on disk).
			size, serr := lg.IntegratedSize(ctx)
			if serr == nil {
				serr = checkWorld(ctx, dataDir, st, kind, size)
			}
			if serr != nil {
				lg.Close()
				return serr
			}
		}
	} else {
		lg, err = ledger.Open(ctx, logDir, lopts)
	}
	if err != nil {
		return locale.Errorf("open log: %v", err)
	}
	logClosed := false
	defer func() {
		if !logClosed {
			lg.Close()
		}
	}()
	started := time.Now()
	// With a shared log, other replicas may have decisions in flight:
	// no pass at start; the lease holder's periodic passes leave young
	// decisions alone (reconcileGrace) whoever made them.
	shared := o.logURL != ""
	if !shared {
		if err := reconcileAtStart(ctx, st, lg, logger); err != nil {
			return err
		}
	}
	metrics := api.NewMetrics()
	if raw, err := lg.Source().ReadCheckpoint(ctx); err == nil {
		if cp, err := ledger.ParseCheckpoint(raw, lg.Verifier(), lg.Origin()); err == nil {
			metrics.SetLogSize(cp.Size)
		}
	}
	apiDir, err := storedOverridesDir(ctx, st)
	if err != nil {
		return err
	}
	var deadlines mla.Deadlines
	if o.deadlines != "" {
		if deadlines, err = loadDeadlines(o.deadlines); err != nil {
			return badInput(locale.Errorf("--mla-deadlines: %v", err))
		}
	}
	revs := &api.Revocations{}
	seenRevocations := map[string]bool{}
	if _, err := loadNewRevocations(ctx, st, revs, seenRevocations, logger); err != nil {
		return err
	}
	var demoKey string
	var after []string // override directories loaded after the API's
	if o.demo {
		keyDir, keyPath, err := demoAuthorityKey(dataDir)
		if err != nil {
			return err
		}
		after, demoKey = []string{keyDir}, keyPath
	}
	if o.fault != "" && o.fault != faultStallBeforeRecord {
		return badInput(locale.Errorf("--fault %q: the only fault is %s", o.fault, faultStallBeforeRecord))
	}
	// What serve decides with, swapped whole when a logged registry change
	// takes effect (serve_registry.go).
	approvalKey := o.approvalKey
	if approvalKey == "" {
		approvalKey = filepath.Join(filepath.Dir(ledger.DefaultKeyFile(logDir)), approvalKeyFileName)
	}
	approvalMeasures := &atomic.Pointer[map[string][]string]{}
	approvals, err := serveApprovals(st, changeLog{log: lg, metrics: metrics}, approvalKey, approvalMeasures)
	if err != nil {
		return err
	}
	live, err := newLiveRegistry(serveDeps{store: st, log: lg, metrics: metrics, packs: o.packs, revocations: revs,
		stallBeforeRecord: o.fault == faultStallBeforeRecord, approvals: approvals, approvalMeasures: approvalMeasures, logger: logger},
		o.registryDirs, apiDir, after)
	if err != nil {
		return err
	}
	base, err := registry.Load(append(slices.Clone(o.registryDirs), after...)...)
	if err != nil {
		return badInput(locale.Errorf("load registry: %v", err))
	}
	changes := changeLog{log: lg, metrics: metrics}
	if err := logStartChanges(ctx, st, changes, o.packs, base, live.current().reg, logger); err != nil {
		return locale.Errorf("log pack and registry changes: %v", err)
	}
	lawful, err := serveLawful(ctx, st, lg, live.current().reg, revs, deadlines, logger)
	if err != nil {
		return err
	}
	live.wireLawful(lawful)
	if o.demo {
		if err := seedDemo(ctx, st, cmd.OutOrStdout(), filepath.Join(dataDir, demoTokensFile)); err != nil {
			return locale.Errorf("seed demo: %v", err)
		}
		fmt.Fprintln(cmd.OutOrStdout(), userPrinter().Sprintf("Signing key of %s (registered as its public_key): %s", demoAuthority, demoKey))
	}
	csafKey := o.csafKey
	if csafKey == "" {
		csafKey = filepath.Join(dataDir, "keys", "csaf-openpgp.asc")
	}
	advisories, err := serveAdvisories(ctx, st, changes, logger, 10*time.Second, o.csafURL, csafKey)
	if err != nil {
		return err
	}
	srv := api.New(api.Config{Store: st, Decider: live, Registry: live, Log: lg, Logger: logger, Metrics: metrics, ErrorStatus: live.status,
		CheckOverrides: overrideChecker(o.registryDirs), AuthCacheTTL: o.authCache, Lawful: lawful,
		RateLimit:       &api.RateLimit{PerSecond: o.rateLimit, Burst: o.rateBurst},
		RegistryChanges: &api.RegistryChanges{Log: changes, Prepare: live.Prepare}, SealLog: lg,
		Advisories: advisories, Approvals: serveApprovalsAPI(approvals)})

	// The web console answers "/" and /console/, as an in-process client
	// of the API (internal/console).
	cons, err := console.New(console.Config{API: srv, VerifierKey: lg.VerifierKey(), Origin: lg.Origin(), Logger: logger})
	if err != nil {
		return locale.Errorf("console: %v", err)
	}
	hs := &http.Server{
		Addr:              o.addr,
		Handler:           console.Mount(cons, srv),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if o.tlsCert != "" {
		tc, err := serverTLS(o)
		if err != nil {
			return badInput(err)
		}
		hs.TLSConfig = tc
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return locale.Errorf("listen on %s: %v", o.addr, err)
	}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	if newLog {
		logger.Warn("created a new transparency log: its origin is permanent; publish its verifier key",
			slog.String("origin", lg.Origin()), slog.String("log_key", lg.VerifierKey()))
		p := userPrinter()
		fmt.Fprint(cmd.ErrOrStderr(), "\n"+p.Sprintf("*** New transparency log %s ***", lg.Origin())+"\n"+
			p.Sprintf("*** Publish its verifier key: %s ***", lg.VerifierKey())+"\n\n")
	}
	logger.Info("accord serving",
		slog.String("url", scheme+"://"+ln.Addr().String()),
		slog.String("console", scheme+"://"+ln.Addr().String()+"/"),
		slog.String("database", kind),
		slog.String("log", lg.Location()),
		slog.String("origin", lg.Origin()),
		slog.String("log_key", lg.VerifierKey()))

	if o.debugAddr != "" {
		dbg := http.NewServeMux()
		dbg.HandleFunc("/debug/pprof/", pprof.Index)
		dbg.HandleFunc("/debug/pprof/profile", pprof.Profile)
		dbg.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() {
			err := http.ListenAndServe(o.debugAddr, dbg)
			logger.Warn("debug server stopped", slog.String("error", err.Error()))
		}()
	}
	go pruneCounters(ctx, st, startLease(ctx, st, leasePrune, logger), logger)
	go pruneIdempotencyKeys(ctx, st, time.Hour, logger)
	if kind == "postgres" {
		// Other servers may share the database: their registry changes
		// and lodged revocations take effect here within
		// registrySyncInterval.
		go syncRegistry(ctx, live, st, registrySyncInterval, logger)
		go syncRevocations(ctx, st, revs, seenRevocations, registrySyncInterval, logger)
	}
	reconcileGate, since := leaseGate(alwaysHeld), started
	if shared {
		reconcileGate, since = startLease(ctx, st, leaseReconcile+lg.Origin(), logger), time.Time{}
	}
	go reconcileLoop(ctx, st, lg, reconcileGate, since, 2*max(o.checkpointInterval, time.Second), o.reconcileInterval, logger)
	errc := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			errc <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			errc <- hs.Serve(api.ProblemListener(ln))
		}
	}()
	select {
	case err := <-errc:
		return locale.Errorf("serve: %v", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining requests", slog.Duration("drain", o.drain))
	sctx, cancel := context.WithTimeout(context.Background(), o.drain)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		logger.Warn("drain incomplete", slog.String("error", err.Error()))
	}
	logger.Info("closing the log: waiting for the last checkpoint")
	logClosed = true
	if err := lg.Close(); err != nil {
		return locale.Errorf("close log: %v", err)
	}
	logger.Info("stopped")
	return nil
}

// serverTLS builds the TLS configuration: the server certificate, and
// optionally the CAs whose client certificates serve as credentials.
func serverTLS(o serveOptions) (*tls.Config, error) {
	if _, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey); err != nil {
		return nil, locale.Errorf("--tls-cert/--tls-key: %v", err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, locale.Errorf("--client-ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, locale.Errorf("--client-ca %s: no PEM certificate found", o.caFile)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

// demoPrincipals and demoDatasets are the sample world --demo seeds:
// companies and authorities in several states, datasets located in several
// jurisdictions.
var demoPrincipals = []store.Principal{
	{ID: "acme", Name: "Acme SAS (demo)", Kind: "company", Role: "processor", Jurisdiction: "FR"},
	{ID: "globex", Name: "Globex Inc. (demo)", Kind: "company", Role: "vendor", Jurisdiction: "US", MayActFor: []string{"fbi"}},
	{ID: "hanwei", Name: "Hanwei Data Ltd (demo)", Kind: "company", Role: "processor", Jurisdiction: "CN"},
	{ID: "bka", Name: "Bundeskriminalamt (demo)", Kind: "state-authority", Role: "law-enforcement", Jurisdiction: "DE"},
	{ID: "fbi", Name: "Federal Bureau of Investigation (demo)", Kind: "state-authority", Role: "law-enforcement", Jurisdiction: "US"},
	{ID: "cnil", Name: "CNIL (demo)", Kind: "state-authority", Role: "regulator", Jurisdiction: "FR"},
	{ID: "demo-operator", Name: "Accord operator (demo)", Kind: "organization", Jurisdiction: "FR"},
	{ID: "demo-auditor", Name: "Auditor (demo)", Kind: "organization", Jurisdiction: "FR"},
	{ID: "demo-admin", Name: "Administrator (demo)", Kind: "organization", Jurisdiction: "FR"},
	// The lawful-access scenario of docs/lawful-access.md: a French central
	// authority, China's, and a provider in China that executes for France.
	{ID: "fr-bepi", Name: "Bureau de l'entraide pénale internationale (demo)", Kind: "state-authority", Role: "central-authority", Jurisdiction: "FR"},
	{ID: "cn-moj", Name: "Ministry of Justice of the PRC (demo)", Kind: "state-authority", Role: "central-authority", Jurisdiction: "CN"},
	{ID: "mailco-cn", Name: "Mailco (demo)", Kind: "company", Role: "processor", Jurisdiction: "CN", MayActFor: []string{"fr-bepi"}},
}

var demoDatasets = []store.Dataset{
	{ID: "crm-eu", Location: "FR", Origin: []string{"FR", "BE"}, Categories: []string{"personal.contact"}, Subjects: map[string]int64{"FR": 12000, "BE": 800}, Records: 12800, Classification: "general"},
	{ID: "health-us", Location: "US", Origin: []string{"US"}, Categories: []string{"personal.health"}, Subjects: map[string]int64{"US": 50000}, Records: 50000, Classification: "general"},
	{ID: "grid-de", Location: "DE", Origin: []string{"DE"}, Categories: []string{"cii.energy"}, Records: 2000000, Classification: "important", CII: &model.CII{State: "DE", Sector: "energy"}},
	{ID: "rides-cn", Location: "CN", Origin: []string{"CN"}, Categories: []string{"personal.geolocation.precise"}, Subjects: map[string]int64{"CN": 90000}, Devices: 90000, Records: 4000000, Classification: "important"},
	{ID: "logs-sg", Location: "SG", Origin: []string{"SG", "MY"}, Categories: []string{"technical.logs"}, Records: 1000000, Classification: "general"},
	// Held by acme, whose approver answers approval requests on it
	// (docs/custody.md, approvals).
	{ID: "firmware-fr", Location: "FR", Origin: []string{"FR"}, Categories: []string{"technical"}, Records: 40, Classification: "general", Holder: "acme"},
}

// demoTokens says which principal gets a token of which role.
var demoTokens = []struct{ principal, role string }{
	{"acme", store.RoleRequester},
	{"globex", store.RoleRequester},
	{"bka", store.RoleRequester},
	{"cnil", store.RoleAuthority},
	{"demo-operator", store.RoleOperator},
	{"demo-auditor", store.RoleAuditor},
	{"demo-admin", store.RoleAdmin},
	{"fr-bepi", store.RoleAuthority},
	{"cn-moj", store.RoleAuthority},
	{"mailco-cn", store.RoleRequester},
	{"globex", store.RoleVendor}, // publishes advisories (docs/advisories.md)
	{"acme", store.RoleApprover}, // answers approval requests on firmware-fr (docs/custody.md)
}

// demoTry is the command line --demo suggests: a decision asked with the
// requester's token, for the user to paste.
const demoTry = `curl -s -H "Authorization: Bearer $ACCORD_TOKEN_REQUESTER" -H 'Content-Type: application/json' \
  -d '{"action":"transfer","data":{"dataset":"crm-eu"},"destination":"US","purpose":"commercial"}' \
  http://127.0.0.1:8700/v1/decisions`

// demoLogOrigin names a log that serve --demo creates.
const demoLogOrigin = "accord.example/demo"

// demoTokensFile is where --demo also writes its tokens, as shell
// variables: `. accord-data/demo-tokens.env` then
// curl -H "Authorization: Bearer $ACCORD_TOKEN_REQUESTER" …
const demoTokensFile = "demo-tokens.env"

// seedDemo stores the sample world (keeping what exists), prints fresh
// tokens, valid 24 hours, and writes them to envFile (mode 0600) unless it
// is empty.
func seedDemo(ctx context.Context, st store.Store, out io.Writer, envFile string) error {
	for _, p := range demoPrincipals {
		if err := st.PutPrincipal(ctx, p); err != nil {
			return err
		}
	}
	for _, d := range demoDatasets {
		if err := st.CreateDataset(ctx, d); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	p := userPrinter()
	fmt.Fprintln(out, p.Sprintf("Demo world seeded. Tokens (valid 24 hours, shown once):"))
	now := time.Now()
	var env strings.Builder
	seen := map[string]bool{}
	for _, t := range demoTokens {
		secret, tok, err := store.NewToken(t.principal, t.role, now, 24*time.Hour)
		if err != nil {
			return err
		}
		if err := st.CreateToken(ctx, tok); err != nil {
			return err
		}
		fmt.Fprintf(out, "  %-10s %-14s %s\n", t.role, t.principal, secret)
		name := "ACCORD_TOKEN_" + strings.ToUpper(t.role) // the first token of each role
		if seen[name] {
			name = "ACCORD_TOKEN_" + strings.ToUpper(strings.ReplaceAll(t.principal, "-", "_"))
		}
		seen[name] = true
		fmt.Fprintf(&env, "export %s=%s\n", name, secret) // machine: a shell line the user sources
	}
	if envFile != "" {
		if err := os.WriteFile(envFile, []byte(env.String()), 0o600); err != nil {
			return locale.Errorf("write demo tokens: %v", err)
		}
		fmt.Fprintln(out, p.Sprintf("The same tokens as shell variables: %s", ". "+envFile))
	}
	fmt.Fprintln(out, p.Sprintf("Try: %s", demoTry))
	return nil
}

// pruneCounters deletes history counters older than store.Retention at
// start and then daily, until ctx ends: no window reads them any more, and
// data not needed is data not kept.
func pruneCounters(ctx context.Context, st store.Store, gate leaseGate, logger *slog.Logger) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		var n int64
		var err error
		if gate(ctx) {
			n, err = st.PruneHistory(ctx, store.PruneBefore(time.Now()))
		}
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("prune history counters", slog.String("error", err.Error()))
		case n > 0:
			logger.Info("pruned history counters", slog.Int64("rows", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pruneIdempotencyKeys deletes the Idempotency-Key records older than
// store.IdempotencyRetention at start and then every interval, until ctx
// ends: a claim checks the age of a key anyway, so this only bounds the
// table.
func pruneIdempotencyKeys(ctx context.Context, st store.Store, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := st.PruneIdempotencyKeys(ctx, time.Now().Add(-store.IdempotencyRetention))
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("prune idempotency keys", slog.String("error", err.Error()))
		case n > 0:
			logger.Info("pruned idempotency keys", slog.Int64("rows", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
