package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/advisory"
	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// Advisories configures the advisory endpoints (GDSI commitment 8):
// deployments, SBOM imports, vendor keys, signed advisories and the
// notices outbox. Without it (Config.Advisories nil) they answer 404.
//
// Publishing follows the order every binding path does: validate (DSSE
// signature with the vendor's logged key, schema, dates, ecosystems,
// lint), match, append the advisory entry and wait for its index, then
// store the advisory and its notices in one transaction. A store failure
// after the append voids the entry.
type Advisories struct {
	// Store keeps deployments, components, advisories and the outbox.
	Store store.Advisories
	// Log receives advisory entries. Required.
	Log Appender
	// Kick, when set, is called after notices are queued, to wake the
	// deliverer.
	Kick func()
	// Provider, when set, makes the server a CSAF provider under
	// /.well-known/csaf/ (the OSV export under /osv/ is always on).
	Provider *advisory.Provider
	// AllowHTTPWebhooks admits http:// webhook URLs to any host (tests
	// and demos); otherwise only https://, or http:// on loopback.
	AllowHTTPWebhooks bool

	// parsed caches published advisories, parsed, by key: a published
	// document never changes, and an SBOM import matches against all.
	parsed sync.Map // string -> *advisory.Advisory
}

var (
	rolesDeployments = []string{store.RoleRequester, store.RoleOperator}
	rolesReadDeploys = []string{store.RoleRequester, store.RoleOperator, store.RoleAuditor}
	rolesPublish     = []string{store.RoleVendor}
	rolesNotices     = []string{store.RoleOperator, store.RoleAuditor}
)

// advisoryAllow lists the methods of the advisory paths, for 405s.
var advisoryAllow = map[string]string{
	"/v1/deployments":        "GET, POST",
	"/v1/sboms":              "POST",
	"/v1/vendors/{id}/key":   "PUT",
	"/v1/advisories":         "GET, POST",
	"/v1/advisories/notices": "GET",
}

func (s *Server) advisoryRoutes() {
	m := s.mux
	with := func(h func(http.ResponseWriter, *http.Request, caller, *Advisories)) handlerFunc {
		return func(w http.ResponseWriter, r *http.Request, c caller) {
			if s.cfg.Advisories == nil {
				writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("advisories are not enabled on this server")))
				return
			}
			h(w, r, c, s.cfg.Advisories)
		}
	}
	// Every write honours Idempotency-Key (idempotency.go): a retried
	// publication is one advisory entry and one set of notices. A
	// deployment's answer holds its webhook secret: never cached, replay
	// included.
	m.Handle("POST /v1/deployments", s.auth(rolesDeployments, noStore(s.idempotent(with(s.createDeployment)))))
	m.Handle("GET /v1/deployments", s.auth(rolesReadDeploys, with(s.listDeployments)))
	m.Handle("POST /v1/sboms", s.auth(rolesDeployments, s.idempotentUpTo(advisory.MaxSBOM, with(s.importSBOM))))
	m.Handle("PUT /v1/vendors/{id}/key", s.auth(rolesWriteConfig, s.idempotent(with(s.putVendorKey))))
	m.Handle("POST /v1/advisories", s.auth(rolesPublish, s.idempotentUpTo(2*advisory.MaxAdvisory, with(s.publishAdvisory))))
	m.Handle("GET /v1/advisories", s.auth(rolesAny, with(s.listAdvisories)))
	m.Handle("GET /v1/advisories/notices", s.auth(rolesNotices, with(s.listNotices)))
	s.publicationRoutes()
}

// noStore marks every answer of h, a replayed one too, Cache-Control:
// no-store.
func noStore(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, c)
	}
}

