package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

func newDatasetsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "datasets",
		Short: "The dataset catalog of an Accord server: list, get, create",
		Long: `A dataset carries its sovereignty labels (location, origin, categories,
subject counts, classification): a request that names it takes them from the
catalog, never from the requester. These commands read and write the catalog
of a running server (--server URL, token from --token or ACCORD_TOKEN); an
operator or admin token creates.`,
		Example: `  accord datasets list --server http://127.0.0.1:8700
  accord datasets get crm-eu --format json
  accord datasets create dataset.json`,
	}
	cmd.AddCommand(newDatasetsListCmd(), newDatasetsGetCmd(), newDatasetsCreateCmd())
	return cmd
}

func init() { rootCmd.AddCommand(newDatasetsCmd()) }

// printDatasets writes datasets as a table.
func printDatasets(cmd *cobra.Command, ds []store.Dataset) error {
	p := cliPrinter() // counts as the reader writes numbers: 50,000 or 50 000
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join([]string{p.Sprintf("ID"), p.Sprintf("LOCATION"), p.Sprintf("CATEGORIES"), p.Sprintf("SUBJECTS"),
		p.Sprintf("RECORDS"), p.Sprintf("CLASSIFICATION")}, "\t"))
	for _, d := range ds {
		subj := make([]string, 0, len(d.Subjects))
		for s, n := range d.Subjects {
			subj = append(subj, s+"="+p.Number(n))
		}
		sort.Strings(subj)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Location, dash(strings.Join(d.Categories, ",")), dash(strings.Join(subj, " ")), p.Number(d.Records), dash(d.Classification))
	}
	return tw.Flush()
}

func newDatasetsListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the catalog (GET /v1/datasets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			data, _, err := c.call(cmd.Context(), http.MethodGet, "/v1/datasets", nil, false)
			if err != nil {
				return err
			}
			if o.format == "json" {
				return writeIndented(cmd.OutOrStdout(), data)
			}
			var page struct {
				Datasets []store.Dataset `json:"datasets"`
			}
			if err := json.Unmarshal(data, &page); err != nil {
				return locale.Errorf("the server's catalog does not decode: %v", err)
			}
			return printDatasets(cmd, page.Datasets)
		},
	}
	o.addFlags(cmd.Flags(), false)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	return cmd
}

func newDatasetsGetCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "get DATASET-ID",
		Short: "Show one dataset's labels (GET /v1/datasets/{id})",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			data, _, err := c.call(cmd.Context(), http.MethodGet, "/v1/datasets/"+url.PathEscape(args[0]), nil, false)
			if err != nil {
				return err
			}
			if o.format == "json" {
				return writeIndented(cmd.OutOrStdout(), data)
			}
			var d store.Dataset
			if err := json.Unmarshal(data, &d); err != nil {
				return locale.Errorf("the server's dataset does not decode: %v", err)
			}
			return printDatasets(cmd, []store.Dataset{d})
		},
	}
	o.addFlags(cmd.Flags(), false)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	return cmd
}

func newDatasetsCreateCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "create FILE|-",
		Short: "Add a dataset to the catalog (POST /v1/datasets)",
		Long: `create sends a dataset (JSON: id, location, origin, categories, subjects,
records, devices, classification, cii) to the catalog. The server checks it
strictly and logs the change before it takes effect.`,
		Example: `  accord datasets create dataset.json --token "$ACCORD_TOKEN_OPERATOR"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			body, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			data, _, err := c.call(cmd.Context(), http.MethodPost, "/v1/datasets", body, true)
			if err != nil {
				return err
			}
			if o.format == "json" {
				return writeIndented(cmd.OutOrStdout(), data)
			}
			var d store.Dataset
			if err := json.Unmarshal(data, &d); err != nil {
				return locale.Errorf("the server's dataset does not decode: %v", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), cliPrinter().Sprintf("dataset %s created", d.ID))
			return printDatasets(cmd, []store.Dataset{d})
		},
	}
	o.addFlags(cmd.Flags(), true)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	return cmd
}
