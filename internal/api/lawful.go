package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/report"
	"github.com/accord-dev/accord/internal/store"
)

// Lawful configures the lawful-access endpoints: lodging signed
// authorizations and revocations, mutual-legal-assistance cases, and the
// transparency report. Without it (Config.Lawful nil) they answer 404.
type Lawful struct {
	// Keys gives the authorities' public keys (the registry); lodged
	// statements verify against them. Required.
	Keys authz.Keys
	// Log receives the lodged statements (kinds authorization and
	// revocation). Required.
	Log Appender
	// Revocations receives every lodged revocation; the decider's
	// authz.Authorizer reads it, so a revoked authorization stops counting
	// at once. Required.
	Revocations *Revocations
	// Cases runs MLA cases; its Log appends mla-transition entries.
	// Required.
	Cases *mla.Service
	// Entries returns the entries the transparency report reads (at least
	// those report.Reads selects) after verifying the whole log (see
	// ledger.Verify with VerifyOptions.OnEntry and Want), and the
	// checkpoint they were verified against, which the report names: the
	// report is built only from a log that verifies. Required.
	Entries func(ctx context.Context) ([]report.Logged, *ledger.Checkpoint, error)
}

// Appender appends one entry to the transparency log and returns its index;
// *ledger.Log implements it.
type Appender interface {
	Append(ctx context.Context, e ledger.Entry) (uint64, error)
}

// Revocations is the set of lodged revocations, safe for concurrent use: the
// API adds to it, the decider reads it (it implements authz.RevocationSet).
// The zero value is empty and ready.
type Revocations struct {
	mu  sync.RWMutex
	set authz.Revocations
}

// Add records a verified revocation (see authz.Revocations.Add).
func (r *Revocations) Add(v *authz.Verified) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.set.Add(v)
}

// Revocation implements authz.RevocationSet.
func (r *Revocations) Revocation(id, state string) (authz.Revocation, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.set.Revocation(id, state)
}

// Lodged is the answer to lodging a statement.
type Lodged struct {
	// ID, Type, Issuer and Jurisdiction come from the verified statement.
	ID           string `json:"id"`
	Type         string `json:"type"`
	Issuer       string `json:"issuer"`
	Jurisdiction string `json:"jurisdiction"`
	// KeyID is the id of the key that verified the signature.
	KeyID string `json:"key_id"`
	// Digest is the hex SHA-256 of the payload.
	Digest string `json:"digest"`
	// LogIndex is the index of the statement's log entry.
	LogIndex uint64 `json:"log_index"`
	// Refers is, for a revocation, the log index of the authorization it
	// withdraws when that was lodged here.
	Refers *uint64 `json:"refers,omitempty"`
}

var (
	rolesAuthority = []string{store.RoleAuthority}
	rolesExecute   = []string{store.RoleRequester}
	rolesReadCases = []string{store.RoleAuthority, store.RoleAuditor, store.RoleRequester}
	rolesReports   = []string{store.RoleAuditor}
	// rolesReadStatements: an authority reads its own state's statements.
	rolesReadStatements = []string{store.RoleAuthority, store.RoleAuditor}
)

func (s *Server) lawfulRoutes() {
	m := s.mux
	m.Handle("POST /v1/authorizations", s.auth(rolesAuthority, s.idempotent(s.lawful(func(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
		s.lodge(w, r, c, l, authz.TypeAuthorization)
	}))))
	m.Handle("POST /v1/revocations", s.auth(rolesAuthority, s.idempotent(s.lawful(func(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
		s.lodge(w, r, c, l, authz.TypeRevocation)
	}))))
	m.Handle("GET /v1/authorizations", s.auth(rolesReadStatements, s.lawful(s.listAuthorizations)))
	m.Handle("GET /v1/authorizations/{digest}", s.auth(rolesReadStatements, s.lawful(func(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
		s.getStatement(w, r, c, authz.TypeAuthorization)
	})))
	m.Handle("GET /v1/revocations/{digest}", s.auth(rolesReadStatements, s.lawful(func(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
		s.getStatement(w, r, c, authz.TypeRevocation)
	})))
	m.Handle("GET /v1/reports/transparency", s.auth(rolesReports, s.lawful(s.transparency)))
	m.Handle("POST /v1/mla", s.auth(rolesAuthority, s.idempotent(s.lawful(s.openCase))))
	m.Handle("GET /v1/mla", s.auth(rolesReadCases, s.lawful(s.listCases)))
	m.Handle("GET /v1/mla/{id}", s.auth(rolesReadCases, s.lawful(s.getCase)))
	m.Handle("POST /v1/mla/{id}/execute", s.auth(rolesExecute, s.idempotent(s.lawful(s.executeCase))))
	m.Handle("POST /v1/mla/{id}/{verb}", s.auth(rolesAuthority, s.idempotent(s.lawful(s.moveCase))))
	m.Handle("GET /v1/mla/{id}/authorization", s.auth(rolesReadCases, s.lawful(s.caseAuthorization)))
}

