package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/store"
)

// serving is one generation of what serve decides with: the registry and
// the decider (engine, authorizer, third-state exclusion) built on it.
type serving struct {
	reg    *registry.Registry
	dec    api.Decider
	status func(error) int
	// overrides fingerprints the stored overrides this generation was
	// built from (overridesFingerprint); empty for the one built at start.
	overrides string
}

// liveRegistry holds what serve decides with and swaps it whole when a
// logged registry change takes effect, so the change is live at once,
// without a restart. It is the API's Decider and Registry, the lawful-
// access endpoints' authority keys and MLA agreements: each call reads the
// current generation once, so a decision in flight keeps the registry it
// started with.
type liveRegistry struct {
	cur  atomic.Pointer[serving]
	deps serveDeps
	// before and after are the registry override directories loaded
	// before and after the one holding the overrides stored through the
	// API (--registry; the demo key).
	before, after []string
}

// newLiveRegistry builds the first generation with the overrides in
// apiDir, through buildServeDecider as serve always has.
func newLiveRegistry(deps serveDeps, before []string, apiDir string, after []string) (*liveRegistry, error) {
	l := &liveRegistry{deps: deps, before: slices.Clone(before), after: slices.Clone(after)}
	s, err := l.build(apiDir)
	if err != nil {
		return nil, err
	}
	l.cur.Store(s)
	return l, nil
}

func (l *liveRegistry) build(apiDir string) (*serving, error) {
	d := l.deps
	d.registryDirs = append(append(append([]string{}, l.before...), apiDir), l.after...)
	dec, reg, status, err := buildServeDecider(d)
	if err != nil {
		return nil, err
	}
	return &serving{reg: reg, dec: dec, status: status}, nil
}

// current returns the generation in effect.
func (l *liveRegistry) current() *serving { return l.cur.Load() }

// Prepare builds the generation for the stored overrides all (the registry
// must load and the packs compile against it) and returns the function
// that puts it in effect; see api.RegistryChanges.
func (l *liveRegistry) Prepare(ctx context.Context, all []store.Override) (api.Registry, func(), error) {
	tmp, err := os.MkdirTemp("", "accord-registry-")
	if err != nil {
		return nil, nil, locale.Errorf("prepare registry: %v", err)
	}
	defer os.RemoveAll(tmp)
	if err := writeOverrides(tmp, all); err != nil {
		return nil, nil, err
	}
	s, err := l.build(tmp)
	if err != nil {
		return nil, nil, err
	}
	s.overrides = overridesFingerprint(all)
	return s.reg, func() { l.cur.Store(s) }, nil
}

// Check implements api.Decider with the current generation.
func (l *liveRegistry) Check(ctx context.Context, req *model.Request, explain bool) (model.Decision, error) {
	return l.current().dec.Check(ctx, req, explain)
}

// Decide implements api.Decider with the current generation.
func (l *liveRegistry) Decide(ctx context.Context, req *model.Request) (model.Decision, error) {
	return l.current().dec.Decide(ctx, req)
}

// KnownJurisdiction implements model.Jurisdictions.
func (l *liveRegistry) KnownJurisdiction(code string) bool {
	return l.current().reg.KnownJurisdiction(code)
}

// Jurisdictions implements api.Registry.
func (l *liveRegistry) Jurisdictions() []registry.Jurisdiction {
	return l.current().reg.Jurisdictions()
}

// Blocs implements api.Registry.
func (l *liveRegistry) Blocs() []registry.Bloc { return l.current().reg.Blocs() }

// Agreements implements api.Registry.
func (l *liveRegistry) Agreements() []registry.Agreement { return l.current().reg.Agreements() }

// Authorities implements api.Registry.
func (l *liveRegistry) Authorities() []registry.Authority { return l.current().reg.Authorities() }

// AuthorityKey implements authz.Keys: lodged statements verify against the
// keys in effect.
func (l *liveRegistry) AuthorityKey(id string) (authz.AuthorityKey, bool) {
	return registryKeys{l.current().reg}.AuthorityKey(id)
}

// AgreementParties implements mla.Agreements.
func (l *liveRegistry) AgreementParties(id string) []string {
	return l.current().reg.AgreementParties(id)
}

// status maps decide's errors to HTTP statuses (the first generation's
// mapping; it does not depend on the registry).
func (l *liveRegistry) status(err error) int { return l.current().status(err) }

// wireLawful makes the lawful-access endpoints read the live registry.
func (l *liveRegistry) wireLawful(lawful *api.Lawful) {
	lawful.Keys = l
	if lawful.Cases != nil {
		lawful.Cases.Agreements = l
	}
}

// changeLog appends registry and pack changes to the log, counted in the
// log's metrics like every other append.
type changeLog struct {
	log     *ledger.Log
	metrics *api.Metrics
}

