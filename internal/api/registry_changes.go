package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/store"
)

// RegistryChanges makes changes to the registry binding: a change made
// through PUT or DELETE /v1/registry/{kind}/{id} is validated, appended to
// the log as a registry-change entry (waiting for its durable index),
// stored (store.RegistryChanges.ApplyRegistryChange) and only then put in
// effect, in that order; changes are made one at a time. Without it
// (Config.RegistryChanges nil) those endpoints answer 404: nothing that can
// change a decision takes effect unlogged.
type RegistryChanges struct {
	// Log receives each change's registry-change entry. Required.
	Log Appender
	// Prepare builds what the server would run with if the stored
	// overrides were all (the change applied), without putting it in
	// effect: the registry, and the function that puts it in effect
	// (swapping the live registry, decider and authority keys). An error
	// refuses the change (400) and nothing is logged. Required.
	Prepare func(ctx context.Context, all []store.Override) (next Registry, activate func(), err error)
}

// Registry change kinds beyond the four registry kinds of
// /v1/registry/{kind}: changes `accord serve` logs at start.
const (
	// ChangePack is a policy pack added or updated (id: the pack's name).
	ChangePack = "pack"
	// ChangeRegistryFiles is a change of the effective content of the
	// embedded registry and the --registry override files, taken together
	// (id: "registry-files").
	ChangeRegistryFiles = "registry-files"
	// ChangeAuthorityKey is an authority key that changed through the
	// registry files rather than through the API (id: the authority id).
	ChangeAuthorityKey = "authority-key"
)

// changeKinds are the kinds GET /v1/registry/changes filters on.
var changeKinds = []string{"jurisdiction", "bloc", "agreement", "authority", ChangePack, ChangeRegistryFiles, ChangeAuthorityKey, store.CatalogKind}

