// Package console is Accord's web console: the pages people open every
// morning to see decisions, what waits on them, the log, the registry,
// lawful-access cases, reports and flows. It is served by the same binary
// at "/" and under /console/.
//
// The console is an in-process client of the HTTP API: every page asks the
// API handler it was given (Config.API) with the signed-in user's own
// bearer token, so each role sees exactly what the API lets it see and no
// more. The console keeps no data of its own besides sessions.
//
// Promises:
//
//   - Sign-in takes an API token and creates a session held in memory (a
//     restart signs everyone out). The browser gets a random session id in
//     a cookie that is HttpOnly, SameSite=Strict, and Secure when the
//     request came over TLS; the token never leaves the server again.
//   - A session ends after Config.IdleTimeout without a request, after
//     Config.MaxAge in any case, at sign-out, and at once when the API
//     refuses its token (revoked or expired): every page re-checks the token
//     through GET /v1/whoami before drawing anything.
//   - Every form carries a CSRF token bound to the session (or, for the
//     sign-in form, to a cookie: double submit), and every POST must also
//     pass net/http's cross-origin protection (Sec-Fetch-Site / Origin).
//   - Pages are drawn on the server with html/template (all output
//     escaped). Content-Security-Policy allows scripts, styles and images
//     from the console's own embedded files only: no inline script or
//     style, no network access beyond the server itself. htmx (vendored,
//     see static/VERSIONS) only enhances; every page works without script.
//   - Text goes through internal/locale; the language comes from ?lang=,
//     then a cookie, then Accept-Language. An unknown ?lang= is answered
//     with a 400 page listing the known languages, never a silent
//     fallback. Arabic is laid out right to left.
//   - Every view has a stable URL (filters are query parameters), an
//     export of what it shows, and the time it was drawn.
//
// Mount it beside the API with Mount:
//
//	srv := api.New(cfg)
//	c := console.New(console.Config{API: srv, VerifierKey: lg.VerifierKey(), Origin: lg.Origin()})
//	http.ListenAndServe(addr, console.Mount(c, srv))
package console

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/accord-dev/accord/internal/ledger"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what a Console needs. API is required.
type Config struct {
	// API is the HTTP API the console asks, in process (an *api.Server).
	API http.Handler
	// VerifierKey is the log's verifier key (signed-note format), shown on
	// the Log page and used to verify receipts; empty: receipts cannot be
	// verified here and the page says so.
	VerifierKey string
	// Origin is the log's origin, checked in every checkpoint verified.
	Origin string
	// IdleTimeout ends a session unused for that long (default 30 min).
	IdleTimeout time.Duration
	// MaxAge ends a session that long after sign-in, used or not (default
	// 8 h).
	MaxAge time.Duration
	// Logger receives one line per sign-in, sign-out and ended session
	// (principal id and reason; never a token). Nil discards.
	Logger *slog.Logger
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// Console is the web console's HTTP handler. Build one with New.
type Console struct {
	cfg      Config
	mux      *http.ServeMux
	pages    map[string]*template.Template
	sessions *sessions
	verifier note.Verifier
	log      *slog.Logger
	cop      *http.CrossOriginProtection
	audit    audit
}

// New returns the console for cfg. It fails only when the verifier key is
// malformed.
func New(cfg Config) (*Console, error) {
	if cfg.API == nil {
		return nil, errors.New("console: Config.API is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 8 * time.Hour
	}
	c := &Console{cfg: cfg, mux: http.NewServeMux(), log: cfg.Logger, cop: http.NewCrossOriginProtection()}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if cfg.VerifierKey != "" {
		v, err := ledger.NewVerifier(cfg.VerifierKey)
		if err != nil {
			return nil, err
		}
		c.verifier = v
	}
	c.sessions = newSessions(cfg.Now, cfg.IdleTimeout, cfg.MaxAge)
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c.pages = pages
	c.routes()
	return c, nil
}

// Owns reports whether the console answers path: "/" and everything under
// /console/. The API keeps every other path.
func Owns(path string) bool {
	return path == "/" || path == "/console" || strings.HasPrefix(path, "/console/")
}

// Mount returns a handler that sends the console's paths (see Owns) to c
// and every other path to api.
func Mount(c *Console, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Owns(r.URL.Path) {
			c.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows the console's own files and nothing else:
// no inline script or style, no framing, forms post only to the console.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP serves one console request, with the security headers every
// answer carries.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.mux.ServeHTTP(w, r)
}

func (c *Console) routes() {
	m := c.mux
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/console/static/", http.FileServerFS(static))
	m.Handle("GET /console/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
	m.HandleFunc("GET /{$}", c.home)
	m.HandleFunc("GET /console/{$}", c.home)
	m.HandleFunc("GET /console", c.home)
	m.HandleFunc("GET /console/signin", c.signinForm)
	m.HandleFunc("POST /console/signin", c.signin)
	m.HandleFunc("POST /console/signout", c.page(c.signout))
	m.HandleFunc("GET /console/decisions", c.page(c.decisions))
	m.HandleFunc("GET /console/decisions/export", c.page(c.exportDecisions))
	m.HandleFunc("GET /console/decisions/open", c.page(c.openDecision))
	m.HandleFunc("GET /console/decisions/new", c.page(c.requestForm))
	m.HandleFunc("POST /console/decisions", c.page(c.submitRequest))
	m.HandleFunc("GET /console/decisions/{id}", c.page(c.decision))
	m.HandleFunc("GET /console/decisions/{id}/receipt.json", c.page(c.receiptFile))
	m.HandleFunc("POST /console/decisions/{id}/verify", c.page(c.verify))
	m.HandleFunc("GET /console/pending", c.page(c.pending))
	m.HandleFunc("POST /console/pending/{id}/resubmit", c.page(c.resubmit))
	m.HandleFunc("POST /console/authorizations", c.page(c.lodge))
	m.HandleFunc("GET /console/approvals", c.page(c.approvalsList))
	m.HandleFunc("GET /console/approvals/{id}", c.page(c.approvalPage))
	m.HandleFunc("POST /console/approvals/{id}/approve", c.page(c.answerApproval("approve")))
	m.HandleFunc("POST /console/approvals/{id}/deny", c.page(c.answerApproval("deny")))
	m.HandleFunc("GET /console/datasets", c.page(c.datasetsList))
	m.HandleFunc("GET /console/datasets/new", c.page(c.datasetNew))
	m.HandleFunc("POST /console/datasets", c.page(c.saveDataset))
	m.HandleFunc("GET /console/datasets/{id}", c.page(c.datasetPage))
	m.HandleFunc("POST /console/datasets/{id}", c.page(c.saveDataset))
	m.HandleFunc("GET /console/advisories", c.page(c.advisories))
	m.HandleFunc("POST /console/advisories", c.page(c.publishAdvisory))
	m.HandleFunc("POST /console/advisories/keys", c.page(c.setVendorKey))
	m.HandleFunc("GET /console/log", c.page(c.logPage))
	m.HandleFunc("GET /console/registry", c.page(c.registryPage))
	m.HandleFunc("GET /console/mla", c.page(c.mlaList))
	m.HandleFunc("GET /console/mla/{id}", c.page(c.mlaCase))
	m.HandleFunc("GET /console/reports", c.page(c.reports))
	m.HandleFunc("GET /console/reports/export", c.page(c.exportReport))
	m.HandleFunc("GET /console/flows", c.page(c.flows))
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		v := c.newView(w, r)
		if v == nil {
			return
		}
		v.Title = v.T("Page not found")
		v.Error = v.T("There is no console page at %s.", r.URL.Path)
		c.render(w, http.StatusNotFound, "error", v)
	})
}

// landing is the page a role's work starts on: Decisions, except for
// the roles that list none.
func landing(role string) string {
	switch role {
	case "approver":
		return "/console/approvals"
	case "vendor":
		return "/console/advisories"
	case "operator":
		return "/console/datasets"
	}
	return "/console/decisions"
}

// home sends a signed-in user to its role's first page and anyone else to
// sign-in.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	if s := c.sessions.fromRequest(r); s != nil {
		http.Redirect(w, r, landing(s.who.Role), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}
