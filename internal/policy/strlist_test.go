package policy

import (
	"testing"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
)

// TestStrList checks that strList behaves as a CEL list of strings in
// every operation a pack can use, whichever way its elements are boxed.
func TestStrList(t *testing.T) {
	env, err := cel.NewEnv(cel.Variable("l", cel.ListType(cel.StringType)), cel.Variable("d", cel.DynType))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr string
		want any // bool, int64, string or "error"
	}{
		{`"FR" in l`, true},
		{`"XX" in l`, false},
		{`d in l`, false}, // d is an int
		{`l.exists(x, x == "personal.health")`, true},
		{`l.all(x, x.size() > 1)`, true},
		{`l.filter(x, x != "FR").size()`, int64(2)},
		{`l[1]`, "personal.health"},
		{`l[3]`, "error"},
		{`l[-1]`, "error"},
		{`size(l)`, int64(3)},
		{`l == ["FR", "personal.health", "DE"]`, true},
		{`l == ["FR"]`, false},
		{`(l + ["X"]).size()`, int64(4)},
		{`(l + []).size()`, int64(3)},
		{`l.map(x, x + "!")[0]`, "FR!"},
	}
	ss := []string{"FR", "personal.health", "DE"}
	shared := newParamList(ss)
	var owned strList
	owned.reset(ss)
	lists := map[string]*strList{"plain": newStrList(ss), "param": shared, "owned": &owned}
	for name, l := range lists {
		for _, tt := range tests {
			ast, iss := env.Compile(tt.expr)
			if iss.Err() != nil {
				t.Fatalf("%s: %v", tt.expr, iss.Err())
			}
			prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := prg.Eval(map[string]any{"l": l, "d": types.Int(1)})
			if tt.want == "error" {
				if err == nil {
					t.Errorf("%s: %s = %v, want an error", name, tt.expr, out)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %s: %v", name, tt.expr, err)
				continue
			}
			if out.Value() != tt.want {
				t.Errorf("%s: %s = %v, want %v", name, tt.expr, out.Value(), tt.want)
			}
		}
	}
}
