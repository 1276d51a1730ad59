package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/report"
)

func newReportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Transparency reports built from the log",
	}
	var (
		period, lang, format, key, logDir string
	)
	tr := &cobra.Command{
		Use:   "transparency",
		Short: "Lawful-access requests by requesting state and channel, from the verified log",
		Long: `Transparency audits the whole log first (every entry hashed, the tree
recomputed and checked against the signed checkpoint), then counts the
lawful-access decisions of the period: per requesting state and channel
(mutual legal assistance, agreement, emergency, direct order), the requests,
the subjects and records asked for, and what came of them. Every figure
lists the log indices it counts, so anyone holding the log can recount it.

The JSON and HTML reports list too every registry, pack and catalog change of the
period (an authority's key with its fingerprint, an agreement, a bloc, a
pack version): a state checks there that its authority's key was not
replaced (see docs/operations.md).`,
		Example: `  # The second half of 2026, in French, as HTML
  accord report transparency --period 2026-H2 --lang fr --format html > rapport.html

  # A quarter, as CSV, from a log another state publishes
  accord report transparency --period 2026-Q4 --format csv \
      --log https://accord.example/log --key "$VKEY"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := report.ParsePeriod(period)
			if err != nil {
				return badInput(locale.Errorf("--period: %v", err))
			}
			if !slices.Contains(report.Formats, format) {
				return badInput(locale.Errorf("--format: %q is not one of %s", format, strings.Join(report.Formats, ", ")))
			}
			printer, err := langPrinter(lang, locale.Report)
			if err != nil {
				return badInput(locale.Errorf("--lang: %v", err))
			}
			v, err := logVerifierFor(key)
			if err != nil {
				return err
			}
			src, err := ledger.OpenSource(logLocation(logDir), logHTTPClient)
			if err != nil {
				return badInput(err)
			}
			var entries []report.Logged
			opts := ledger.VerifyOptions{
				OnEntry: func(i uint64, e ledger.Entry) error {
					entries = append(entries, report.Logged{Index: i, Entry: e})
					return nil
				},
				Want: report.Reads,
			}
			// Re-verifying a long log takes a while: show progress on a
			// terminal, as accord log verify does.
			bar := newLogProgressBar(cmd.ErrOrStderr(), userPrinter())
			if bar != nil {
				opts.Progress = bar.update
			}
			cp, err := ledger.Verify(cmd.Context(), src, v, "", opts)
			bar.finish()
			if err != nil {
				if unreachable(err) {
					return locale.Errorf("the log at %s is unreachable, so no report was made (is the server running?): %v", logLocation(logDir), err)
				}
				return locale.Errorf("the log did not verify, so no report was made from it: %v", err)
			}
			rep := report.Build(p, entries)
			rep.Pin(cp)
			return report.Write(cmd.OutOrStdout(), rep, format, printer)
		},
	}
	tr.Flags().StringVar(&period, "period", "", "period: YYYY, YYYY-H1|H2, YYYY-Q1..Q4, YYYY-MM, or all (required)")
	tr.Flags().StringVar(&lang, "lang", "", "language of the report: en, fr, zh, es, ar or ru (another is an error); default from ACCORD_LANG or LANG")
	tr.Flags().StringVar(&format, "format", "html", "output format: json, csv or html")
	tr.Flags().StringVar(&key, "key", "", "verifier key of the log, or a file holding it (default: the key under --data)")
	tr.Flags().StringVar(&logDir, "log", "", "the log: a directory or the URL of its read API (default: DIR/log under --data)")
	addDataFlag(tr.Flags())
	_ = tr.MarkFlagRequired("period")
	cmd.AddCommand(tr)
	return cmd
}

func init() { rootCmd.AddCommand(newReportCmd()) }