// readLimited reads a body of the given content type up to limit bytes
// (413 above).
func readLimited(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *Problem) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=utf-8" {
		return nil, newProblem(http.StatusUnsupportedMediaType, locale.Errorf("Content-Type must be application/json"))
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, newProblem(http.StatusRequestEntityTooLarge, locale.Errorf("the body exceeds %s bytes", strconv.FormatInt(limit, 10)))
		}
		return nil, newProblem(http.StatusBadRequest, locale.Errorf("could not read the body"))
	}
	return b, nil
}

// advisoryProblem turns an advisory parse error into a 400 naming the
// JSON path.
func advisoryProblem(part string, err error) *Problem {
	var ie *advisory.InputError
	if errors.As(err, &ie) {
		p := newProblem(http.StatusBadRequest, locale.Errorf("%s: %v", part, ie))
		p.Field = ie.Path
		return p
	}
	return newProblem(http.StatusBadRequest, locale.Errorf("%s: %v", part, err))
}

// DeploymentDocument is a deployment as the API shows it; WebhookSecret
// only in the answer to its creation.
type DeploymentDocument struct {
	ID            string `json:"id"`
	Owner         string `json:"owner"`
	WebhookURL    string `json:"webhook_url"`
	WebhookSecret string `json:"webhook_secret,omitempty"`
	ContactRole   string `json:"contact_role"`
	Created       string `json:"created"`
}

func deploymentDoc(d store.Deployment) DeploymentDocument {
	return DeploymentDocument{ID: d.ID, Owner: d.Owner, WebhookURL: d.WebhookURL, ContactRole: d.ContactRole, Created: d.Created.UTC().Format(time.RFC3339)}
}

// checkWebhookURL admits https URLs, and http ones on loopback (or
// anywhere with AllowHTTPWebhooks).
func checkWebhookURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return locale.Errorf("an absolute http(s) URL without user info or fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowHTTP {
			return nil
		}
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() || u.Hostname() == "localhost" {
			return nil
		}
		return locale.Errorf("http:// is allowed on loopback only; use https://")
	}
	return locale.Errorf("scheme must be https (or http on loopback)")
}