// lawfulAllow lists the methods of the lawful-access paths, for 405s.
var lawfulAllow = map[string]string{
	"/v1/authorizations":          "GET, POST",
	"/v1/revocations":             "POST",
	"/v1/authorizations/{digest}": "GET",
	"/v1/revocations/{digest}":    "GET",
	"/v1/reports/transparency":    "GET",
	"/v1/mla":                     "GET, POST",
	"/v1/mla/{id}":                "GET",
	"/v1/mla/{id}/{verb}":         "POST",
}

// lawful passes the configuration to h, or answers 404 when the server
// has none.
func (s *Server) lawful(h func(http.ResponseWriter, *http.Request, caller, *Lawful)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		if s.cfg.Lawful == nil {
			writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("lawful access is not configured on this server")))
			return
		}
		h(w, r, c, s.cfg.Lawful)
	}
}

// lodge verifies a signed statement of type typ against the registry's
// keys, checks that the caller acts for the signing authority's state,
// appends it to the log, stores it and (for a revocation) puts it in
// effect.
func (s *Server) lodge(w http.ResponseWriter, r *http.Request, c caller, l *Lawful, typ string) {
	body, p := readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	env, err := authz.ParseEnvelope(body)
	if err != nil {
		writeProblem(w, r, authzProblem(err))
		return
	}
	v, err := authz.Open(r.Context(), *env, l.Keys)
	if err != nil {
		writeProblem(w, r, authzProblem(err))
		return
	}
	st := v.Statement
	if st.Type != typ {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "payload.type", locale.Errorf("is %q; lodge it at /v1/%ss", st.Type, st.Type)))
		return
	}
	me := c.principal
	if me.Kind != model.KindStateAuthority || v.Authority.Jurisdiction != me.Jurisdiction || st.IssuerJurisdiction != me.Jurisdiction {
		writeProblem(w, r, newProblem(http.StatusForbidden, locale.Errorf("%s is signed by %s for %s; %s may lodge only statements of authorities of its own state (%s)",
			st.ID, v.Authority.ID, st.IssuerJurisdiction, me.ID, me.Jurisdiction)))
		return
	}
	ctx := r.Context()
	lodged, err := s.cfg.Store.ListStatements(ctx, "")
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("statement")))
		return
	}
	var refers *uint64
	for _, old := range lodged {
		if old.Digest == v.Digest {
			writeProblem(w, r, newProblem(http.StatusConflict, locale.Errorf("%s %s was lodged already (log index %s)", st.Type, st.ID, strconv.FormatUint(old.LogIndex, 10))))
			return
		}
		if typ == authz.TypeRevocation && old.Type == authz.TypeAuthorization && old.ID == st.Revokes && old.Jurisdiction == st.IssuerJurisdiction {
			refers = &old.LogIndex
		}
	}
	if typ == authz.TypeRevocation {
		// Refuse a revocation the set would refuse before logging it.
		var probe authz.Revocations
		if err := probe.Add(v); err != nil {
			writeProblem(w, r, newProblem(http.StatusBadRequest, err))
			return
		}
	}
	now := s.cfg.Now().UTC()
	e, priv, err := ledger.NewRecord(typ, now, json.RawMessage(body))
	if err != nil {
		writeProblem(w, r, newProblem(http.StatusBadRequest, locale.Errorf("the envelope is not JSON the log can keep")))
		return
	}
	e.Subject = st.ID
	e.Jurisdiction = st.IssuerJurisdiction
	e.Requester = &ledger.Party{Kind: string(me.Kind), Role: me.Role, State: me.Jurisdiction}
	e.Refers = refers
	if st.Scope != nil {
		e.Purpose = joinPurposes(st.Scope.Purposes)
		e.Categories = slices.Sorted(slices.Values(st.Scope.Categories))
	}
	idx, err := l.Log.Append(ctx, e)
	if err != nil {
		writeProblem(w, r, s.logProblem(err, typ))
		return
	}
	if typ == authz.TypeRevocation {
		// In effect as soon as it is logged, even if the database write
		// below fails (then it lapses at restart; lodge it again).
		_ = l.Revocations.Add(v)
	}
	rec := store.Statement{Digest: v.Digest, ID: st.ID, Type: typ, Issuer: st.Issuer, Jurisdiction: st.IssuerJurisdiction,
		Envelope: priv.Record, Salt: priv.Salt, LogIndex: idx, Created: now}
	if err := s.cfg.Store.RecordStatement(ctx, rec); err != nil {
		s.log.Error("record statement", slog.Uint64("log_index", idx), slog.String("type", typ))
		writeProblem(w, r, newProblem(http.StatusInternalServerError, locale.Errorf("the %s is in the log (index %s) but could not be stored; lodge it again", typ, strconv.FormatUint(idx, 10))))
		return
	}
	w.Header().Set("Location", "/v1/"+typ+"s/"+v.Digest)
	writeJSON(w, http.StatusCreated, Lodged{ID: st.ID, Type: typ, Issuer: st.Issuer, Jurisdiction: st.IssuerJurisdiction,
		KeyID: v.KeyID, Digest: v.Digest, LogIndex: idx, Refers: refers})
}

