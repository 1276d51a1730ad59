package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/locale"
)

func newApprovalsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "approvals",
		Short: "The data holders' approvals on an Accord server: list, ask, approve, deny",
		Long: `A binding decision that waits on the data holder's approval (GDSI
commitment 7's customer-approval) asks the dataset's holder for it; a
requester never attests it itself. The holder's approver (a token with the
API role approver, bound to the principal the catalog names as the
dataset's holder) approves it for a while, or denies it; a request not
answered within 12 hours lapses. Each answer is signed and logged before it
counts; the requester then asks for its decision again.

These commands talk to a running server (--server URL, token from --token
or ACCORD_TOKEN): a requester lists and asks for its own requests, an
approver lists and answers those on its datasets, an auditor lists all.`,
		Example: `  accord approvals list --server http://127.0.0.1:8700 --status pending
  accord approvals ask dec-0b6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d --duration 2h
  accord approvals approve apr-5f0c3a1e9b7d4c2a8e6f1b3d5c7a9e0f --duration 1h
  accord approvals deny apr-5f0c3a1e9b7d4c2a8e6f1b3d5c7a9e0f`,
	}
	cmd.AddCommand(newApprovalsListCmd(), newApprovalsAskCmd(), newApprovalsAnswerCmd(approval.StatusApproved), newApprovalsAnswerCmd(approval.StatusDenied))
	return cmd
}

func init() { rootCmd.AddCommand(newApprovalsCmd()) }

// printApprovals writes approval requests as a table.
func printApprovals(cmd *cobra.Command, list []*approval.Request) error {
	p := cliPrinter()
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join([]string{p.Sprintf("ID"), p.Sprintf("STATUS"), p.Sprintf("DATASET"), p.Sprintf("ACTION"), p.Sprintf("PURPOSE"),
		p.Sprintf("REQUESTER"), p.Sprintf("HOLDER"), p.Sprintf("RULES"), p.Sprintf("UNTIL")}, "\t"))
	for _, a := range list {
		until := a.Lapses
		if a.Answer != nil && a.Answer.Expires != nil {
			until = *a.Answer.Expires
		}
		untilText := until.UTC().Format(time.RFC3339)
		if a.Answer != nil && a.Answer.Expires == nil {
			untilText = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, p.Sprintf(a.Status), a.Dataset, a.Action, a.Purpose,
			a.Requester, a.Holder, dash(strings.Join(a.Rules, ",")), untilText)
	}
	return tw.Flush()
}

