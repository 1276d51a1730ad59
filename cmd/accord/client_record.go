package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
)

// newLogRecordCmd is `accord log record`: fetch a decision's private
// record and salt from a server (GET /v1/decisions/{id}/record) into the
// file `accord log verify-receipt --record` checks.
func newLogRecordCmd() *cobra.Command {
	var o clientOptions
	var out string
	cmd := &cobra.Command{
		Use:   "record DECISION-ID -o FILE",
		Short: "Fetch a decision's private record and salt from a server, for verify-receipt --record",
		Long: `record asks a running server (--server URL, token from --token or
ACCORD_TOKEN) for the private record of a decision and the salt hashed with
it into its log entry's record_hash (GET /v1/decisions/{id}/record), and
writes the answer byte for byte: the hash covers the record's exact bytes.
The decision's requester and auditors may fetch it; authorities see
summaries only.

Check it against the decision's receipt, offline:
accord log verify-receipt receipt.json --key VKEY --record FILE.`,
		Example: `  accord decisions get "$ID" --receipt receipt.json --wait 3s
  accord log record "$ID" -o record.json
  accord log verify-receipt receipt.json --key "$VKEY" --record record.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			data, _, err := c.call(cmd.Context(), http.MethodGet, "/v1/decisions/"+url.PathEscape(args[0])+"/record", nil, false)
			if err != nil {
				return err
			}
			var p ledger.Private
			if err := json.Unmarshal(data, &p); err != nil || len(p.Record) == 0 || len(p.Salt) == 0 {
				return locale.Errorf("the server's answer is not a private record (record and salt): %v", err)
			}
			if out == "" || out == "-" {
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			if err := os.WriteFile(out, data, 0o600); err != nil {
				return locale.Errorf("-o: %v", err)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), cliPrinter().Sprintf("private record of decision %s written to %s (mode 0600: it may hold personal data)", args[0], out))
			return nil
		},
	}
	o.addFlags(cmd.Flags(), false)
	addOutputFlag(cmd.Flags(), &out, "write the record to this file (default: standard output)")
	return cmd
}