// getStatement answers a lodged statement of type typ by the digest of its
// payload: to an auditor or admin, or an authority of the issuing state;
// anyone else gets 404, as for a missing one.
func (s *Server) getStatement(w http.ResponseWriter, r *http.Request, c caller, typ string) {
	if _, p := parseQuery(r, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	digest := r.PathValue("digest")
	all, err := s.cfg.Store.ListStatements(r.Context(), typ)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, errors.New(typ)))
		return
	}
	for _, st := range all {
		if st.Digest != digest {
			continue
		}
		if c.role == store.RoleAuthority && (c.principal.Kind != model.KindStateAuthority || c.principal.Jurisdiction != st.Jurisdiction) {
			break
		}
		writeJSON(w, http.StatusOK, StatementDocument{Lodged: Lodged{ID: st.ID, Type: st.Type, Issuer: st.Issuer, Jurisdiction: st.Jurisdiction,
			Digest: st.Digest, LogIndex: st.LogIndex}, Envelope: json.RawMessage(st.Envelope), LodgedAt: st.Created.UTC().Format(time.RFC3339)})
		return
	}
	writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("%s %s not found", typ, digest)))
}

// StatementDocument is the answer of GET /v1/authorizations/{digest} and
// GET /v1/revocations/{digest}: the statement as lodged.
type StatementDocument struct {
	Lodged
	// Envelope is the signed DSSE envelope as lodged.
	Envelope json.RawMessage `json:"envelope"`
	// LodgedAt is when it was lodged.
	LodgedAt string `json:"lodged_at"`
}

// joinPurposes is the purpose code of a statement's log entry: its one
// purpose, or "" when it covers several.
func joinPurposes(ps []string) string {
	if len(ps) == 1 {
		return ps[0]
	}
	return ""
}

// authzProblem turns an envelope error (always bad input) into a 400
// naming the member.
func authzProblem(err error) *Problem {
	var pe *authz.ParseError
	if errors.As(err, &pe) {
		p := newProblem(http.StatusBadRequest, err)
		p.Field = pe.Path
		return p
	}
	return newProblem(http.StatusBadRequest, err)
}

// logProblem answers a failed append: 503 when the log is closed or
// overloaded, else 500. Only the kind of entry is logged.
func (s *Server) logProblem(err error, what string) *Problem {
	if errors.Is(err, ledger.ErrClosed) || errors.Is(err, ledger.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, store.ErrUnavailable) {
		s.log.Warn("log append", slog.String("kind", what))
		return newProblem(http.StatusServiceUnavailable, locale.Errorf("the log is unavailable; nothing was recorded, retry later"))
	}
	s.log.Error("log append", slog.String("kind", what), slog.String("error", err.Error()))
	return newProblem(http.StatusInternalServerError, locale.Errorf("the log could not record it; retry later"))
}