func (s *Server) createDeployment(w http.ResponseWriter, r *http.Request, c caller, a *Advisories) {
	body, p := readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	var in struct {
		ID          string `json:"id"`
		WebhookURL  string `json:"webhook_url"`
		ContactRole string `json:"contact_role"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeProblem(w, r, jsonDecodeProblem(err))
		return
	}
	if !idPattern.MatchString(in.ID) {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "id", locale.Errorf("required: letters, digits, '.', '_' or '-', at most 128")))
		return
	}
	if err := checkWebhookURL(in.WebhookURL, a.AllowHTTPWebhooks); err != nil || len(in.WebhookURL) > 2048 {
		msg := locale.Errorf("at most 2048 bytes")
		if err != nil {
			msg = err
		}
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "webhook_url", msg))
		return
	}
	if !idPattern.MatchString(in.ContactRole) {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "contact_role", locale.Errorf("required: a role code (letters, digits, '.', '_' or '-'), never a person's name or address")))
		return
	}
	secret, err := advisory.NewWebhookSecret()
	if err != nil {
		writeProblem(w, r, newProblem(http.StatusInternalServerError, locale.Errorf("internal error")))
		return
	}
	d := store.Deployment{ID: in.ID, Owner: c.principal.ID, WebhookURL: in.WebhookURL, WebhookSecret: secret, ContactRole: in.ContactRole,
		Created: s.cfg.Now().UTC().Truncate(time.Second)}
	if err := a.Store.CreateDeployment(r.Context(), d); err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("deployment %s", d.ID)))
		return
	}
	doc := deploymentDoc(d)
	doc.WebhookSecret = secret
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, doc)
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request, c caller, a *Advisories) {
	owner := ""
	if c.role == store.RoleRequester {
		owner = c.principal.ID
	}
	ds, err := a.Store.ListDeployments(r.Context(), owner)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("deployments")))
		return
	}
	out := []DeploymentDocument{}
	for _, d := range ds {
		out = append(out, deploymentDoc(d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"deployments": out})
}

// parsedAdvisories returns every published advisory, parsed (once per
// server: the parse is cached), for matching a new SBOM against them.
func (a *Advisories) parsedAdvisories(ctx context.Context) ([]store.AdvisoryRecord, []*advisory.Advisory, error) {
	recs, err := a.Store.ListAdvisories(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]*advisory.Advisory, len(recs))
	for i, rec := range recs {
		if v, ok := a.parsed.Load(rec.Key); ok {
			out[i] = v.(*advisory.Advisory)
			continue
		}
		adv, err := advisory.Parse(rec.Document)
		if err != nil {
			return nil, nil, locale.Errorf("stored advisory %s no longer parses: %v", rec.Key, err)
		}
		a.parsed.Store(rec.Key, adv)
		out[i] = adv
	}
	return recs, out, nil
}

// SBOMImport is the answer of POST /v1/sboms.
type SBOMImport struct {
	Deployment string `json:"deployment"`
	Format     string `json:"format"`
	Digest     string `json:"digest"`
	Components int    `json:"components"`
	// Skipped counts components with neither purl nor CPE.
	Skipped int `json:"skipped"`
	// Notices counts the notices queued: published advisories that
	// affect the deployment.
	Notices int `json:"notices"`
}

func (s *Server) importSBOM(w http.ResponseWriter, r *http.Request, c caller, a *Advisories) {
	depID := r.URL.Query().Get("deployment")
	if depID == "" {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "deployment", locale.Errorf("query parameter required: the deployment the SBOM describes")))
		return
	}
	ctx := r.Context()
	dep, err := a.Store.Deployment(ctx, depID)
	if err != nil || c.role == store.RoleRequester && dep.Owner != c.principal.ID {
		if err == nil || errors.Is(err, store.ErrNotFound) {
			writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("deployment %s not found", depID)))
			return
		}
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("deployment %s", depID)))
		return
	}
	body, p := readLimited(w, r, advisory.MaxSBOM)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	info, err := advisory.ParseSBOM(body)
	if err != nil {
		writeProblem(w, r, advisoryProblem("SBOM", err))
		return
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	comps := make([]store.Component, len(info.Components))
	for i, c := range info.Components {
		c.Deployment = dep.ID
		comps[i] = c
	}
	recs, advs, err := a.parsedAdvisories(ctx)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("advisories")))
		return
	}
	ix := advisory.NewIndex(comps)
	var notices []store.Notice
	for i, adv := range advs {
		ms := ix.Match(adv)
		if len(ms) == 0 {
			continue
		}
		ns, err := advisory.Notices(recs[i], adv, advisory.Lint(adv), ms, now)
		if err != nil {
			writeProblem(w, r, newProblem(http.StatusInternalServerError, locale.Errorf("internal error")))
			return
		}
		notices = append(notices, ns...)
	}
	sb := store.SBOM{Deployment: dep.ID, Format: info.Format, Digest: info.Digest, Components: len(comps), Created: now}
	if err := a.Store.ImportSBOM(ctx, sb, comps, notices); err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("SBOM for %s", dep.ID)))
		return
	}
	if len(notices) > 0 && a.Kick != nil {
		a.Kick()
	}
	writeJSON(w, http.StatusCreated, SBOMImport{Deployment: dep.ID, Format: info.Format, Digest: info.Digest, Components: len(comps), Skipped: info.Skipped, Notices: len(notices)})
}

func (s *Server) putVendorKey(w http.ResponseWriter, r *http.Request, c caller, a *Advisories) {
	id := r.PathValue("id")
	body, p := readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	var in struct {
		PublicKey string `json:"public_key"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeProblem(w, r, jsonDecodeProblem(err))
		return
	}
	if _, err := authz.ParsePublicKey(in.PublicKey); err != nil {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "public_key", err))
		return
	}
	ctx := r.Context()
	pr, err := s.cfg.Store.Principal(ctx, id)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("principal %s", id)))
		return
	}
	if pr.Role != "vendor" {
		writeProblem(w, r, newProblem(http.StatusConflict, locale.Errorf("principal %s has role %s, not vendor", id, pr.Role)))
		return
	}
	now := s.cfg.Now()
	fp := KeyFingerprint(in.PublicKey)
	e, err := advisory.VendorKeyEntry(id, fp, now)
	if err != nil {
		writeProblem(w, r, newProblem(http.StatusBadRequest, locale.Errorf("the key cannot be logged: %v", err)))
		return
	}
	idx, ok := s.appendAdvisoryEntry(w, r, ctx, a, e)
	if !ok {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.Store.PutVendorKey(sctx, store.VendorKey{Vendor: id, PublicKey: in.PublicKey, LogIndex: idx, Created: e.Time}); err != nil {
		s.voidAdvisoryEntry(sctx, a, idx)
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("vendor key %s", id)))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"vendor": id, "key_fingerprint": fp, "log_index": idx})
}

