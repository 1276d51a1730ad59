package bench

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
)

//go:embed rego/*.rego cedar/*.cedar packs/*.yaml
var sources embed.FS

// Suite is one rule set loaded into the three engines, with the cases that
// every engine must get right.
type Suite struct {
	// Name names the rule set in benchmark names (gdsi, us-dsp, gen).
	Name string
	// Engines holds the engines by name: accord, opa, cedar.
	Engines map[string]Engine
	// Cases are the correctness cases, in file order.
	Cases []*Case
}

// EngineNames lists the engines in the order benchmarks run them.
var EngineNames = []string{"accord", "opa", "cedar"}

// Sources holds what a Suite is built from: Accord packs (pack is the one
// evaluated), the Rego module (package regoPkg) and the Cedar policies.
type Sources struct {
	// Packs are the Accord packs to compile; Pack names the one evaluated.
	Packs []*policy.Pack
	Pack  string
	// RegoPkg is the Rego package (e.g. accord.gdsi); Rego is its module.
	RegoPkg string
	Rego    string
	// Cedar is the Cedar policy text.
	Cedar []byte
	// Context builds Cedar's context for these policies.
	Context ContextBuilder
}

// NewSuite compiles src into the three engines against reg.
func NewSuite(name string, src Sources, reg *registry.Registry, cases []*Case) (*Suite, error) {
	var pack *policy.Pack
	for _, p := range src.Packs {
		if p.Name == src.Pack {
			pack = p
		}
	}
	if pack == nil {
		return nil, fmt.Errorf("suite %s: pack %s not loaded", name, src.Pack)
	}
	deny := denyIDs([]*policy.Pack{pack})
	acc, err := NewAccord(src.Packs, reg, src.Pack)
	if err != nil {
		return nil, fmt.Errorf("suite %s: %w", name, err)
	}
	opa, err := NewOPA(src.RegoPkg, src.Rego, regoData(reg, pack), deny)
	if err != nil {
		return nil, fmt.Errorf("suite %s: %w", name, err)
	}
	ced, err := NewCedar(name+".cedar", src.Cedar, reg, pack.Params, deny, src.Context)
	if err != nil {
		return nil, fmt.Errorf("suite %s: %w", name, err)
	}
	return &Suite{Name: name, Engines: map[string]Engine{"accord": acc, "opa": opa, "cedar": ced}, Cases: cases}, nil
}

// regoData is the data document Rego reads: the pack's dated parameters
// (data.params.<name> = [{value, valid_from, valid_to}], times in Unix
// nanoseconds, 0 = open-ended) and the registry's agreements
// (data.agreements.<id> = {parties, purposes, valid_from, valid_to}).
func regoData(reg *registry.Registry, pack *policy.Pack) map[string]any {
	ns := func(t interface{ UnixNano() int64 }, zero bool) int64 {
		if zero {
			return 0
		}
		return t.UnixNano()
	}
	params := map[string]any{}
	for _, p := range pack.Params {
		var vs []any
		for _, v := range p.Values {
			vs = append(vs, map[string]any{"value": v.Value, "valid_from": ns(v.ValidFrom, false), "valid_to": ns(v.ValidTo, v.ValidTo.IsZero())})
		}
		params[p.Name] = vs
	}
	ags := map[string]any{}
	for _, a := range reg.Agreements() {
		ags[a.ID] = map[string]any{"parties": a.Parties, "purposes": a.Purposes,
			"valid_from": ns(a.ValidFrom, false), "valid_to": ns(a.ValidTo, a.ValidTo.IsZero())}
	}
	return map[string]any{"params": params, "agreements": ags}
}

// LoadCases reads a pack test file (internal/policy/packs/<pack>_test.yaml)
// as cases.
func LoadCases(fsys fs.FS, path string, reg *registry.Registry) ([]*Case, error) {
	data, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("load cases %s: %w", path, err)
	}
	tf, err := policy.ParseTestFile(path, data, reg)
	if err != nil {
		return nil, fmt.Errorf("load cases %s: %w", path, err)
	}
	out := make([]*Case, 0, len(tf.Cases))
	for _, tc := range tf.Cases {
		out = append(out, &Case{Name: tc.Name, Pack: tf.Pack, Request: tc.Request, History: tc.History,
			Authorized: tc.Authorized, Outcome: tc.Outcome, Rules: tc.Rules})
	}
	return out, nil
}

// GDSI builds the gdsi suite: the embedded gdsi pack, bench/rego/gdsi.rego,
// bench/cedar/gdsi.cedar, and every case of gdsi_test.yaml.
func GDSI(reg *registry.Registry) (*Suite, error) {
	packs, err := policy.Load(policy.Embedded(), "packs/gdsi.yaml")
	if err != nil {
		return nil, err
	}
	rg, err := fs.ReadFile(sources, "rego/gdsi.rego")
	if err != nil {
		return nil, err
	}
	cd, err := fs.ReadFile(sources, "cedar/gdsi.cedar")
	if err != nil {
		return nil, err
	}
	cases, err := LoadCases(policy.Embedded(), "packs/gdsi_test.yaml", reg)
	if err != nil {
		return nil, err
	}
	return NewSuite("gdsi", Sources{Packs: packs, Pack: "gdsi", RegoPkg: "accord.gdsi", Rego: string(rg), Cedar: cd, Context: GDSIContext}, reg, cases)
}