// Append implements api.Appender.
func (c changeLog) Append(ctx context.Context, e ledger.Entry) (uint64, error) {
	start := time.Now()
	idx, err := c.log.Append(ctx, e)
	c.metrics.ObserveAppend(time.Since(start), idx, err == nil)
	return idx, err
}

// startChange is a change serve finds at start: a pack, the registry files
// or an authority key that differs from what the log last recorded.
type startChange struct {
	change       store.RegistryChange
	jurisdiction string
}

// logStartChanges appends to the log, and records, every change found at
// start since the last one recorded, before serve answers anything: each
// pack in use whose name, version or source digest differs (and each no
// longer in use); the effective content of the embedded registry and the
// --registry files (base); each stored override that no logged change put;
// and each authority whose key in effect (cur) is not the one last
// recorded for it. A second start with the same packs, files, overrides and
// keys logs nothing.
func logStartChanges(ctx context.Context, st store.Store, lg api.Appender, packSpec string, base, cur *registry.Registry, logger *slog.Logger) error {
	recorded, err := st.ListRegistryChanges(ctx, 0, 0)
	if err != nil {
		return locale.Errorf("read recorded registry changes: %v", err)
	}
	last := map[[2]string]store.RegistryChange{}
	lastKey := map[string]store.RegistryChange{}
	for _, c := range recorded {
		last[[2]string{c.Kind, c.ID}] = c
		if c.Kind == "authority" || c.Kind == api.ChangeAuthorityKey {
			lastKey[c.ID] = c
		}
	}
	var found []startChange
	packs, err := packsInUse(packSpec)
	if err != nil {
		return err
	}
	for _, p := range packs {
		body, _ := json.Marshal(struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		}{p.name, p.version})
		if c, ok := last[[2]string{api.ChangePack, p.name}]; ok && c.Action == "put" && c.Digest == p.digest && string(c.Body) == string(body) {
			continue
		}
		found = append(found, startChange{change: store.RegistryChange{Kind: api.ChangePack, ID: p.name, Action: "put", Digest: p.digest, Body: body}})
	}
	inUse := map[string]bool{}
	for _, p := range packs {
		inUse[p.name] = true
	}
	for key, c := range last {
		if key[0] == api.ChangePack && c.Action == "put" && !inUse[key[1]] {
			found = append(found, startChange{change: store.RegistryChange{Kind: api.ChangePack, ID: key[1], Action: "delete"}})
		}
	}
	content, err := json.Marshal(struct {
		Jurisdictions []registry.Jurisdiction `json:"jurisdictions"`
		Blocs         []registry.Bloc         `json:"blocs"`
		Agreements    []registry.Agreement    `json:"agreements"`
		Authorities   []registry.Authority    `json:"authorities"`
	}{base.Jurisdictions(), base.Blocs(), base.Agreements(), base.Authorities()})
	if err != nil {
		return locale.Errorf("registry content: %v", err)
	}
	digest := api.Digest(content)
	if c, ok := last[[2]string{api.ChangeRegistryFiles, api.ChangeRegistryFiles}]; !ok || c.Digest != digest {
		body, _ := json.Marshal(struct {
			Files []registry.FileVersion `json:"files"`
		}{base.Files()})
		found = append(found, startChange{change: store.RegistryChange{Kind: api.ChangeRegistryFiles, ID: api.ChangeRegistryFiles, Action: "put", Digest: digest, Body: body}})
	}
	// Overrides stored without a logged change (before changes were
	// logged, or written to the database behind the server's back) are
	// logged as they are: putting the same document again changes nothing.
	stored, err := st.ListOverrides(ctx, "")
	if err != nil {
		return locale.Errorf("read stored registry overrides: %v", err)
	}
	for _, o := range stored {
		digest := api.Digest(o.Body)
		if c, ok := last[[2]string{o.Kind, o.ID}]; ok && c.Action == "put" && c.Digest == digest {
			continue
		}
		c := store.RegistryChange{Kind: o.Kind, ID: o.ID, Action: "put", Body: o.Body, Digest: digest}
		jurisdiction := ""
		switch o.Kind {
		case "jurisdiction":
			jurisdiction = strings.ToUpper(o.ID)
		case "authority":
			if a, ok := cur.Authority(o.ID); ok {
				c.KeyFingerprint, jurisdiction = api.KeyFingerprint(a.PublicKey), a.Jurisdiction
			}
			lastKey[o.ID] = c
		}
		found = append(found, startChange{change: c, jurisdiction: jurisdiction})
	}
	inEffect := map[string]bool{}
	for _, a := range cur.Authorities() {
		inEffect[a.ID] = true
		fp := api.KeyFingerprint(a.PublicKey)
		c, ok := lastKey[a.ID]
		if ok && c.KeyFingerprint == fp || !ok && fp == "" {
			continue
		}
		body, _ := json.Marshal(a)
		found = append(found, startChange{jurisdiction: a.Jurisdiction, change: store.RegistryChange{
			Kind: api.ChangeAuthorityKey, ID: a.ID, Action: "put", Digest: api.Digest(body), KeyFingerprint: fp, Body: body}})
	}
	for id, c := range lastKey {
		if !inEffect[id] && c.KeyFingerprint != "" {
			found = append(found, startChange{change: store.RegistryChange{Kind: api.ChangeAuthorityKey, ID: id, Action: "delete"}})
		}
	}
	slices.SortStableFunc(found, func(a, b startChange) int {
		return strings.Compare(a.change.Kind+"/"+a.change.ID, b.change.Kind+"/"+b.change.ID)
	})
	for _, f := range found {
		if err := logChange(ctx, st, lg, f.change, f.jurisdiction); err != nil {
			return err
		}
		logger.Info("change logged", slog.String("kind", f.change.Kind), slog.String("id", f.change.ID),
			slog.String("digest", f.change.Digest), slog.String("key_fingerprint", f.change.KeyFingerprint))
	}
	return nil
}

