// Package api is Accord's HTTP interface: the /v1 JSON endpoints, the
// public transparency-log read API under /log/, the OpenAPI document that is
// their contract, health and metrics endpoints, and who may call what.
//
// Who is asking comes from the credential, never from the body: a bearer
// token (see `accord token create`) or a verified client certificate is
// bound to a principal and an API role. The requester of a decision is that
// principal; a body that names another requester is refused (403).
//
// Every error is an RFC 9457 problem+json document naming the offending
// field.
//
//	srv := api.New(api.Config{Store: st, Decider: d, Log: l, Registry: reg})
//	http.ListenAndServe("127.0.0.1:8700", srv)
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/store"
)

// maxBody bounds every request body: larger ones get 413.
const maxBody = 1 << 20

// Decider decides requests; *decide.Decider implements it.
type Decider interface {
	// Check evaluates req without logging it; the decision is not binding.
	Check(ctx context.Context, req *model.Request, explain bool) (model.Decision, error)
	// Decide evaluates req, appends it to the log and stores it, returning
	// the decision with its ID and log index.
	Decide(ctx context.Context, req *model.Request) (model.Decision, error)
}

// Log is the transparency log as the API reads it; *ledger.Log implements
// it.
type Log interface {
	// Handler serves the C2SP tlog-tiles read API (checkpoint, tiles,
	// entry bundles), mounted under /log/.
	Handler() http.Handler
	// Receipt returns the receipt of the entry at index, waiting until ctx
	// is done for a checkpoint that covers it.
	Receipt(ctx context.Context, index uint64) (*ledger.Receipt, error)
}

// logHealth is implemented by a Log that can say whether it can be
// written (*ledger.Log's Err); /readyz answers 503 while it cannot.
type logHealth interface{ Err() error }

// Registry is the read side of the registry; *registry.Registry implements
// it.
type Registry interface {
	model.Jurisdictions
	Jurisdictions() []registry.Jurisdiction
	Blocs() []registry.Bloc
	Agreements() []registry.Agreement
	Authorities() []registry.Authority
}

// Config is what a Server needs. Store, Decider and Registry are required.
type Config struct {
	Store    store.Store
	Decider  Decider
	Registry Registry
	// Log serves /log/ and receipts; without one, /log/ answers 404 and
	// decisions carry no receipt.
	Log Log
	// Logger receives one line per request (method, route, status,
	// duration, principal id; never a body). Nil discards.
	Logger *slog.Logger
	// Metrics collects Prometheus metrics served at /metrics; nil makes a
	// fresh set.
	Metrics *Metrics
	// ErrorStatus maps an error of the Decider to an HTTP status (0: not
	// known, use the default: 503 for store.ErrUnavailable and timeouts,
	// 400 for *model.InputError, else 500). `accord serve` passes one that
	// knows decide's sentinel errors.
	ErrorStatus func(error) int
	// CheckOverrides, when set, is run before an operator override is stored
	// or deleted, with every override that would then be stored; an error
	// refuses the change (400). `accord serve` checks that the registry
	// still loads.
	CheckOverrides func(ctx context.Context, all []store.Override) error
	// RegistryChanges, when set, makes PUT and DELETE
	// /v1/registry/{kind}/{id} logged and live (see RegistryChanges);
	// without it they answer 404.
	RegistryChanges *RegistryChanges
	// SealLog, when set, makes POST /v1/seals append seal entries to it
	// (the decision log); without it that route answers 404.
	SealLog Appender
	// AuthCacheTTL, when positive, lets a token that authenticated be
	// trusted for that long without reading the database again. Expiry is
	// checked on every request; a revocation takes effect within the TTL.
	// Zero reads the database on every request.
	AuthCacheTTL time.Duration
	// ReceiptWait bounds how long GET /v1/decisions/{id} waits for a
	// receipt before answering without one (default 2s).
	ReceiptWait time.Duration
	// Lawful configures the lawful-access endpoints (authorizations,
	// revocations, MLA cases, transparency reports); nil: they answer 404.
	Lawful *Lawful
	// Advisories configures the advisory endpoints (deployments, SBOMs,
	// vendor keys, advisories, notices); nil: they answer 404.
	Advisories *Advisories
	// Approvals configures the data holders' approval endpoints
	// (/v1/approvals); nil: they answer 404.
	Approvals *Approvals
	// RateLimit, when set with a positive PerSecond, bounds each
	// principal's requests (429 beyond it; see RateLimit). Nil: no limit.
	// `accord serve` sets DefaultRateLimit unless told otherwise.
	RateLimit *RateLimit
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// Server is Accord's HTTP handler. Build one with New.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	metrics *Metrics
	log     *slog.Logger
	auths   authCache
	// changeMu makes registry changes one at a time, from validation to
	// taking effect.
	changeMu sync.Mutex
	// limits holds the per-principal rate limits; nil: none.
	limits *limiter
}