// appendAdvisoryEntry appends e and waits for its index; on failure it
// answers 503.
func (s *Server) appendAdvisoryEntry(w http.ResponseWriter, r *http.Request, ctx context.Context, a *Advisories, e ledger.Entry) (uint64, bool) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	idx, err := a.Log.Append(actx, e)
	if err != nil {
		s.log.Error("log append", slog.String("kind", e.Kind), slog.String("error", err.Error()))
		writeProblem(w, r, newProblem(http.StatusServiceUnavailable, locale.Errorf("the log could not record it, so nothing was done; retry later")))
		return 0, false
	}
	return idx, true
}

func (s *Server) voidAdvisoryEntry(ctx context.Context, a *Advisories, idx uint64) {
	vi, err := a.Log.Append(ctx, ledger.VoidEntry(idx, s.cfg.Now()))
	attrs := []any{slog.Uint64("log_index", idx)}
	if err != nil {
		attrs = append(attrs, slog.String("void_error", err.Error()))
	} else {
		attrs = append(attrs, slog.Uint64("void_index", vi))
	}
	s.log.Error("advisory entry logged but not stored; voided", attrs...)
}

// AdvisoryDocument is a published advisory as the API shows it.
type AdvisoryDocument struct {
	Key       string             `json:"key"`
	Vendor    string             `json:"vendor"`
	ID        string             `json:"id"`
	Format    string             `json:"format"`
	Severity  string             `json:"severity"`
	Flags     []string           `json:"flags"`
	Lint      []advisory.Finding `json:"lint,omitempty"`
	Affected  int                `json:"affected"`
	LogIndex  uint64             `json:"log_index"`
	Published string             `json:"published"`
}