// transparency serves the transparency report built from the verified log.
func (s *Server) transparency(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
	if _, p := parseQuery(r, false, "period", "format", "lang"); p != nil {
		writeProblem(w, r, p)
		return
	}
	q := r.URL.Query()
	period, err := report.ParsePeriod(q.Get("period"))
	if err != nil {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "period", err))
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if !slices.Contains(report.Formats, format) {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "format", locale.Errorf("%q is not one of %v", format, report.Formats)))
		return
	}
	printer := locale.For("")
	if lang := q.Get("lang"); lang != "" {
		p, err := locale.Parse(lang, locale.Report)
		if err != nil {
			writeProblem(w, r, fieldProblem(http.StatusBadRequest, "lang", err))
			return
		}
		printer = p
	}
	entries, cp, err := l.Entries(r.Context())
	if err != nil {
		s.log.Error("transparency report: the log did not verify", slog.String("error", err.Error()))
		writeProblem(w, r, newProblem(http.StatusInternalServerError, locale.Errorf("the log did not verify, so no report was made from it")))
		return
	}
	var buf bytes.Buffer
	rep := report.Build(period, entries)
	rep.Pin(cp)
	if err := report.Write(&buf, rep, format, printer); err != nil {
		writeProblem(w, r, newProblem(http.StatusInternalServerError, locale.Errorf("the report could not be written")))
		return
	}
	w.Header().Set("Content-Type", map[string]string{"json": "application/json", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"}[format])
	w.Header().Set("Content-Language", printer.Tag().String())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// OpenCase is the body of POST /v1/mla: what the requesting authority asks
// for. Who opens the case is the caller.
type OpenCase struct {
	// ID is the case reference (1-48 letters, digits and ._:/-).
	ID string `json:"id"`
	// RequestedState is the state asked.
	RequestedState string `json:"requested_state"`
	// Agreement is the registry agreement relied on ("" = reciprocity).
	Agreement string `json:"agreement,omitempty"`
	// Grantee receives the data; "" = the caller.
	Grantee string `json:"grantee,omitempty"`
	// Provider holds the data and will execute.
	Provider string `json:"provider"`
	// Scope is what is asked for.
	Scope authz.Scope `json:"scope"`
}

// decodeStrict decodes a small JSON body into v, refusing unknown fields.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any, optional bool) *Problem {
	body, p := readBody(w, r)
	if p != nil {
		if optional && p.Status == http.StatusUnsupportedMediaType && r.ContentLength == 0 {
			return nil
		}
		return p
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonDecodeProblem(err)
	}
	if dec.More() {
		return newProblem(http.StatusBadRequest, locale.Errorf("the body holds more than one JSON value"))
	}
	return nil
}

// authority is the caller as the actor of a case transition; only a state
// authority acts on cases.
func authority(c caller) (model.Principal, *Problem) {
	p := c.principal.Model()
	if p.Kind != model.KindStateAuthority && c.role != store.RoleAdmin {
		return p, newProblem(http.StatusForbidden, locale.Errorf("%s is not a state authority", c.principal.ID))
	}
	return p, nil
}

func (s *Server) openCase(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
	var body OpenCase
	if p := decodeStrict(w, r, &body, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	by, p := authority(c)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	cs, err := l.Cases.Open(r.Context(), by, mla.OpenSpec{ID: body.ID, RequestedState: body.RequestedState, Agreement: body.Agreement,
		Grantee: body.Grantee, Provider: body.Provider, Scope: body.Scope})
	if cs != nil && err == nil {
		w.Header().Set("Location", "/v1/mla/"+cs.ID)
	}
	s.answerCase(w, r, cs, err, http.StatusCreated)
}

// moveCase makes one transition of a case, as the caller.
func (s *Server) moveCase(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
	id, verb := r.PathValue("id"), r.PathValue("verb")
	var body struct {
		Scope  *authz.Scope `json:"scope,omitempty"`
		Ground string       `json:"ground,omitempty"`
	}
	if p := decodeStrict(w, r, &body, true); p != nil {
		writeProblem(w, r, p)
		return
	}
	by, p := authority(c)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	if verb != "narrow" && body.Scope != nil {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "scope", locale.Errorf("only a narrowing takes a scope")))
		return
	}
	if verb != "refuse" && body.Ground != "" {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "ground", locale.Errorf("only a refusal takes a ground")))
		return
	}
	pre, p := casePrecondition(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	if p := s.mayReadCase(r.Context(), l, id, c, pre); p != nil {
		writeProblem(w, r, p)
		return
	}
	ctx := r.Context()
	var (
		cs  *mla.Case
		err error
	)
	switch verb {
	case "receive":
		cs, err = l.Cases.Receive(ctx, id, by)
	case "accept":
		cs, err = l.Cases.Accept(ctx, id, by)
	case "narrow":
		if body.Scope == nil {
			writeProblem(w, r, fieldProblem(http.StatusBadRequest, "scope", locale.Errorf("a narrowing needs the scope granted")))
			return
		}
		cs, err = l.Cases.Narrow(ctx, id, by, *body.Scope)
	case "refuse":
		if body.Ground == "" {
			writeProblem(w, r, fieldProblem(http.StatusBadRequest, "ground", locale.Errorf("a refusal needs a ground, one of %v", mla.RefusalGrounds)))
			return
		}
		cs, err = l.Cases.Refuse(ctx, id, by, body.Ground)
	case "close":
		cs, err = l.Cases.Close(ctx, id, by)
	default:
		writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("no transition %s; use receive, accept, narrow, refuse, close or execute", verb)))
		return
	}
	s.answerCase(w, r, cs, err, http.StatusOK)
}