// KeyFingerprint is the fingerprint logged for an authority's public key
// (registry form: standard base64 of the 32 raw Ed25519 bytes): the hex
// SHA-256 of the raw key bytes, as `printf %s KEY | base64 -d | sha256sum`
// prints it. It is "" for no key or one that does not decode.
func KeyFingerprint(publicKey string) string {
	if publicKey == "" {
		return ""
	}
	raw, err := base64.StdEncoding.DecodeString(publicKey)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Digest is the hex SHA-256 of b, the digest a registry change carries.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// registryChangeRecord is the private record behind a registry-change or
// pack-change entry. It is rebuilt from the stored change
// (RegistryChangeRecord), so its fields are exactly those kept.
type registryChangeRecord struct {
	Kind           string          `json:"kind"`
	ID             string          `json:"id"`
	Action         string          `json:"action"`
	Body           json.RawMessage `json:"body,omitempty"`
	Digest         string          `json:"digest,omitempty"`
	KeyFingerprint string          `json:"key_fingerprint,omitempty"`
	Principal      string          `json:"principal,omitempty"`
	Time           time.Time       `json:"time"`
}

func recordOf(c *store.RegistryChange) registryChangeRecord {
	return registryChangeRecord{Kind: c.Kind, ID: c.ID, Action: c.Action, Body: json.RawMessage(c.Body),
		Digest: c.Digest, KeyFingerprint: c.KeyFingerprint, Principal: c.Principal, Time: c.Created.UTC()}
}

// RegistryChangeEntry builds the log entry of change c at time at: kind
// pack-change for a pack, catalog-change for a dataset (store.CatalogKind;
// jurisdiction is then its location, logged as Location), registry-change
// otherwise, with the public codes
// Subject (c.ID), Jurisdiction (the state concerned, "" for none), Action
// (put or delete), Digest and KeyFingerprint, and for a pack its name and
// version (c.Body must then be {"name":…,"version":…}). It sets c.Created
// (at, to the second) and c.Salt; the entry's record_hash covers the
// private record RegistryChangeRecord rebuilds from c. c.Body, when set,
// must be JSON.
func RegistryChangeEntry(c *store.RegistryChange, jurisdiction string, at time.Time) (ledger.Entry, error) {
	c.Created = at.UTC().Truncate(time.Second)
	if err := c.Validate(); err != nil {
		return ledger.Entry{}, err
	}
	if len(c.Body) > 0 && !json.Valid(c.Body) {
		return ledger.Entry{}, locale.Errorf("registry change %s/%s: body is not JSON", c.Kind, c.ID)
	}
	kind := ledger.KindRegistryChange
	switch c.Kind {
	case ChangePack:
		kind = ledger.KindPackChange
	case store.CatalogKind:
		kind = ledger.KindCatalogChange
	}
	e, priv, err := ledger.NewRecord(kind, c.Created, recordOf(c))
	if err != nil {
		return ledger.Entry{}, err
	}
	c.Salt = priv.Salt
	e.Subject, e.Jurisdiction, e.Action = c.ID, jurisdiction, c.Action
	if c.Kind == store.CatalogKind {
		// A dataset's state is where it is stored.
		e.Jurisdiction, e.Location = "", jurisdiction
	}
	e.Digest, e.KeyFingerprint = c.Digest, c.KeyFingerprint
	if c.Kind == ChangePack {
		var pv struct{ Name, Version string }
		if err := json.Unmarshal(c.Body, &pv); err != nil || pv.Name == "" {
			return ledger.Entry{}, locale.Errorf("pack change %s: body must name the pack and its version", c.ID)
		}
		e.Packs = []ledger.PackVersion{{Name: pv.Name, Version: pv.Version}}
	}
	if err := e.Validate(); err != nil {
		return ledger.Entry{}, locale.Errorf("registry change %s/%s: %v", c.Kind, c.ID, err)
	}
	return e, nil
}

// RegistryChangeRecord rebuilds the private record of a stored change, for
// an auditor to check against its log entry with ledger.VerifyPrivate.
func RegistryChangeRecord(c store.RegistryChange) (ledger.Private, error) {
	raw, err := json.Marshal(recordOf(&c))
	if err != nil {
		return ledger.Private{}, locale.Errorf("registry change %s/%s record: %v", c.Kind, c.ID, err)
	}
	return ledger.Private{Record: raw, Salt: c.Salt}, nil
}

// ChangeDocument is one registry or pack change as GET
// /v1/registry/changes shows it: what changed and where the log says so.
// Neither the document put nor who put it is shown.
type ChangeDocument struct {
	LogIndex       uint64 `json:"log_index"`
	Kind           string `json:"kind"`
	ID             string `json:"id"`
	Action         string `json:"action"`
	Digest         string `json:"digest,omitempty"`
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
	Time           string `json:"time"`
}

// ChangeList is the answer of GET /v1/registry/changes: a page of the
// changes, oldest first.
type ChangeList struct {
	Changes []ChangeDocument `json:"changes"`
	// NextPageToken, when set, asks for the next page (page_token).
	NextPageToken string `json:"next_page_token,omitempty"`
}

func (s *Server) listChanges(w http.ResponseWriter, r *http.Request, c caller) {
	pg, p := parseQuery(r, true, "kind", "id", "from")
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	q := r.URL.Query()
	kind := q.Get("kind")
	if k, ok := registryKinds[kind]; ok { // the plural of the path works too
		kind = k
	}
	if kind != "" && !containsString(changeKinds, kind) {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "kind", locale.Errorf("one of %s", strings.Join(changeKinds, ", "))))
		return
	}
	var from uint64
	if v := q.Get("from"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeProblem(w, r, fieldProblem(http.StatusBadRequest, "from", locale.Errorf("a log index (0 or more)")))
			return
		}
		from = n
	}
	id := q.Get("id")
	all, err := s.cfg.Store.ListRegistryChanges(r.Context(), from, 0)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("registry changes")))
		return
	}
	docs := []ChangeDocument{}
	for _, ch := range all {
		if kind != "" && ch.Kind != kind || id != "" && !strings.EqualFold(ch.ID, id) {
			continue
		}
		docs = append(docs, ChangeDocument{LogIndex: ch.LogIndex, Kind: ch.Kind, ID: ch.ID, Action: ch.Action,
			Digest: ch.Digest, KeyFingerprint: ch.KeyFingerprint, Time: ch.Created.UTC().Format(time.RFC3339)})
	}
	var out ChangeList
	out.Changes, out.NextPageToken = paginate(docs, func(d ChangeDocument) string { return indexKey(d.LogIndex) }, pg)
	writeJSON(w, http.StatusOK, out)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// applyChange makes one registry change binding, in order: check the