func (s *Server) publishAdvisory(w http.ResponseWriter, r *http.Request, c caller, a *Advisories) {
	ctx := r.Context()
	vendor := c.principal.ID
	body, p := readLimited(w, r, 2*advisory.MaxAdvisory)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	env, payload, err := advisory.ParseEnvelope(body)
	if err != nil {
		writeProblem(w, r, advisoryProblem("envelope", err))
		return
	}
	key, err := a.Store.VendorKey(ctx, vendor)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeProblem(w, r, newProblem(http.StatusForbidden, locale.Errorf("vendor %s has no registered advisory key (PUT /v1/vendors/%s/key)", vendor, vendor)))
			return
		}
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("vendor key")))
		return
	}
	pub, err := authz.ParsePublicKey(key.PublicKey)
	if err != nil {
		writeProblem(w, r, newProblem(http.StatusInternalServerError, locale.Errorf("internal error")))
		return
	}
	if err := advisory.Verify(ctx, env, pub); err != nil {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "/signatures", err))
		return
	}
	adv, err := advisory.Parse(payload)
	if err != nil {
		writeProblem(w, r, advisoryProblem("payload", err))
		return
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	paths := [3]string{"/published", "/modified", "/discovered"}
	if adv.Format == advisory.FormatCSAF {
		paths = [3]string{"/document/tracking/initial_release_date", "/document/tracking/current_release_date", "/vulnerabilities/discovery_date"}
	}
	if err := adv.CheckDates(now, paths); err != nil {
		writeProblem(w, r, advisoryProblem("payload", err))
		return
	}
	if !idPattern.MatchString(adv.ID) {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "id", locale.Errorf("the advisory id must be letters, digits, '.', '_' or '-', at most 128")))
		return
	}
	rec := store.AdvisoryRecord{Key: vendor + "/" + adv.ID, Vendor: vendor, ID: adv.ID, Format: adv.Format, Document: payload, Envelope: body,
		Severity: adv.Severity(), Published: now, Discovered: adv.Discovered}
	if _, err := a.Store.Advisory(ctx, rec.Key); err == nil {
		writeProblem(w, r, newProblem(http.StatusConflict, locale.Errorf("advisory %s is published already; publish a new id", rec.Key)))
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("advisory")))
		return
	}
	findings := advisory.Lint(adv)
	rec.Flags = advisory.Rules(findings)
	comps, err := a.Store.ListComponents(ctx, "")
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("components")))
		return
	}
	ms := advisory.NewIndex(comps).Match(adv)
	rec.Affected = len(advisory.Deployments(ms))
	e, err := advisory.AdvisoryEntry(rec, now)
	if err != nil {
		writeProblem(w, r, newProblem(http.StatusBadRequest, locale.Errorf("the advisory cannot be logged: %v", err)))
		return
	}
	idx, ok := s.appendAdvisoryEntry(w, r, ctx, a, e)
	if !ok {
		return
	}
	rec.LogIndex = idx
	notices, err := advisory.Notices(rec, adv, findings, ms, now)
	if err != nil {
		writeProblem(w, r, newProblem(http.StatusInternalServerError, locale.Errorf("internal error")))
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.Store.PublishAdvisory(sctx, rec, notices); err != nil {
		s.voidAdvisoryEntry(sctx, a, idx)
		p := s.storeProblem(err, locale.Errorf("advisory %s", rec.Key))
		p.setDetail(locale.Errorf("%v; not published (its log entry %s is voided)", p.detail, strconv.FormatUint(idx, 10)))
		writeProblem(w, r, p)
		return
	}
	if len(notices) > 0 && a.Kick != nil {
		a.Kick()
	}
	writeJSON(w, http.StatusCreated, AdvisoryDocument{Key: rec.Key, Vendor: vendor, ID: rec.ID, Format: rec.Format, Severity: rec.Severity,
		Flags: nonNilStrings(rec.Flags), Lint: findings, Affected: rec.Affected, LogIndex: idx, Published: now.Format(time.RFC3339)})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) listAdvisories(w http.ResponseWriter, r *http.Request, c caller, a *Advisories) {
	recs, err := a.Store.ListAdvisories(r.Context())
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("advisories")))
		return
	}
	out := []AdvisoryDocument{}
	for _, rec := range recs {
		out = append(out, AdvisoryDocument{Key: rec.Key, Vendor: rec.Vendor, ID: rec.ID, Format: rec.Format, Severity: rec.Severity,
			Flags: nonNilStrings(rec.Flags), Affected: rec.Affected, LogIndex: rec.LogIndex, Published: rec.Published.Format(time.RFC3339)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"advisories": out})
}

func (s *Server) listNotices(w http.ResponseWriter, r *http.Request, c caller, a *Advisories) {
	state := r.URL.Query().Get("state")
	if state != "" && !slices.Contains([]string{store.NoticePending, store.NoticeDelivered, store.NoticeDead}, state) {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "state", locale.Errorf("one of pending, delivered, dead")))
		return
	}
	ns, err := a.Store.ListNotices(r.Context(), state)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("notices")))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": ns})
}