// logChange appends c to the log, waits for its index and stores it; if
// it cannot be stored, its entry is voided.
func logChange(ctx context.Context, st store.Store, lg api.Appender, c store.RegistryChange, jurisdiction string) error {
	e, err := api.RegistryChangeEntry(&c, jurisdiction, time.Now())
	if err != nil {
		return err
	}
	idx, err := lg.Append(ctx, e)
	if err != nil {
		return locale.Errorf("log %s change %s: %v", c.Kind, c.ID, err)
	}
	c.LogIndex = idx
	if err := st.ApplyRegistryChange(ctx, c); err != nil {
		if _, verr := lg.Append(context.WithoutCancel(ctx), ledger.VoidEntry(idx, time.Now())); verr != nil {
			err = locale.Errorf("%v (and voiding its entry %s failed: %s)", err, strconv.FormatUint(idx, 10), verr.Error())
		}
		return locale.Errorf("record %s change %s (log index %s): %v", c.Kind, c.ID, strconv.FormatUint(idx, 10), err)
	}
	return nil
}

// packInUse is a pack in use and the digest of the file it comes from.
type packInUse struct {
	name, version, digest string
}

// packsInUse lists the packs serve decides with for spec (as --packs:
// auto, or names and pack files or directories): every bundled pack and
// every pack file named, keeping only the named packs unless spec is auto.
// Each pack's digest is the hex SHA-256 of its source file.
func packsInUse(spec string) ([]packInUse, error) {
	embedded := policy.Embedded()
	files, err := fs.Glob(embedded, "packs/*.yaml")
	if err != nil {
		return nil, err
	}
	all, err := packFilesInUse(embedded, packFiles(files))
	if err != nil {
		return nil, locale.Errorf("bundled packs: %v", err)
	}
	var names []string
	if spec != "" && spec != "auto" {
		for _, item := range strings.Split(spec, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			if !strings.ContainsAny(item, `/\`) && !strings.HasSuffix(item, ".yaml") && !isDir(item) {
				names = append(names, item)
				continue
			}
			var extra []packInUse
			if isDir(item) {
				files, err := fs.Glob(os.DirFS(item), "*.yaml")
				if err != nil {
					return nil, err
				}
				extra, err = packFilesInUse(os.DirFS(item), packFiles(files))
				if err != nil {
					return nil, err
				}
			} else {
				extra, err = packFilesInUse(os.DirFS(filepath.Dir(item)), []string{filepath.Base(item)})
				if err != nil {
					return nil, err
				}
			}
			for _, p := range extra {
				names = append(names, p.name)
			}
			all = append(all, extra...)
		}
	}
	byName := map[string]packInUse{}
	for _, p := range all {
		if names == nil || slices.Contains(names, p.name) {
			byName[p.name] = p // a later file of the same name is the one used
		}
	}
	out := make([]packInUse, 0, len(byName))
	for _, p := range byName {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b packInUse) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// packFilesInUse loads the packs of files in fsys with the digest of the
// file each comes from.
func packFilesInUse(fsys fs.FS, files []string) ([]packInUse, error) {
	var out []packInUse
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, locale.Errorf("read pack %s: %v", f, err)
		}
		packs, err := policy.Load(fsys, f)
		if err != nil {
			return nil, err
		}
		for _, p := range packs {
			out = append(out, packInUse{name: p.Name, version: p.Version, digest: api.Digest(data)})
		}
	}
	return out, nil
}
