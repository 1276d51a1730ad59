package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/accord-dev/accord/internal/model"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// OPA is a Rego module prepared for evaluation (rego.PrepareForEval). The
// module defines `result := {"fired": fired, "unsatisfied": unsatisfied}`.
type OPA struct {
	pq   rego.PreparedEvalQuery
	deny map[string]bool
}

// opaInput is what Rego sees as `input`: the request's JSON plus the
// verified authorizations and the history counters.
type opaInput struct {
	*model.Request
	Authorized []string       `json:"authorized"`
	History    *model.History `json:"history,omitempty"`
}

// NewOPA parses and prepares module (package pkg) with data as the data
// document; deny lists the deny-effect rule ids.
func NewOPA(pkg, module string, data map[string]any, deny map[string]bool) (*OPA, error) {
	ctx := context.Background()
	// The data document is compiled in as a module (package accord_data)
	// rather than kept in the store: OPA then reads it as already-parsed
	// terms instead of converting store values on every evaluation.
	var b strings.Builder
	b.WriteString("package accord_data\n\n")
	for _, k := range slices.Sorted(maps.Keys(data)) {
		v, err := json.Marshal(data[k])
		if err != nil {
			return nil, fmt.Errorf("rego data %s.%s: %w", pkg, k, err)
		}
		fmt.Fprintf(&b, "%s := %s\n\n", k, v)
	}
	r := rego.New(
		rego.Query("data."+pkg+".result"),
		rego.Module(pkg+".rego", module),
		rego.Module("accord_data.rego", b.String()),
		rego.Store(inmem.New()),
	)
	pq, err := r.PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare rego %s: %w", pkg, err)
	}
	return &OPA{pq: pq, deny: deny}, nil
}

// Prepare converts a case to an ast.Value input (the JSON of the request,
// as rego.EvalInput would make it).
func (o *OPA) Prepare(c *Case) (any, error) {
	v, err := ast.InterfaceToValue(opaInput{Request: c.Request, Authorized: c.Authorized, History: c.History})
	if err != nil {
		return nil, fmt.Errorf("rego input: %w", err)
	}
	return v, nil
}

// Eval evaluates a prepared ast.Value with EvalParsedInput.
func (o *OPA) Eval(in any) (Result, error) {
	rs, err := o.pq.Eval(context.Background(), rego.EvalParsedInput(in.(ast.Value)))
	if err != nil {
		return Result{}, fmt.Errorf("rego eval: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Result{}, fmt.Errorf("rego eval: %d results, want 1 (result undefined?)", len(rs))
	}
	m, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok {
		return Result{}, fmt.Errorf("rego eval: result is %T", rs[0].Expressions[0].Value)
	}
	fired, err := stringList(m["fired"])
	if err != nil {
		return Result{}, fmt.Errorf("rego fired: %w", err)
	}
	unsat, err := stringList(m["unsatisfied"])
	if err != nil {
		return Result{}, fmt.Errorf("rego unsatisfied: %w", err)
	}
	return combine(fired, unsat, o.deny), nil
}

func stringList(v any) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%T, want a set of strings", v)
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("element %T, want string", x)
		}
		out = append(out, s)
	}
	return out, nil
}
