package policy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/accord-dev/accord/internal/model"
)

// benchInputs loads the example requests (examples/requests/*.json) as
// the fixed mix every benchmark evaluates.
func benchInputs(tb testing.TB) []*Input {
	tb.Helper()
	files, err := filepath.Glob("../../examples/requests/*.json")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no example requests: %v", err)
	}
	var out []*Input
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		req, err := model.DecodeRequest(data, nil)
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		out = append(out, &Input{Request: req, History: req.History})
	}
	return out
}

func benchEngine(tb testing.TB, files ...string) *Engine {
	tb.Helper()
	packs, err := Load(Embedded(), files...)
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := Compile(packs, fakeRegistry{})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// BenchmarkCheck evaluates the example requests with the gdsi pack, one
// decision per op.
func BenchmarkCheck(b *testing.B) {
	eng := benchEngine(b, "packs/gdsi.yaml")
	ins := benchInputs(b)
	opts := Options{Packs: []string{"gdsi"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		eng.Evaluate(ins[i%len(ins)], opts)
	}
}

// BenchmarkCheckParallel is BenchmarkCheck from every CPU at once.
func BenchmarkCheckParallel(b *testing.B) {
	eng := benchEngine(b, "packs/gdsi.yaml")
	ins := benchInputs(b)
	opts := Options{Packs: []string{"gdsi"}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			eng.Evaluate(ins[i%len(ins)], opts)
			i++
		}
	})
}

// BenchmarkCheckAuto evaluates with every bundled pack and automatic
// selection (issue 5's figure).
func BenchmarkCheckAuto(b *testing.B) {
	all, _ := filepath.Glob("packs/*.yaml")
	var files []string
	for _, f := range PackFiles(all) {
		files = append(files, f)
	}
	eng := benchEngine(b, files...)
	ins := benchInputs(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		eng.Evaluate(ins[i%len(ins)], Options{})
	}
}