func newApprovalsListCmd() *cobra.Command {
	var (
		o               clientOptions
		status, dataset string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List approval requests (GET /v1/approvals)",
		Long: `list shows the approval requests the token may see, oldest first: a
requester its own, an approver those on the datasets its principal holds,
an auditor or admin all. --status is pending, approved, denied, lapsed or
expired.`,
		Example: `  accord approvals list --server http://127.0.0.1:8700
  accord approvals list --status pending --dataset firmware-fr --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			if status != "" {
				q.Set("status", status)
			}
			if dataset != "" {
				q.Set("dataset", dataset)
			}
			var all []*approval.Request
			var raw []json.RawMessage
			for {
				path := "/v1/approvals"
				if len(q) > 0 {
					path += "?" + q.Encode()
				}
				data, _, err := c.call(cmd.Context(), http.MethodGet, path, nil, false)
				if err != nil {
					return err
				}
				var page struct {
					Approvals     []json.RawMessage `json:"approvals"`
					NextPageToken string            `json:"next_page_token"`
				}
				if err := json.Unmarshal(data, &page); err != nil {
					return locale.Errorf("the server's approvals do not decode: %v", err)
				}
				for _, r := range page.Approvals {
					var a approval.Request
					if err := json.Unmarshal(r, &a); err != nil {
						return locale.Errorf("the server's approvals do not decode: %v", err)
					}
					all, raw = append(all, &a), append(raw, r)
				}
				if page.NextPageToken == "" {
					break
				}
				q.Set("page_token", page.NextPageToken)
			}
			if o.format == "json" {
				if raw == nil {
					raw = []json.RawMessage{}
				}
				data, err := json.Marshal(map[string]any{"approvals": raw})
				if err != nil {
					return err
				}
				return writeIndented(cmd.OutOrStdout(), data)
			}
			return printApprovals(cmd, all)
		},
	}
	o.addFlags(cmd.Flags(), false)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&status, "status", "", "only requests in this status: pending, approved, denied, lapsed, expired")
	cmd.Flags().StringVar(&dataset, "dataset", "", "only requests on this dataset")
	return cmd
}

// durationSeconds turns --duration into the API's duration_seconds (0:
// not given).
func durationSeconds(d time.Duration) (int64, error) {
	if d == 0 {
		return 0, nil
	}
	if d < approval.MinDuration || d > approval.MaxDuration || d%time.Second != 0 {
		return 0, badInput(locale.Errorf("--duration %s: whole seconds from %s to %s", d, approval.MinDuration, approval.MaxDuration))
	}
	return int64(d / time.Second), nil
}

// printApproval writes one approval request, as JSON or a table.
func printApproval(cmd *cobra.Command, format string, data []byte) error {
	if format == "json" {
		return writeIndented(cmd.OutOrStdout(), data)
	}
	var a approval.Request
	if err := json.Unmarshal(data, &a); err != nil {
		return locale.Errorf("the server's approval request does not decode: %v", err)
	}
	return printApprovals(cmd, []*approval.Request{&a})
}

func newApprovalsAskCmd() *cobra.Command {
	var (
		o        clientOptions
		duration time.Duration
	)
	cmd := &cobra.Command{
		Use:   "ask DECISION-ID",
		Short: "Ask the data holder to approve one of your decisions (POST /v1/approvals)",
		Long: `ask names your own binding decision that waits on an approval (for
example one denied as a forced upgrade for want of the customer's approval)
and asks the dataset's holder for it, for --duration (default 8h, at most
168h). A decision left pending on an approval has asked already; asking
again shows the open request.`,
		Example: `  accord approvals ask dec-0b6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d --server http://127.0.0.1:8700
  accord approvals ask dec-0b6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d --duration 2h --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			secs, err := durationSeconds(duration)
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			ask := map[string]any{"decision": args[0]}
			if secs != 0 {
				ask["duration_seconds"] = secs
			}
			body, _ := json.Marshal(ask)
			data, _, err := c.call(cmd.Context(), http.MethodPost, "/v1/approvals", body, true)
			if err != nil {
				return err
			}
			return printApproval(cmd, o.format, data)
		},
	}
	o.addFlags(cmd.Flags(), true)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	cmd.Flags().DurationVar(&duration, "duration", 0, "how long the approval is asked for (default 8h, at most 168h)")
	return cmd
}

func newApprovalsAnswerCmd(outcome string) *cobra.Command {
	var (
		o        clientOptions
		duration time.Duration
	)
	verb := map[string]string{approval.StatusApproved: "approve", approval.StatusDenied: "deny"}[outcome]
	cmd := &cobra.Command{
		Use:   verb + " APPROVAL-ID",
		Short: map[string]string{"approve": "Approve a pending request, as the dataset holder's approver", "deny": "Deny a pending request, as the dataset holder's approver"}[verb] + " (POST /v1/approvals/{id}/" + verb + ")",
		Long: `Only a token with the API role approver, bound to the principal the
catalog names as the dataset's holder, answers; never the requester, nor an
admin. The answer is signed by the server and logged before it counts; a
request answered already or lapsed (12 hours) cannot be answered.` + map[string]string{"approve": `
--duration is how long the approval lasts from now (default: as asked, at
most 168h).`, "deny": ""}[verb],
		Example: map[string]string{
			"approve": `  accord approvals approve apr-5f0c3a1e9b7d4c2a8e6f1b3d5c7a9e0f --server http://127.0.0.1:8700
  accord approvals approve apr-5f0c3a1e9b7d4c2a8e6f1b3d5c7a9e0f --duration 1h --format json`,
			"deny": `  accord approvals deny apr-5f0c3a1e9b7d4c2a8e6f1b3d5c7a9e0f --server http://127.0.0.1:8700`,
		}[verb],
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			secs, err := durationSeconds(duration)
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			body := []byte(`{}`)
			if secs != 0 {
				body, _ = json.Marshal(map[string]any{"duration_seconds": secs})
			}
			data, _, err := c.call(cmd.Context(), http.MethodPost, "/v1/approvals/"+url.PathEscape(args[0])+"/"+verb, body, true)
			if err != nil {
				return err
			}
			return printApproval(cmd, o.format, data)
		},
	}
	o.addFlags(cmd.Flags(), true)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	if outcome == approval.StatusApproved {
		cmd.Flags().DurationVar(&duration, "duration", 0, "how long the approval lasts from now (default: as asked, at most 168h)")
	}
	return cmd
}
