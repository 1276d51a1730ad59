package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/registry"
)

// registryKinds are the lists `accord registry list` can print.
var registryKinds = []string{"jurisdictions", "blocs", "agreements", "authorities"}

func newRegistryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Inspect the registry: jurisdictions, blocs, agreements, authorities",
		Long: `The registry is the world Accord decides about: every ISO 3166-1 jurisdiction
(names in the six UN languages), blocs such as EU, ASEAN or the parties to the
Budapest Convention, agreements between states (MLATs, conventions, CLOUD Act
agreements, adequacy decisions, commitments) and the authorities that act for
states. Defaults are embedded; operators add or replace entries with YAML
files in --registry directories (an entry replacing an existing id must say
override: true).`,
	}
	cmd.AddCommand(newRegistryListCmd())
	return cmd
}

func init() { rootCmd.AddCommand(newRegistryCmd()) }

func newRegistryListCmd() *cobra.Command {
	var (
		dirs   []string
		format string
		lang   string
	)
	cmd := &cobra.Command{
		Use:   "list jurisdictions|blocs|agreements|authorities",
		Short: "List one part of the registry",
		Long: `list prints one part of the registry: the embedded data plus every *.yaml
file of the --registry directories (given in order, files in name order).
Loading fails, with file:line for each problem, on a conflicting id, an
unknown field, or a reference to an unknown state or bloc; use it to check
override files before deploying them.`,
		Example: `  accord registry list blocs
  accord registry list jurisdictions --lang zh
  accord registry list agreements --registry ./registry-overrides
  accord registry list authorities --format json`,
		ValidArgs: registryKinds,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || !containsString(registryKinds, args[0]) {
				return badInput(locale.Errorf("registry list: say what to list: one of %s", strings.Join(registryKinds, ", ")))
			}
			if err := logCheckFormat(format); err != nil {
				return err
			}
			reg, err := registry.Load(dirs...)
			if err != nil {
				return badInput(locale.Errorf("load registry: %v", err))
			}
			w := cmd.OutOrStdout()
			if format == "json" {
				return writeRegistryJSON(w, reg, args[0])
			}
			return writeRegistryText(w, userPrinter(), reg, args[0], lang)
		},
	}
	cmd.Flags().StringArrayVar(&dirs, "registry", nil, "directory of registry override YAML files (repeatable)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&lang, "lang", "", "language of jurisdiction names (en, fr, es, ru, zh, ar); default English and French")
	return cmd
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func writeRegistryJSON(w io.Writer, reg *registry.Registry, kind string) error {
	var v any
	switch kind {
	case "jurisdictions":
		v = reg.Jurisdictions()
	case "blocs":
		v = reg.Blocs()
	case "agreements":
		v = reg.Agreements()
	default:
		v = reg.Authorities()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeRegistryText writes one part of the registry as a table, its
// headers in p's language; lang is the language of jurisdiction names
// (English and French when empty).
func writeRegistryText(w io.Writer, p *locale.Printer, reg *registry.Registry, kind, lang string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch kind {
	case "jurisdictions":
		if lang != "" {
			fmt.Fprintln(tw, p.Sprintf("CODE\tNAME (%s)", lang))
		} else {
			fmt.Fprintln(tw, p.Sprintf("CODE\tENGLISH\tFRENCH"))
		}
		for _, j := range reg.Jurisdictions() {
			if lang != "" {
				fmt.Fprintf(tw, "%s\t%s\n", j.Code, j.Name(lang))
			} else {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", j.Code, j.Name("en"), j.Name("fr"))
			}
		}
	case "blocs":
		fmt.Fprintln(tw, p.Sprintf("ID\tMEMBERS\tCHECKED\tNAME"))
		for _, b := range reg.Blocs() {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", b.ID, len(b.Members), b.Checked.Format(time.DateOnly), b.Name)
		}
	case "agreements":
		fmt.Fprintln(tw, p.Sprintf("ID\tKIND\tIN FORCE\tPARTIES\tPURPOSES\tTITLE"))
		for _, a := range reg.Agreements() {
			window := a.ValidFrom.Format(time.DateOnly) + " –"
			if !a.ValidTo.IsZero() {
				window += " " + a.ValidTo.Format(time.DateOnly)
			}
			purposes := strings.Join(a.Purposes, ",")
			if purposes == "" {
				purposes = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Kind, window, partiesText(reg, a), purposes, a.Title)
		}
	default:
		fmt.Fprintln(tw, p.Sprintf("ID\tSTATE\tROLE\tKEY\tNAME"))
		for _, a := range reg.Authorities() {
			key := "-"
			if a.PublicKey != "" {
				key = p.Sprintf("has a key: yes")
			}
			name := a.Name
			if a.Example {
				name = p.Sprintf("%s (example)", a.Name)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Jurisdiction, a.Role, key, name)
		}
	}
	return tw.Flush()
}

// partiesText shows an agreement's parties briefly: the bloc by name plus
// the states listed one by one, or the states themselves.
func partiesText(reg *registry.Registry, a registry.Agreement) string {
	if a.PartiesBloc == "" {
		return strings.Join(a.Parties, " ")
	}
	var own []string
	for _, p := range a.Parties {
		if !reg.InBloc(p, a.PartiesBloc) {
			own = append(own, p)
		}
	}
	s := a.PartiesBloc
	if len(own) > 0 {
		s += " + " + strings.Join(own, " ")
	}
	return fmt.Sprintf("%s (%d)", s, len(a.Parties))
}
