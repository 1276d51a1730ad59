package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/accord-dev/accord/internal/model"
)

// TestDecisionOwnsItsSlices checks that a decision shares no storage with
// the pooled scratch space: decisions taken afterwards leave it unchanged.
func TestDecisionOwnsItsSlices(t *testing.T) {
	packs, reg, _ := bundledPacks(t)
	eng, err := Compile(packs, reg)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../examples/regimes/*.json")
	if len(files) < 2 {
		t.Fatalf("only %d example requests", len(files))
	}
	var ins []*Input
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		req, err := model.DecodeRequest(data, reg)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ins = append(ins, &Input{Request: req})
	}
	var decs []model.Decision
	var before [][]byte
	fired := 0
	for _, in := range ins {
		dec := eng.Evaluate(in, Options{})
		for _, po := range dec.Packs {
			fired += len(po.Rules)
		}
		b, _ := json.Marshal(dec)
		decs, before = append(decs, dec), append(before, b)
	}
	if fired == 0 {
		t.Fatal("no rule fired: the test shows nothing")
	}
	for range 3 {
		for i := len(ins) - 1; i >= 0; i-- {
			eng.Evaluate(ins[i], Options{Explain: i%2 == 0})
		}
	}
	for i, dec := range decs {
		after, _ := json.Marshal(dec)
		if string(after) != string(before[i]) {
			t.Errorf("%s: decision changed by later evaluations:\nbefore %s\nafter  %s", filepath.Base(files[i]), before[i], after)
		}
	}
}
