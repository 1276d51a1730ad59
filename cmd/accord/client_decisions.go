package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

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
				return locale.Errorf("the server's decision does not decode: %v", err)
			}
			d := answer.Decision
			if err := printAnswer(cmd, o.format, out, data, func() { renderDecision(cmd.OutOrStdout(), cliPrinter(), d.ID, &d) }); err != nil {
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
				return locale.Errorf("the server's decision does not decode: %v", err)
			}
			if receipt != "" {
				if len(rec.Receipt) == 0 || string(rec.Receipt) == "null" {
					return locale.Errorf("--receipt: no checkpoint covers this decision yet; try again with --wait 3s")
				}
				var buf []byte
				if buf, err = json.MarshalIndent(rec.Receipt, "", "  "); err != nil {
					return err
				}
				if err := os.WriteFile(receipt, append(buf, '\n'), 0o644); err != nil {
					return locale.Errorf("--receipt: %v", err)
				}
			}
			return printAnswer(cmd, o.format, out, data, func() {
				p := cliPrinter()
				renderDecision(cmd.OutOrStdout(), p, rec.Decision.ID, &rec.Decision)
				if receipt != "" {
					fmt.Fprintln(cmd.OutOrStdout(), "  "+p.Sprintf("receipt written to %s", receipt))
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

// decisionListFilters are the filters of GET /v1/decisions, each a flag
// of accord decisions list under the same name (with - for _).
var decisionListFilters = []string{"outcome", "pack", "rule", "requesting_state", "location", "subject_state",
	"action", "purpose", "since", "until", "pending_on"}

func newDecisionsListCmd() *cobra.Command {
	var o clientOptions
	var pageSize int
	var all bool
	filters := make([]string, len(decisionListFilters))
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List decision summaries, newest first, filtered (GET /v1/decisions)",
		Long: `list asks the server for summaries of the decisions the token may see (a
requester its own, an authority those involving its state, an auditor all):
codes and counts, never free text or personal data. Each filter narrows;
--since is inclusive and --until exclusive (RFC 3339). --pending-on takes a
state code (FR) or a measure name (scc).

--format csv writes RFC 4180 CSV with a header row. One page is printed
(--page-size, up to 1000); --all follows the pages to the end, which is how
to export the whole filtered set (with --format json, one JSON document a
page).`,
		Example: `  accord decisions list --outcome pending --pending-on FR
  accord decisions list --since 2026-11-01T00:00:00Z --format csv --all > decisions.csv
  accord decisions list --location DE --purpose law-enforcement --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format := o.format
			if format == "csv" {
				o.format = ""
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			for i, name := range decisionListFilters {
				if filters[i] != "" {
					q.Set(name, filters[i])
				}
			}
			if pageSize > 0 {
				q.Set("page_size", strconv.Itoa(pageSize))
			}
			if format == "csv" {
				q.Set("format", "csv")
			}
			w := cmd.OutOrStdout()
			var tw *tabwriter.Writer
			p := cliPrinter()
			if format != "json" && format != "csv" {
				tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, strings.Join([]string{p.Sprintf("ID"), p.Sprintf("TIME"), p.Sprintf("OUTCOME"), p.Sprintf("ACTION"),
					p.Sprintf("PURPOSE"), p.Sprintf("REQUESTING"), p.Sprintf("LOCATION"), p.Sprintf("PENDING ON")}, "\t"))
			}
			for page := 0; ; page++ {
				data, status, err := c.call(cmd.Context(), http.MethodGet, "/v1/decisions?"+q.Encode(), nil, false)
				if status == http.StatusMethodNotAllowed {
					return badInput(locale.Errorf("the server at %s has no list of decisions (GET /v1/decisions answered %s): fetch one with accord decisions get ID", c.base, strconv.Itoa(status)))
				}
				if err != nil {
					return err
				}
				next := ""
				switch format {
				case "csv":
					// The header row once, then each page's rows; the
					// next page's token is in the answer's header.
					body := string(data)
					if page > 0 {
						if _, rest, ok := strings.Cut(body, "\r\n"); ok {
							body = rest
						}
					}
					if _, err := io.WriteString(w, body); err != nil {
						return err
					}
					next = c.lastHeader.Get("Next-Page-Token")
				case "json":
					if !all {
						return writeIndented(w, data)
					}
					fallthrough
				default:
					var l struct {
						Decisions []struct {
							ID, Outcome, Action, Purpose, Location string
							RequestingState                        string `json:"requesting_state"`
							Time                                   time.Time
							PendingOn                              struct{ States, Measures []string } `json:"pending_on"`
						} `json:"decisions"`
						NextPageToken string `json:"next_page_token"`
					}
					if err := json.Unmarshal(data, &l); err != nil {
						return locale.Errorf("the server's list does not decode: %v", err)
					}
					next = l.NextPageToken
					if format == "json" {
						if err := writeIndented(w, data); err != nil {
							return err
						}
						break
					}
					for _, d := range l.Decisions {
						pending := strings.Join(append(d.PendingOn.States, d.PendingOn.Measures...), ",")
						if pending == "" {
							pending = "-"
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Time.UTC().Format(time.RFC3339), d.Outcome, d.Action, d.Purpose, d.RequestingState, d.Location, pending)
					}
				}
				if !all || next == "" {
					if tw != nil {
						return tw.Flush()
					}
					return nil
				}
				q.Set("page_token", next)
			}
		},
	}
	o.addFlags(cmd.Flags(), false)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text, json or csv")
	for i, name := range decisionListFilters {
		cmd.Flags().StringVar(&filters[i], strings.ReplaceAll(name, "_", "-"), "", "only decisions with this "+strings.ReplaceAll(name, "_", " "))
	}
	cmd.Flags().IntVar(&pageSize, "page-size", 0, "decisions per page, 1 to 1000 (default: the server's, 100)")
	cmd.Flags().BoolVar(&all, "all", false, "follow the pages to the end (an export of the whole filtered set)")
	return cmd
}

// printAnswer writes the server's answer: to -o/--output when given, and
// to standard output as JSON (--format json) or as text (text prints it
// for people).
func printAnswer(cmd *cobra.Command, format, out string, data []byte, text func()) error {
	if out != "" && out != "-" {
		if err := os.WriteFile(out, data, 0o644); err != nil {
			return locale.Errorf("-o: %v", err)
		}
	}
	if format == "json" {
		return writeIndented(cmd.OutOrStdout(), data)
	}
	text()
	return nil
}