// New returns the server for cfg.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReceiptWait == 0 {
		cfg.ReceiptWait = 2 * time.Second
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: cfg.Metrics, log: cfg.Logger}
	if rl := cfg.RateLimit; rl != nil && rl.PerSecond > 0 {
		s.limits = &limiter{cfg: *rl}
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.routes()
	return s
}

// Metrics returns the server's metrics, for wrapping the log and the
// policy engine with timers.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Who may call what. Admin may call everything that needs a role.
var (
	rolesDecide      = []string{store.RoleRequester}
	rolesCheck       = []string{store.RoleRequester, store.RoleOperator, store.RoleAuditor}
	rolesReadRecords = []string{store.RoleRequester, store.RoleAuditor} // requesters: their own only
	rolesReadCatalog = []string{store.RoleRequester, store.RoleOperator, store.RoleAuditor}
	rolesWriteConfig = []string{store.RoleOperator}
	rolesAny         = store.Roles
)

func (s *Server) routes() {
	m := s.mux
	m.Handle("POST /v1/decisions", s.auth(rolesDecide, s.idempotent(s.postDecision)))
	m.Handle("GET /v1/decisions/{id}", s.auth(rolesReadRecords, s.getDecision))
	m.Handle("GET /v1/decisions", s.auth(rolesListDecisions, s.listDecisions))
	m.Handle("GET /v1/decisions/{id}/record", s.auth(rolesReadRecord, s.getDecisionRecord))
	m.Handle("POST /v1/check", s.auth(rolesCheck, s.postCheck))
	m.Handle("GET /v1/whoami", s.auth(rolesWhoAmI, s.whoami))

	m.Handle("GET /v1/datasets", s.auth(rolesReadCatalog, s.listDatasets))
	m.Handle("POST /v1/datasets", s.auth(rolesWriteConfig, s.idempotent(s.createDataset)))
	m.Handle("GET /v1/datasets/{id}", s.auth(rolesReadCatalog, s.getDataset))
	m.Handle("POST /v1/seals", s.auth(rolesWriteConfig, s.postSeal))
	m.Handle("PUT /v1/datasets/{id}", s.auth(rolesWriteConfig, s.idempotent(s.putDataset)))
	m.Handle("DELETE /v1/datasets/{id}", s.auth(rolesWriteConfig, s.idempotent(s.deleteDataset)))

	m.Handle("GET /v1/registry/changes", s.auth(rolesAny, s.listChanges))
	m.Handle("GET /v1/registry/{kind}", s.auth(rolesAny, s.listRegistry))
	m.Handle("GET /v1/registry/{kind}/{id}", s.auth(rolesAny, s.getOverride))
	m.Handle("PUT /v1/registry/{kind}/{id}", s.auth(rolesWriteConfig, s.idempotent(s.putOverride)))
	m.Handle("DELETE /v1/registry/{kind}/{id}", s.auth(rolesWriteConfig, s.idempotent(s.deleteOverride)))

	s.lawfulRoutes()
	s.advisoryRoutes()
	s.approvalRoutes()

	m.HandleFunc("GET /v1/openapi.json", serveOpenAPI)
	m.HandleFunc("GET /problems/{type}", serveProblemPage)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	m.HandleFunc("GET /readyz", s.readyz)
	m.Handle("GET /metrics", s.metrics.Handler())
	if s.cfg.Log != nil {
		m.Handle("GET /log/", http.StripPrefix("/log", s.cfg.Log.Handler()))
	}
	// Any other method on a known path: 405 as a problem, with Allow.
	allows := map[string]string{
		"/v1/decisions":             "GET, POST",
		"/v1/decisions/{id}":        "GET",
		"/v1/decisions/{id}/record": "GET",
		"/v1/check":                 "POST",
		"/v1/datasets":              "GET, POST",
		"/v1/datasets/{id}":         "GET, PUT, DELETE",
		"/v1/registry/changes":      "GET",
		"/v1/registry/{kind}":       "GET",
		"/v1/registry/{kind}/{id}":  "GET, PUT, DELETE",
		"/v1/openapi.json":          "GET",
		"/problems/{type}":          "GET",
		"/healthz":                  "GET",
		"/readyz":                   "GET",
		"/metrics":                  "GET",
		"/v1/whoami":                "GET",
	}
	for path, allow := range lawfulAllow {
		allows[path] = allow
	}
	for path, allow := range advisoryAllow {
		allows[path] = allow
	}
	for path, allow := range approvalAllow {
		allows[path] = allow
	}
	for path, allow := range allows {
		h := func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeProblem(w, r, newProblem(http.StatusMethodNotAllowed, locale.Errorf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow)))
		}
		if path == "/v1/registry/changes" {
			// A pattern for every method would clash with
			// "GET /v1/registry/{kind}"; name the others one by one.
			for _, method := range []string{"POST", "PUT", "PATCH", "DELETE"} {
				m.HandleFunc(method+" "+path, h)
			}
			continue
		}
		m.HandleFunc(path, h)
	}
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("no endpoint %s; see /v1/openapi.json", r.URL.Path)))
	})
}