// precondition (If-Match / If-None-Match: 412), validate (the
// registry must still load with it: Config.CheckOverrides, then
// RegistryChanges.Prepare), append the registry-change entry to the log
// and wait for its durable index, store the change with the override in
// one transaction, and put the new registry in effect. It answers the
// request; on success it returns the change as stored.
func (s *Server) applyChange(w http.ResponseWriter, r *http.Request, c caller, o store.Override, remove bool, pre precondition) (store.RegistryChange, bool) {
	rc := s.cfg.RegistryChanges
	s.changeMu.Lock()
	defer s.changeMu.Unlock()
	ctx := r.Context()
	cur, err := s.cfg.Store.Override(ctx, o.Kind, o.ID)
	exists := err == nil
	if err != nil && (remove || !errors.Is(err, store.ErrNotFound)) {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("override %s", o.ID)))
		return store.RegistryChange{}, false
	}
	// The precondition is checked under changeMu, which makes the changes
	// of this process one at a time.
	if p := pre.check(locale.Errorf("override %s/%s", o.Kind, o.ID), exists, versionETag(cur.Updated)); p != nil {
		writeProblem(w, r, p)
		return store.RegistryChange{}, false
	}
	all, p := s.overridesWith(r, o, remove)
	if p != nil {
		writeProblem(w, r, p)
		return store.RegistryChange{}, false
	}
	if s.cfg.CheckOverrides != nil {
		if err := s.cfg.CheckOverrides(ctx, all); err != nil {
			writeProblem(w, r, newProblem(http.StatusBadRequest, locale.Errorf("the registry would not load with this change: %v", err)))
			return store.RegistryChange{}, false
		}
	}
	next, activate, err := rc.Prepare(ctx, all)
	if err != nil {
		writeProblem(w, r, newProblem(http.StatusBadRequest, locale.Errorf("the registry would not load with this change: %v", err)))
		return store.RegistryChange{}, false
	}
	change := store.RegistryChange{Kind: o.Kind, ID: o.ID, Action: "put", Principal: c.principal.ID}
	if remove {
		change.Action = "delete"
	} else {
		change.Body = o.Body
		change.Digest = Digest(o.Body)
	}
	jurisdiction := ""
	switch o.Kind {
	case "jurisdiction":
		jurisdiction = strings.ToUpper(o.ID)
	case "authority":
		// The key registered from now on: the override's, or after a
		// delete the one the registry falls back to.
		if a, ok := authorityIn(next, o.ID); ok {
			change.KeyFingerprint = KeyFingerprint(a.PublicKey)
			jurisdiction = a.Jurisdiction
		} else if a, ok := authorityIn(s.cfg.Registry, o.ID); ok {
			jurisdiction = a.Jurisdiction
		}
	}
	_, p = s.logThenStore(ctx, rc.Log, &change, jurisdiction, "registry", func(ctx context.Context) error {
		return s.cfg.Store.ApplyRegistryChange(ctx, change)
	}, func(err error) *Problem { return s.storeProblem(err, locale.Errorf("override %s", o.ID)) })
	if p != nil {
		writeProblem(w, r, p)
		return store.RegistryChange{}, false
	}
	activate()
	return change, true
}

// logThenStore makes a registry or catalog change logged before it takes
// effect: it appends change's entry (its jurisdiction or location given),
// sets change.LogIndex, then runs apply. When apply fails, the entry is
// voided and the problem is fail's, saying the change was not made. Both
// steps outlive the request: an append cut short could land without the
// server knowing its index, and a logged change must be stored or voided.
// what names the kind of change in server logs.
func (s *Server) logThenStore(ctx context.Context, lg Appender, change *store.RegistryChange, place, what string, apply func(context.Context) error, fail func(error) *Problem) (uint64, *Problem) {
	e, err := RegistryChangeEntry(change, place, s.cfg.Now())
	if err != nil {
		return 0, newProblem(http.StatusBadRequest, locale.Errorf("the change cannot be logged: %v", err))
	}
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer acancel()
	idx, err := lg.Append(actx, e)
	if err != nil {
		s.log.Error("log append", slog.String("kind", e.Kind), slog.String("error", err.Error()))
		return 0, newProblem(http.StatusServiceUnavailable, locale.Errorf("the log could not record the change, so it was not made; retry later"))
	}
	change.LogIndex = idx
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := apply(sctx); err != nil {
		// The log says a change was made that was not: void its entry.
		voidIdx, verr := lg.Append(sctx, ledger.VoidEntry(idx, s.cfg.Now()))
		attrs := []any{slog.Uint64("log_index", idx), slog.String("error", err.Error())}
		if verr != nil {
			attrs = append(attrs, slog.String("void_error", verr.Error()))
		} else {
			attrs = append(attrs, slog.Uint64("void_index", voidIdx))
		}
		s.log.Error(what+" change logged but not stored; voided", attrs...)
		p := fail(err)
		p.setDetail(locale.Errorf("%v; the change was not made (its log entry %s is voided)", p.detail, strconv.FormatUint(idx, 10)))
		return 0, p
	}
	return idx, nil
}

// overridesWith is the stored overrides with o put (or removed).
func (s *Server) overridesWith(r *http.Request, o store.Override, remove bool) ([]store.Override, *Problem) {
	all, err := s.cfg.Store.ListOverrides(r.Context(), "")
	if err != nil {
		return nil, s.storeProblem(err, locale.Errorf("registry overrides"))
	}
	next := all[:0]
	for _, x := range all {
		if x.Kind != o.Kind || x.ID != o.ID {
			next = append(next, x)
		}
	}
	if !remove {
		next = append(next, o)
	}
	return next, nil
}

// authorityIn finds an authority of reg by id.
func authorityIn(reg Registry, id string) (registry.Authority, bool) {
	if reg == nil {
		return registry.Authority{}, false
	}
	for _, a := range reg.Authorities() {
		if a.ID == id {
			return a, true
		}
	}
	return registry.Authority{}, false
}

// errNoChanges is what PUT and DELETE answer without RegistryChanges.
var errNoChanges = locale.Errorf("registry changes are not enabled on this server (they must be logged, and no log is configured for them)")
