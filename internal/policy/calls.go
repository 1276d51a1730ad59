package policy

import (
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/overloads"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// fastCalls replaces, in the fast programs, the calls cel-go would
// evaluate with an argument slice allocated per call:
//
//   - a chain of string concatenations a + b + c ... (a messageExpression)
//     is built in one allocation instead of one per `+`;
//   - cumulative, cumulativeDevices and agreementCovers (three to five
//     arguments, counting the hidden @input) get their arguments on the
//     stack.
//
// The results are the same as those of the calls replaced. The guarded
// programs keep cel-go's own calls, so that the runtime cost tracker sees
// every call it counts.
func fastCalls(fn *functions) cel.ProgramOption {
	return cel.CustomDecoratorV2(func(i interpreter.InterpretableV2) (interpreter.InterpretableV2, error) {
		if l := constStringList(i); l != nil {
			return l, nil
		}
		call, ok := i.(interpreter.InterpretableCall)
		if !ok {
			return asRequestField(i), nil
		}
		if m := newMatchCall(call); m != nil {
			return m, nil
		}
		args := call.Args()
		switch call.OverloadID() {
		case overloads.AddString:
			if len(args) != 2 {
				return i, nil
			}
			c := &concatCall{id: call.ID()}
			for _, a := range args {
				if inner, ok := a.(*concatCall); ok {
					c.parts = append(c.parts, inner.parts...)
				} else {
					c.parts = append(c.parts, a)
				}
			}
			return c, nil
		case "cumulative_at", "cumulative_list_at", "cumulativeDevices_at", "agreementCovers_at",
			"cumulativeByPair_at", "cumulativeByPair_list_at", "cumulativeByExporter_at", "cumulativeByExporter_list_at", "cumulativeDevicesByPair_at":
			if len(args) > maxFixedArgs {
				return i, nil
			}
			return &fixedCall{id: call.ID(), overload: call.OverloadID(), args: args, fn: fn}, nil
		}
		return i, nil
	})
}

// concatCall is a flattened chain of string concatenations.
type concatCall struct {
	id    int64
	parts []interpreter.InterpretableV2
}

// ID implements interpreter.Interpretable.
func (c *concatCall) ID() int64 { return c.id }

// Eval implements interpreter.Interpretable.
func (c *concatCall) Eval(act interpreter.Activation) ref.Val {
	return interpreter.EvalActivation(act, c.Exec)
}

// Exec implements interpreter.InterpretableV2.
func (c *concatCall) Exec(f *interpreter.ExecutionFrame) ref.Val {
	s, bad := c.concat(f)
	if bad != nil {
		return bad
	}
	return types.String(s)
}

// concat evaluates the parts and joins them; bad is the value (an error,
// or a part that is not a string) that makes the call fail.
func (c *concatCall) concat(f *interpreter.ExecutionFrame) (string, ref.Val) {
	var small [16]string
	ss := small[:0]
	n := 0
	for _, p := range c.parts {
		v := p.Exec(f)
		s, ok := v.(types.String)
		if !ok {
			if types.IsUnknownOrError(v) {
				return "", v
			}
			return "", types.MaybeNoSuchOverloadErr(v)
		}
		ss = append(ss, string(s))
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range ss {
		b.WriteString(s)
	}
	return b.String(), nil
}

// render is the Go string of a message expression that is a
// concatenation, without boxing it as a CEL value; ok is false when the
// concatenation fails (or panics), and the caller then runs the program,
// which reports why.
func (c *concatCall) render(f *interpreter.ExecutionFrame) (out string, ok bool) {
	defer func() {
		if recover() != nil {
			out, ok = "", false
		}
	}()
	s, bad := c.concat(f)
	return s, bad == nil
}

// maxFixedArgs is the most arguments a fixedCall holds on the stack.
const maxFixedArgs = 5

// fixedCall is a call of one of Accord's functions of three to five
// arguments.
type fixedCall struct {
	id       int64
	overload string
	args     []interpreter.InterpretableV2
	fn       *functions
}

// ID implements interpreter.Interpretable.
func (c *fixedCall) ID() int64 { return c.id }

// Eval implements interpreter.Interpretable.
func (c *fixedCall) Eval(act interpreter.Activation) ref.Val {
	return interpreter.EvalActivation(act, c.Exec)
}

// Exec implements interpreter.InterpretableV2.
func (c *fixedCall) Exec(f *interpreter.ExecutionFrame) ref.Val {
	var a [maxFixedArgs]ref.Val
	for i, arg := range c.args {
		v := arg.Exec(f)
		if types.IsUnknownOrError(v) {
			return v
		}
		a[i] = v
	}
	args := a[:len(c.args)]
	switch c.overload {
	case "cumulative_at", "cumulative_list_at":
		return cumulative(args...)
	case "cumulativeByPair_at", "cumulativeByPair_list_at":
		return cumulativeByPair(args...)
	case "cumulativeByExporter_at", "cumulativeByExporter_list_at":
		return cumulativeByExporter(args...)
	case "cumulativeDevices_at":
		return cumulativeDevices(args...)
	case "cumulativeDevicesByPair_at":
		return cumulativeDevicesByPair(args...)
	case "agreementCovers_at":
		return c.fn.agreementCovers(args...)
	}
	return types.NoSuchOverloadErr()
}
