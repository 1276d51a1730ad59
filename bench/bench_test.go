package bench

import (
	"fmt"
	"github.com/accord-dev/accord/internal/cputime"
	"io/fs"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
)

// Sizes are the generated rule counts.
var Sizes = []int{10, 100, 1000}

var loaded struct {
	once  sync.Once
	reg   *registry.Registry
	gdsi  *Suite
	usdsp *Suite
	gen   map[int]*Suite
	err   error
}

// suites loads the registry and every suite once per process and checks
// every engine against every case: a fast wrong answer does not count, so
// any disagreement stops the benchmarks (b.Fatal).
func suites(b *testing.B) (*registry.Registry, *Suite, map[int]*Suite) {
	b.Helper()
	loaded.once.Do(func() {
		loaded.reg, loaded.err = registry.Load()
		if loaded.err != nil {
			return
		}
		loaded.gdsi, loaded.err = GDSI(loaded.reg)
		if loaded.err != nil {
			return
		}
		loaded.usdsp, loaded.err = USDSP(loaded.reg)
		if loaded.err != nil {
			return
		}
		loaded.gen = map[int]*Suite{}
		for _, n := range Sizes {
			s, err := Generated(n, loaded.reg)
			if err != nil {
				loaded.err = err
				return
			}
			loaded.gen[n] = s
		}
	})
	if loaded.err != nil {
		b.Fatal(loaded.err)
	}
	checkSuite(b, loaded.gdsi)
	checkSuite(b, loaded.usdsp)
	for _, n := range Sizes {
		checkSuite(b, loaded.gen[n])
	}
	return loaded.reg, loaded.gdsi, loaded.gen
}

// scenario is one benchmarked workload: a suite and the cases evaluated
// in turn (one per op).
type scenario struct {
	name  string
	size  int
	suite *Suite
	cases []*Case
}