// mayReadCase answers 404 for a missing case, 403 for an authority of
// a state that is not party to it, and 412 when If-Match names another
// version of it, before any transition is tried.
func (s *Server) mayReadCase(ctx context.Context, l *Lawful, id string, c caller, pre precondition) *Problem {
	cs, err := l.Cases.Get(ctx, id)
	if err != nil {
		return s.caseProblem(err)
	}
	if !mayRead(cs, c) {
		return newProblem(http.StatusForbidden, locale.Errorf("case %s is between %s and %s; %s acts for %s", cs.ID, cs.RequestingState, cs.RequestedState, c.principal.ID, c.principal.Jurisdiction))
	}
	return pre.check(locale.Errorf("case %s", cs.ID), true, caseETag(cs.Version))
}

// casePrecondition reads the If-Match an MLA step may carry. It is not
// required: the case's state machine refuses a step that no longer
// applies; with it, any change since the client read the case is 412.
func casePrecondition(r *http.Request) (precondition, *Problem) {
	pre, p := parsePrecondition(r)
	if p == nil && pre.ifNoneMatchAny {
		p = newProblem(http.StatusBadRequest, locale.Errorf("If-None-Match: a step of a case takes If-Match"))
	}
	return pre, p
}

// mayRead says whether the caller may see a case: an authority of either
// state, the provider named, an auditor or an admin.
// caseStatuses are the values of GET /v1/mla's status filter.
var caseStatuses = []mla.State{mla.Opened, mla.Received, mla.Accepted, mla.Narrowed, mla.Refused, mla.Executed, mla.Closed}