// ServeHTTP serves one request, logging its outcome.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Now()
	rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rw, r)
	_, pattern := s.mux.Handler(r)
	attrs := []any{
		slog.String("method", r.Method),
		slog.String("route", pattern),
		slog.Int("status", rw.status),
		slog.Duration("duration", s.cfg.Now().Sub(start)),
	}
	if rw.principal != "" {
		attrs = append(attrs, slog.String("principal", rw.principal))
	}
	level := slog.LevelInfo
	switch {
	case rw.status == http.StatusServiceUnavailable:
		level = slog.LevelWarn
	case rw.status >= 500:
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "request", attrs...)
}

// statusWriter remembers the status written and who was asking, for the
// request log.
type statusWriter struct {
	http.ResponseWriter
	status    int
	principal string
}

// WriteHeader remembers the status for the request log.
func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.log.Warn("database not ready", slog.String("error", err.Error()))
		writeProblem(w, r, newProblem(http.StatusServiceUnavailable, locale.Errorf("the database does not answer")))
		return
	}
	if h, ok := s.cfg.Log.(logHealth); ok {
		if err := h.Err(); err != nil {
			s.log.Warn("log not ready", slog.String("error", err.Error()))
			writeProblem(w, r, newProblem(http.StatusServiceUnavailable, locale.Errorf("the log cannot be written")))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// storeProblem turns a store error into a problem: 404, 409, 503 or 500.
// what names the resource, as a catalog message.
func (s *Server) storeProblem(err error, what error) *Problem {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return newProblem(http.StatusNotFound, locale.Errorf("%v not found", what))
	case errors.Is(err, store.ErrConflict):
		return newProblem(http.StatusConflict, locale.Errorf("%v already exists", what))
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return newProblem(http.StatusServiceUnavailable, locale.Errorf("the database is unavailable"))
	}
	s.log.Error("store", slog.String("what", what.Error()), slog.String("error", err.Error()))
	return newProblem(http.StatusInternalServerError, locale.Errorf("internal error"))
}
