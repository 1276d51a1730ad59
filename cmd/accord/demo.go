package main

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/examples"
	"github.com/accord-dev/accord/internal/decide"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

func newDemoCmd() *cobra.Command {
	var (
		ef     engineFlags
		dryRun bool
		lang   string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Decide the bundled example requests, one per GDSI commitment, and log them",
		Long: `Demo evaluates the example requests bundled with Accord (examples/requests/),
one or more per commitment of the Global Data Security Initiative, prints the
decisions as a table with the rule and citation behind each, and appends them
to the transparency log under --data, so that the log commands can verify them.`,
		Example: `  # Decide and log the examples under ./accord-data
  accord demo

  # Then check the log the way an outside auditor would
  accord log key --data ./accord-data
  accord log verify --log ./accord-data/log --key "$(accord log key --data ./accord-data)"

  # Only show the decisions, log nothing
  accord demo --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := langPrinter(lang, locale.CLI)
			if err != nil {
				return badInput(locale.Errorf("--lang: %v", err))
			}
			reg, eng, names, err := ef.build()
			if err != nil {
				return err
			}
			opts := decideOptions(reg, names)
			var lg *ledger.Log
			if !dryRun {
				lock, err := lockDataErr(dataDir)
				if err != nil {
					return err
				}
				defer lock.release()
				lg, err = ledger.Open(cmd.Context(), filepath.Join(dataDir, "log"), ledger.Options{Origin: demoOrigin()})
				if err != nil {
					return locale.Errorf("open the log under %s: %v", dataDir, err)
				}
				defer lg.Close()
				opts = append(opts, decide.WithLog(lg))
			}
			d := decide.New(eng, opts...)

			files, err := fs.Glob(examples.Requests, "requests/*.json")
			if err != nil {
				return err
			}
			sort.Strings(files)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", strings.ToUpper(p.Sprintf("request")), strings.ToUpper(p.Sprintf("outcome")), strings.ToUpper(p.Sprintf("rules")), strings.ToUpper(p.Sprintf("citation")), strings.ToUpper(p.Sprintf("log index")))
			logged := 0
			var whatIf []string
			for _, f := range files {
				data, err := fs.ReadFile(examples.Requests, f)
				if err != nil {
					return err
				}
				req, err := model.DecodeRequest(data, reg)
				if err != nil {
					return locale.Errorf("bundled example %s: %v", f, err)
				}
				var dec model.Decision
				holders := namesApproval(req, eng.ApprovalMeasures())
				if holders != "" && !dryRun {
					// Only the data holder grants it (accord approvals): a
					// binding request may not name it; show the what-if.
					whatIf = append(whatIf, p.Sprintf("%s names %s, the data holder's approval, which only the holder grants (accord approvals): checked, not logged", path.Base(f), holders))
				}
				if dryRun || holders != "" {
					dec, err = d.Check(cmd.Context(), req, false)
				} else {
					// A binding decision is made now: the example's time
					// is for what-if checks.
					req.Time = time.Time{}
					dec, err = d.Decide(cmd.Context(), req)
				}
				if err != nil {
					return locale.Errorf("decide %s: %v", f, err)
				}
				idx := "-"
				if dec.LogIndex != nil {
					idx = indexText(*dec.LogIndex)
					logged++
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", path.Base(f), p.Sprintf(string(dec.Outcome)), ruleList(&dec), firstCitation(&dec), idx)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if lg != nil {
				fmt.Fprintln(cmd.OutOrStdout())
				for _, w := range whatIf {
					fmt.Fprintln(cmd.OutOrStdout(), w)
				}
				logDir := filepath.Join(dataDir, "log")
				fmt.Fprintln(cmd.OutOrStdout(), p.Sprintf("%d decisions logged to %s", logged, logDir))
				fmt.Fprintln(cmd.OutOrStdout(), p.Sprintf("verify them with: accord log verify --log %s --key %s", logDir, lg.VerifierKey()))
			}
			return nil
		},
	}
	ef.register(cmd)
	addDataFlag(cmd.Flags())
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "decide without logging")
	cmd.Flags().StringVar(&lang, "lang", "", "language of the output: en or fr (another is an error); default from ACCORD_LANG or LANG")
	return cmd
}

func init() { rootCmd.AddCommand(newDemoCmd()) }

// namesApproval returns the approval measures (server-owned: see
// policy.Rule.Approval) req names in basis.measures, joined, or "".
func namesApproval(req *model.Request, measures map[string][]string) string {
	var out []string
	for _, m := range req.Basis.Measures {
		if _, ok := measures[m]; ok {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// ruleList names the rules that fired, or "-".
func ruleList(d *model.Decision) string {
	if len(d.Reasons) == 0 {
		return "-"
	}
	ids := make([]string, 0, len(d.Reasons))
	for _, r := range d.Reasons {
		ids = append(ids, r.Rule)
	}
	return strings.Join(ids, ",")
}

// firstCitation gives the citation of the rule that decided: the first
// deny, else the first unsatisfied require, else the first reason.
func firstCitation(d *model.Decision) string {
	for _, want := range []func(model.Reason) bool{
		func(r model.Reason) bool { return r.Effect == model.EffectDeny },
		func(r model.Reason) bool { return r.Effect == model.EffectRequire && !r.Satisfied },
		func(model.Reason) bool { return true },
	} {
		for _, r := range d.Reasons {
			if want(r) {
				return shortCitation(r.Citation)
			}
		}
	}
	return "-"
}

// demoOrigin is the log origin the demo uses when the log is new.
// TODO(lead): share the ledger commands' default once log.go lands.
func demoOrigin() string { return "accord.example/demo" }

// shortCitation keeps the instrument and paragraph of a citation, before
// the quotation: "GDSI (2020), commitment 2 — 002_….txt, …: « … »" becomes
// "GDSI (2020), commitment 2". accord check shows citations in full.
func shortCitation(c string) string {
	if i := strings.Index(c, " — "); i > 0 {
		return c[:i]
	}
	if i := strings.Index(c, ": «"); i > 0 {
		return c[:i]
	}
	return c
}