// gdsiSize is the number of rules of the gdsi pack.
func gdsiSize(b *testing.B) int {
	packs, err := policy.Load(policy.Embedded(), "packs/gdsi.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return len(packs[0].Rules)
}

// usdspSize is the number of rules of the us-dsp thresholds pack.
func usdspSize(b *testing.B) int {
	packs, err := policy.Load(sources, "packs/usdsp-thresholds.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return len(packs[0].Rules)
}

// scenarios lists the workloads: the real gdsi pack on one allow, one deny
// and one pending case of its test file and on all its cases in turn
// (mix); the us-dsp thresholds on a combined-set deny, an at-threshold
// allow and all their cases (mix); then each generated size on deny-first, deny-last and allow.
func scenarios(b *testing.B) []scenario {
	_, g, gen := suites(b)
	n := gdsiSize(b)
	pick := func(name string) *Case {
		for _, c := range g.Cases {
			if c.Name == name {
				return c
			}
		}
		b.Fatalf("gdsi case %q not found", name)
		return nil
	}
	out := []scenario{
		{"gdsi-allow", n, g, []*Case{pick("commitment 6 — with the third state's own authorization the agreement's request is allowed")}},
		{"gdsi-deny", n, g, []*Case{pick("commitment 3 — bulk selectors on another state's people from a state actor are denied")}},
		{"gdsi-pending", n, g, []*Case{pick("commitment 6 — a bilateral agreement cannot reach a third state's people")}},
		{"gdsi-mix", n, g, g.Cases},
	}
	u := loaded.usdsp
	pickU := func(name string) *Case {
		for _, c := range u.Cases {
			if c.Name == name {
				return c
			}
		}
		b.Fatalf("usdsp case %q not found", name)
		return nil
	}
	out = append(out,
		scenario{"usdsp-deny", usdspSize(b), u, []*Case{pickU("§ 202.205: combined health + financial set over the lowest threshold")}},
		scenario{"usdsp-allow", usdspSize(b), u, []*Case{pickU("§ 202.205(f): financial at 10,000 is not bulk")}},
		scenario{"usdsp-mix", usdspSize(b), u, u.Cases},
	)
	for _, size := range Sizes {
		for i, name := range GenScenarios {
			out = append(out, scenario{name, size, gen[size], gen[size].Cases[i : i+1]})
		}
	}
	return out
}

// BenchmarkEval evaluates inputs already converted to each engine's native
// form: *policy.Input (Accord), ast.Value with EvalParsedInput (OPA), a
// cedar.Request with its derived context built (Cedar).
func BenchmarkEval(b *testing.B) {
	for _, sc := range scenarios(b) {
		for _, eng := range EngineNames {
			e := sc.suite.Engines[eng]
			ins := make([]any, len(sc.cases))
			for i, c := range sc.cases {
				in, err := e.Prepare(c)
				if err != nil {
					b.Fatal(err)
				}
				ins[i] = in
			}
			b.Run(fmt.Sprintf("%s/%s/%d", eng, sc.name, sc.size), func(b *testing.B) {
				b.ReportAllocs()
				defer cputime.Report(b)()
				i := 0
				for b.Loop() {
					if _, err := e.Eval(ins[i%len(ins)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// endToEnd is one decision from Accord's model.Request: conversion to the
// engine's input, evaluation, and the outcome read back.
func endToEnd(b *testing.B, e Engine, c *Case) {
	in, err := e.Prepare(c)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.Eval(in); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEndToEnd decides from the model.Request: Accord evaluates it
// directly; OPA converts it to an ast.Value then evaluates; Cedar builds
// the cedar.Request (derived context attributes included) then authorizes.
func BenchmarkEndToEnd(b *testing.B) {
	for _, sc := range scenarios(b) {
		for _, eng := range EngineNames {
			e := sc.suite.Engines[eng]
			b.Run(fmt.Sprintf("%s/%s/%d", eng, sc.name, sc.size), func(b *testing.B) {
				b.ReportAllocs()
				defer cputime.Report(b)()
				i := 0
				for b.Loop() {
					endToEnd(b, e, sc.cases[i%len(sc.cases)])
					i++
				}
			})
		}
	}
}

// BenchmarkEndToEndParallel is BenchmarkEndToEnd from every CPU at once
// (throughput), on the gdsi mix and the generated deny-last scenarios.
func BenchmarkEndToEndParallel(b *testing.B) {
	for _, sc := range scenarios(b) {
		if sc.name != "gdsi-mix" && sc.name != "deny-last" {
			continue
		}
		for _, eng := range EngineNames {
			e := sc.suite.Engines[eng]
			b.Run(fmt.Sprintf("%s/%s/%d", eng, sc.name, sc.size), func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						c := sc.cases[i%len(sc.cases)]
						in, err := e.Prepare(c)
						if err != nil {
							b.Error(err)
							return
						}
						if _, err := e.Eval(in); err != nil {
							b.Error(err)
							return
						}
						i++
					}
				})
			})
		}
	}
}

// BenchmarkCompile measures turning rule text into a ready engine: Accord
// parses the pack YAML and compiles its CEL; OPA parses, compiles and
// prepares the Rego query; Cedar parses the policies into a set.
func BenchmarkCompile(b *testing.B) {
	reg, g, _ := suites(b)
	gdsiYAML, err := fs.ReadFile(policy.Embedded(), "packs/gdsi.yaml")
	if err != nil {
		b.Fatal(err)
	}
	gdsiRego, err := fs.ReadFile(sources, "rego/gdsi.rego")
	if err != nil {
		b.Fatal(err)
	}
	gdsiCedar, err := fs.ReadFile(sources, "cedar/gdsi.cedar")
	if err != nil {
		b.Fatal(err)
	}
	type set struct {
		name, pack, pkg string
		size            int
		yaml            []byte
		rego            string
		cedar           []byte
	}
	sets := []set{{"gdsi", "gdsi", "accord.gdsi", len(g.Cases), gdsiYAML, string(gdsiRego), gdsiCedar}}
	sets[0].size = gdsiSize(b)
	for _, n := range Sizes {
		rg, err := GenRego(n)
		if err != nil {
			b.Fatal(err)
		}
		sets = append(sets, set{"gen", "gen", "accord.gen", n, []byte(GenAccordPack(n)), rg, GenCedar(n)})
	}
	for _, s := range sets {
		fsys := fstest.MapFS{"p.yaml": {Data: s.yaml}}
		packs, err := policy.Load(fsys, "p.yaml")
		if err != nil {
			b.Fatal(err)
		}
		data := regoData(reg, packs[0])
		deny := denyIDs(packs)
		compile := map[string]func() error{
			"accord": func() error {
				p, err := policy.Load(fsys, "p.yaml")
				if err != nil {
					return err
				}
				_, err = NewAccord(p, reg, s.pack)
				return err
			},
			"opa": func() error {
				_, err := NewOPA(s.pkg, s.rego, data, deny)
				return err
			},
			"cedar": func() error {
				_, err := NewCedar(s.name+".cedar", s.cedar, reg, packs[0].Params, deny, GDSIContext)
				return err
			},
		}
		for _, eng := range EngineNames {
			b.Run(fmt.Sprintf("%s/%s/%d", eng, s.name, s.size), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := compile[eng](); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
