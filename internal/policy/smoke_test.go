package policy

import (
	"testing"

	"cel.dev/cel-go/common/types"

	"github.com/accord-dev/accord/internal/model"
)

func TestSmokeSumOf(t *testing.T) {
	base, err := newBaseEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	ast, iss := base.Compile(`sumOf(request.requester.owners, ["CN", "RU"]) >= 50.0 && sumOf(request.data.subjects, ["FR"]) == 3`)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	prg, _ := base.Program(ast)
	r := &model.Request{Requester: model.Principal{Owners: map[string]float64{"CN": 30, "RU": 25}}, Data: model.Data{Subjects: map[string]int64{"FR": 3}}}
	out, _, err := prg.Eval(&evalState{reqPtr: r})
	if err != nil || out != types.True {
		t.Fatal(out, err)
	}
}
