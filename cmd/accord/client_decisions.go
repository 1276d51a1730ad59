package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

func newDecisionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "decisions",
		Short: "Binding decisions on an Accord server: submit, get, list",
		Long: `The decisions commands ask a running server (--server URL, token from
--token or ACCORD_TOKEN) for binding decisions: each is evaluated against the
server's packs, with the requester, dataset labels and counts the server
knows, and logged before it is answered. For a dry run on this machine, use
accord check.

Exit codes, as for accord check: 0 allow, 3 deny, 4 pending, 2 bad input
(including a 4xx answer), 1 any other error (the server unreachable, a 5xx).`,
		Example: `  export ACCORD_SERVER=http://127.0.0.1:8700 ACCORD_TOKEN=accord_...
  accord decisions submit request.json
  accord decisions get dec-1f2e... --receipt receipt.json
  accord decisions list --format json`,
	}
	cmd.AddCommand(newDecisionsSubmitCmd(), newDecisionsGetCmd(), newDecisionsListCmd())
	return cmd
}

func init() { rootCmd.AddCommand(newDecisionsCmd()) }

func newDecisionsSubmitCmd() *cobra.Command {
	var o clientOptions
	var out string
	cmd := &cobra.Command{
		Use:   "submit FILE|-",
		Short: "Ask the server for a binding decision on a request (POST /v1/decisions)",
		Long: `submit sends the request (JSON, as for accord check; - reads standard input)
and prints the decision the server made and logged. The request carries an
Idempotency-Key header: a random one, or --idempotency-key to retry a
submission whose answer was lost without deciding twice.`,
		Example: `  accord decisions submit request.json --server http://127.0.0.1:8700
  accord decisions submit - --format json < request.json
  accord decisions submit request.json --idempotency-key order-4711`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			body, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			data, _, err := c.call(cmd.Context(), http.MethodPost, "/v1/decisions", body, true)
			if err != nil {
				return err
			}
			// The answer is {decision, request}, as GET returns it.
			var answer struct {
				Decision model.Decision `json:"decision"`
			}
			if err := json.Unmarshal(data, &answer); err != nil {
				return fmt.Errorf("the server's decision does not decode: %w", err)
			}
			d := answer.Decision
			if err := printAnswer(cmd, o.format, out, data, func() { renderDecision(cmd.OutOrStdout(), locale.For(locale.FromEnv()), d.ID, &d) }); err != nil {
				return err
			}
			return withCodeIfNot(outcomeCode(d.Outcome))
		},
	}
	o.addFlags(cmd.Flags(), true)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	addOutputFlag(cmd.Flags(), &out, "also write the server's answer (JSON) to this file")
	return cmd
}

func newDecisionsGetCmd() *cobra.Command {
	var o clientOptions
	var out, receipt, wait string
	cmd := &cobra.Command{
		Use:   "get DECISION-ID",
		Short: "Fetch a decision the server made, with its request and log receipt (GET /v1/decisions/{id})",
		Long: `get prints a decision the server made. A requester sees only its own
decisions; auditors and admins see all. --receipt writes the decision's log
receipt, for accord log verify-receipt, once a checkpoint covers it (--wait
lets the server wait for one, up to 30s).`,
		Example: `  accord decisions get dec-1f2e... --receipt receipt.json --wait 3s
  accord log verify-receipt receipt.json --key "$VKEY"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			path := "/v1/decisions/" + url.PathEscape(args[0])
			if wait != "" {
				path += "?wait=" + url.QueryEscape(wait)
			}
			data, _, err := c.call(cmd.Context(), http.MethodGet, path, nil, false)
			if err != nil {
				return err
			}
			var rec struct {
				Decision model.Decision  `json:"decision"`
				Receipt  json.RawMessage `json:"receipt"`
			}
			if err := json.Unmarshal(data, &rec); err != nil {
				return fmt.Errorf("the server's decision does not decode: %w", err)
			}
			if receipt != "" {
				if len(rec.Receipt) == 0 || string(rec.Receipt) == "null" {
					return errors.New("--receipt: no checkpoint covers this decision yet; try again with --wait 3s")
				}
				var buf []byte
				if buf, err = json.MarshalIndent(rec.Receipt, "", "  "); err != nil {
					return err
				}
				if err := os.WriteFile(receipt, append(buf, '\n'), 0o644); err != nil {
					return fmt.Errorf("--receipt: %w", err)
				}
			}
			return printAnswer(cmd, o.format, out, data, func() {
				renderDecision(cmd.OutOrStdout(), locale.For(locale.FromEnv()), rec.Decision.ID, &rec.Decision)
				if receipt != "" {
					fmt.Fprintf(cmd.OutOrStdout(), "  receipt written to %s\n", receipt)
				}
			})
		},
	}
	o.addFlags(cmd.Flags(), false)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&receipt, "receipt", "", "write the decision's log receipt to this file")
	cmd.Flags().StringVar(&wait, "wait", "", "let the server wait this long (up to 30s) for a checkpoint covering the decision")
	addOutputFlag(cmd.Flags(), &out, "also write the server's answer (JSON) to this file")
	return cmd
}

func newDecisionsListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List decisions, where the server offers a list (GET /v1/decisions)",
		Long: `list asks the server for its decisions. The API as of this release has no
list of decisions (only GET /v1/decisions/{id}); against such a server list
says so and exits 2. The log is the complete, public list: accord log
verify and accord report transparency read it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			data, status, err := c.call(cmd.Context(), http.MethodGet, "/v1/decisions", nil, false)
			if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
				return badInput(fmt.Errorf("the server at %s has no list of decisions (GET /v1/decisions answered %d): fetch one with accord decisions get ID, or count them with accord report transparency", c.base, status))
			}
			if err != nil {
				return err
			}
			return printAnswer(cmd, o.format, "", data, func() {
				var page struct {
					Decisions []model.Decision `json:"decisions"`
				}
				if json.Unmarshal(data, &page) != nil {
					_ = writeIndented(cmd.OutOrStdout(), data)
					return
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tOUTCOME\tLOG INDEX")
				for _, d := range page.Decisions {
					idx := "-"
					if d.LogIndex != nil {
						idx = fmt.Sprint(*d.LogIndex)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\n", d.ID, d.Outcome, idx)
				}
				_ = tw.Flush()
			})
		},
	}
	o.addFlags(cmd.Flags(), false)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	return cmd
}

// printAnswer writes the server's answer: to -o/--output when given, and
// to standard output as JSON (--format json) or as text (text prints it
// for people).
func printAnswer(cmd *cobra.Command, format, out string, data []byte, text func()) error {
	if out != "" && out != "-" {
		if err := os.WriteFile(out, data, 0o644); err != nil {
			return fmt.Errorf("-o: %w", err)
		}
	}
	if format == "json" {
		return writeIndented(cmd.OutOrStdout(), data)
	}
	text()
	return nil
}
