package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// renderDecision writes a decision for people: the outcome, every rule that
// fired with its message and citation, what would unblock a pending
// decision, the obligations, and each pack's own outcome.
func renderDecision(w io.Writer, p *locale.Printer, name string, d *model.Decision) {
	fmt.Fprintf(w, "%s: %s\n", name, p.Sprintf(strings.ToUpper(string(d.Outcome))))
	if len(d.Reasons) == 0 {
		fmt.Fprintf(w, "  %s\n", p.Sprintf("no rule fired"))
	}
	for _, r := range d.Reasons {
		state := r.Effect
		if r.Effect == model.EffectRequire {
			if r.Satisfied {
				state += " (" + p.Sprintf("satisfied") + ")"
			} else {
				state += " (" + p.Sprintf("not satisfied") + ")"
			}
		}
		fmt.Fprintf(w, "  - %s [%s] %s\n", r.Rule, r.Pack, state)
		fmt.Fprintf(w, "    %s\n", r.Message)
		if r.Citation != "" {
			fmt.Fprintf(w, "    %s\n", r.Citation)
		}
	}
	for _, q := range d.Requires {
		fmt.Fprintf(w, "  %s (%s)\n", p.Sprintf("requires %s", requirementText(p, q)), q.Rule)
	}
	for _, o := range d.Obligations {
		fmt.Fprintf(w, "  %s: %s (%s)\n", p.Sprintf("obligation"), o.Message, o.Rule)
	}
	if len(d.Packs) > 0 {
		parts := make([]string, 0, len(d.Packs))
		for _, po := range d.Packs {
			parts = append(parts, po.Pack+" "+p.Sprintf(string(po.Outcome)))
		}
		fmt.Fprintf(w, "  %s: %s\n", p.Sprintf("packs"), strings.Join(parts, ", "))
	}
	for _, t := range d.Explain {
		fmt.Fprintf(w, "  %s: %s [%s] %s\n", p.Sprintf("explain"), t.Rule, t.Pack, traceText(p, t))
	}
	switch {
	case d.LogIndex != nil:
		fmt.Fprintf(w, "  %s\n", p.Sprintf("logged at index %s", strconv.FormatUint(*d.LogIndex, 10)))
	case !d.Binding:
		fmt.Fprintf(w, "  %s\n", p.Sprintf("dry run: not logged, not binding"))
	}
}

// traceText says what became of one rule evaluated: for a pack's
// "(applies)" condition whether the pack applies, for a rule whether it
// fired. The trace's result is shown only when it says more than the
// boolean already said (an evaluation error, say).
func traceText(p *locale.Printer, t model.Trace) string {
	var mark string
	switch {
	case t.Rule == "(applies)" && t.Fired:
		mark = p.Sprintf("applies")
	case t.Rule == "(applies)":
		mark = p.Sprintf("does not apply")
	case t.Fired:
		mark = p.Sprintf("fired")
	default:
		mark = p.Sprintf("did not fire")
	}
	if t.Result != "" && t.Result != "true" && t.Result != "false" {
		mark += " (" + t.Result + ")"
	}
	return mark
}

// requirementText says what a requirement asks for.
func requirementText(p *locale.Printer, q model.Requirement) string {
	switch {
	case q.AuthorizationFrom != "":
		return p.Sprintf("authorization from %s", q.AuthorizationFrom)
	case q.Basis != "":
		return p.Sprintf("basis %s", q.Basis)
	case q.Measure != "":
		return p.Sprintf("measure %s", q.Measure)
	}
	return "?"
}