func mayRead(cs *mla.Case, c caller) bool {
	switch c.role {
	case store.RoleAdmin, store.RoleAuditor:
		return true
	case store.RoleAuthority:
		return c.principal.Kind == model.KindStateAuthority && slices.Contains(cs.Parties(), c.principal.Jurisdiction)
	case store.RoleRequester:
		return c.principal.ID == cs.Provider
	}
	return false
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
	if _, p := parseQuery(r, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	cs, err := l.Cases.Get(r.Context(), r.PathValue("id"))
	if err == nil && !mayRead(cs, c) {
		writeProblem(w, r, newProblem(http.StatusForbidden, locale.Errorf("case %s is between %s and %s; %s may not read it", cs.ID, cs.RequestingState, cs.RequestedState, c.principal.ID)))
		return
	}
	if err == nil && notModified(w, r, caseETag(cs.Version)) {
		return
	}
	s.answerCase(w, r, cs, err, http.StatusOK)
}

// caseAuthorization answers the authorization statement an accepted or
// narrowed case yields, unsigned: the requested state's central authority
// signs it (`accord authz sign`) and lodges it, and the provider attaches
// it to the execution.
func (s *Server) caseAuthorization(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
	cs, err := l.Cases.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeCaseProblem(w, r, err)
		return
	}
	if !mayRead(cs, c) {
		writeProblem(w, r, newProblem(http.StatusForbidden, locale.Errorf("case %s is between %s and %s; %s may not read it", cs.ID, cs.RequestingState, cs.RequestedState, c.principal.ID)))
		return
	}
	st, err := cs.Authorization()
	if err != nil {
		s.writeCaseProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// CaseList is the answer of GET /v1/mla.
type CaseList struct {
	// Cases are the cases the caller may read, by id.
	Cases []*mla.Case `json:"cases"`
	// Overdue lists, with ?overdue=true, the cases past a deadline among
	// them, most late first (and Cases holds only those).
	Overdue []mla.OverdueCase `json:"overdue,omitempty"`
	// NextPageToken, when set, asks for the next page (page_token).
	NextPageToken string `json:"next_page_token,omitempty"`
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
	pg, p := parseQuery(r, true, "overdue", "state", "status")
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	overdue := r.URL.Query().Get("overdue")
	if overdue != "" && overdue != "true" && overdue != "false" {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "overdue", locale.Errorf("use true or false")))
		return
	}
	// state: a party (requesting or requested state); status: where the
	// case stands (its state machine's state).
	party, status := r.URL.Query().Get("state"), r.URL.Query().Get("status")
	if party != "" {
		if p := s.checkState("state", party); p != nil {
			writeProblem(w, r, p)
			return
		}
	}
	if status != "" && !slices.Contains(caseStatuses, mla.State(status)) {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "status", locale.Errorf("one of opened, received, accepted, narrowed, refused, executed, closed")))
		return
	}
	all, err := l.Cases.Cases.List(r.Context())
	if err != nil {
		s.writeCaseProblem(w, r, err)
		return
	}
	out := CaseList{Cases: []*mla.Case{}}
	for _, cs := range all {
		if !mayRead(cs, c) || party != "" && !slices.Contains(cs.Parties(), party) || status != "" && string(cs.State) != status {
			continue
		}
		out.Cases = append(out.Cases, cs)
	}
	if overdue == "true" {
		out.Overdue = mla.Overdue(out.Cases, s.cfg.Now().UTC())
		late := map[string]bool{}
		for _, o := range out.Overdue {
			late[o.Case] = true
		}
		out.Cases = slices.DeleteFunc(out.Cases, func(cs *mla.Case) bool { return !late[cs.ID] })
		if out.Overdue == nil {
			out.Overdue = []mla.OverdueCase{}
		}
	}
	sort.Slice(out.Cases, func(i, j int) bool { return out.Cases[i].ID < out.Cases[j].ID })
	out.Cases, out.NextPageToken = paginate(out.Cases, func(cs *mla.Case) string { return cs.ID }, pg)
	if out.Overdue != nil {
		// Only the overdue cases of this page.
		shown := map[string]bool{}
		for _, cs := range out.Cases {
			shown[cs.ID] = true
		}
		out.Overdue = slices.DeleteFunc(out.Overdue, func(o mla.OverdueCase) bool { return !shown[o.Case] })
	}
	writeJSON(w, http.StatusOK, out)
}

// Execution is the answer of POST /v1/mla/{id}/execute.
type Execution struct {
	// Executed says whether the case moved to executed: only when the
	// decision allows.
	Executed bool `json:"executed"`
	// Decision is the binding decision on the provider's request.
	Decision model.Decision `json:"decision"`
	// Case is the case after the call.
	Case *mla.Case `json:"case"`
}

// executeCase runs the provider's request as a binding decision with basis
// mla and, only when it allows, records the execution. As `accord mla
// execute` does, it first checks on a copy of the case that this provider
// may execute this request within the scope granted, so that no decision
// is logged for an execution the case refuses.
func (s *Server) executeCase(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
	id := r.PathValue("id")
	pre, p := casePrecondition(r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	body, p := readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	req, p := s.prepareRequest(r.Context(), body, c, true)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	if req.Basis.Kind != "mla" || req.Basis.Ref != id {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "basis", locale.Errorf("must be {\"kind\": \"mla\", \"ref\": %q}", id)))
		return
	}
	ctx := r.Context()
	by := req.Requester
	// The server's clock is the only time of an execution (the body
	// carries none: prepareRequest refused it). The check on a copy of the
	// case below runs at this time; the binding decision takes its own,
	// a moment later, from the same clock.
	when := s.cfg.Now().UTC().Truncate(time.Second)
	req.Time = when
	authorized, _, err := authz.Evaluate(req.Basis.Authorizations, req, l.Keys, l.Revocations, when)
	if err != nil {
		writeProblem(w, r, inputProblem(err))
		return
	}
	cs, err := l.Cases.Get(ctx, id)
	if err != nil {
		s.writeCaseProblem(w, r, err)
		return
	}
	if !mayRead(cs, c) {
		writeProblem(w, r, newProblem(http.StatusForbidden, locale.Errorf("case %s names another provider than %s", cs.ID, c.principal.ID)))
		return
	}
	if p := pre.check(locale.Errorf("case %s", cs.ID), true, caseETag(cs.Version)); p != nil {
		writeProblem(w, r, p)
		return
	}
	if _, err := cs.Execute(by, when, req, mla.Exclude(req, cs.Parties(), authorized), "pending-decision"); err != nil {
		s.writeCaseProblem(w, r, err)
		return
	}
	req.Time = time.Time{} // Decide takes the server's clock
	dec, err := s.cfg.Decider.Decide(ctx, req)
	if err != nil {
		writeProblem(w, r, s.decideProblem(err, "mla execution"))
		return
	}
	s.metrics.observeDecision(&dec)
	// A binding decision was made either way: 201 with its Location. The
	// outcome, and whether the case moved, are in the body.
	if dec.ID != "" {
		w.Header().Set("Location", "/v1/decisions/"+dec.ID)
	}
	if dec.Outcome != model.Allow {
		current, err := l.Cases.Get(ctx, id)
		if err != nil {
			s.writeCaseProblem(w, r, err)
			return
		}
		w.Header().Set("ETag", caseETag(current.Version))
		writeJSON(w, http.StatusCreated, Execution{Decision: dec, Case: current})
		return
	}
	moved, err := l.Cases.Execute(ctx, id, by, req, authorized, dec.ID)
	if err != nil {
		s.writeCaseProblem(w, r, err)
		return
	}
	w.Header().Set("ETag", caseETag(moved.Version))
	writeJSON(w, http.StatusCreated, Execution{Executed: true, Decision: dec, Case: moved})
}

// answerCase writes a case, or the problem its error maps to.
func (s *Server) answerCase(w http.ResponseWriter, r *http.Request, cs *mla.Case, err error, status int) {
	if err != nil {
		s.writeCaseProblem(w, r, err)
		return
	}
	w.Header().Set("ETag", caseETag(cs.Version))
	writeJSON(w, status, cs)
}

// writeCaseProblem writes the problem for a case error; a concurrent
// change or a step still being logged (mla.ErrConflict, mla.ErrBusy) gets
// Retry-After: read the case again and retry.
func (s *Server) writeCaseProblem(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, mla.ErrConflict) {
		w.Header().Set("Retry-After", "1")
	}
	writeProblem(w, r, s.caseProblem(err))
}

// caseProblem maps mla's errors: 403 not allowed, 409 wrong state, busy
// or concurrent change (with Retry-After), 422 beyond scope, 400 invalid,
// 404 no case; store and log failures 503 or 500. The messages are mla's:
// ids, states and codes, never free text.
func (s *Server) caseProblem(err error) *Problem {
	switch {
	case errors.Is(err, mla.ErrNotFound):
		return newProblem(http.StatusNotFound, err)
	case errors.Is(err, mla.ErrForbidden):
		return newProblem(http.StatusForbidden, err)
	case errors.Is(err, mla.ErrExists), errors.Is(err, mla.ErrState), errors.Is(err, mla.ErrConflict):
		return newProblem(http.StatusConflict, err)
	case errors.Is(err, mla.ErrBeyondScope):
		return newProblem(http.StatusUnprocessableEntity, err)
	case errors.Is(err, mla.ErrInvalid), errors.Is(err, store.ErrInvalid):
		return newProblem(http.StatusBadRequest, err)
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, ledger.ErrClosed), errors.Is(err, ledger.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("mla case: store or log unavailable")
		return newProblem(http.StatusServiceUnavailable, locale.Errorf("the database or the log is unavailable; retry later"))
	}
	s.log.Error("mla case", slog.String("error", err.Error()))
	return newProblem(http.StatusInternalServerError, locale.Errorf("internal error"))
}
