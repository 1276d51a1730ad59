package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/decide"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
)

// engineFlags are the flags every command that evaluates packs shares.
type engineFlags struct {
	packs    string   // auto, or names and paths, comma-separated
	registry []string // operator override directories
}

func (f *engineFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.packs, "packs", "auto", "packs to apply: auto (every pack that applies), or a comma-separated list of pack names and pack files or directories")
	cmd.Flags().StringSliceVar(&f.registry, "registry", nil, "directory of registry override YAML files (repeatable)")
}

// build loads the registry and the packs and compiles them. It returns the
// registry too, for strict decoding of requests.
func (f *engineFlags) build() (*registry.Registry, *policy.Engine, []string, error) {
	reg, err := registry.Load(f.registry...)
	if err != nil {
		return nil, nil, nil, badInput(locale.Errorf("load registry: %v", err))
	}
	eng, names, err := compilePacks(reg, f.packs)
	if err != nil {
		return nil, nil, nil, err
	}
	return reg, eng, names, nil
}

// compilePacks compiles the bundled packs and any named by spec ("auto",
// or a comma-separated list of pack names and pack files or directories),
// and returns the names to evaluate (nil for auto).
func compilePacks(reg *registry.Registry, spec string) (*policy.Engine, []string, error) {
	packs, err := loadEmbeddedPacks()
	if err != nil {
		return nil, nil, locale.Errorf("load bundled packs: %v", err)
	}
	var names []string
	if spec != "" && spec != "auto" {
		for _, item := range strings.Split(spec, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			if strings.ContainsAny(item, `/\`) || strings.HasSuffix(item, ".yaml") || isDir(item) {
				extra, err := loadPackPath(item)
				if err != nil {
					return nil, nil, badInput(err)
				}
				packs = append(packs, extra...)
				for _, p := range extra {
					names = append(names, p.Name)
				}
				continue
			}
			names = append(names, item)
		}
	}
	eng, err := policy.Compile(packs, reg)
	if err != nil {
		return nil, nil, badInput(locale.Errorf("compile packs: %v", err))
	}
	for _, n := range names {
		if _, ok := eng.Pack(n); !ok {
			loaded := make([]string, 0, len(eng.Packs()))
			for _, p := range eng.Packs() {
				loaded = append(loaded, p.Name)
			}
			return nil, nil, badInput(locale.Errorf("--packs: no pack named %q (loaded: %s)", n, strings.Join(loaded, ", ")))
		}
	}
	return eng, names, nil
}

// decideOptions are the options every command that decides shares: the
// packs, authorizations verified against the registry's authority keys,
// and third-state exclusion for MLA and agreements.
func decideOptions(reg *registry.Registry, packs []string) []decide.Option {
	return []decide.Option{
		decide.WithPacks(packs),
		decide.WithAuthorizer(&authz.Authorizer{Keys: registryKeys{reg}}),
		decide.WithThirdStateExclusion(reg),
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// loadEmbeddedPacks loads every bundled pack (not its tests).
func loadEmbeddedPacks() ([]*policy.Pack, error) {
	fsys := policy.Embedded()
	files, err := fs.Glob(fsys, "packs/*.yaml")
	if err != nil {
		return nil, err
	}
	return policy.Load(fsys, packFiles(files)...)
}

// loadPackPath loads a pack file, or every pack file of a directory.
func loadPackPath(p string) ([]*policy.Pack, error) {
	if !isDir(p) {
		return policy.Load(os.DirFS(filepath.Dir(p)), filepath.Base(p))
	}
	files, err := fs.Glob(os.DirFS(p), "*.yaml")
	if err != nil {
		return nil, err
	}
	files = packFiles(files)
	if len(files) == 0 {
		return nil, locale.Errorf("load packs from %s: no pack files (*.yaml) there", p)
	}
	return policy.Load(os.DirFS(p), files...)
}

// packFiles keeps pack files and drops their test files.
func packFiles(files []string) []string {
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.yaml") {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

func newCheckCmd() *cobra.Command {
	var (
		ef      engineFlags
		explain bool
		format  string
		lang    string
	)
	cmd := &cobra.Command{
		Use:   "check FILE...|-",
		Short: "Decide requests without logging them (a dry run)",
		Long: `Check reads one or more requests (JSON files, or - for standard input),
evaluates them with the packs and prints each decision. Nothing is logged:
the decisions are marked non-binding.

Exit codes: 0 all allowed, 1 error, 2 bad input, 3 a request was denied,
4 a request is pending (deny wins over pending).`,
		Example: `  # One request, as text
  accord check examples/requests/5-state-access-abroad.json

  # Every rule evaluated, as JSON for a program
  accord check --explain --format json examples/requests/*.json

  # Only the gdsi pack, plus a pack of your own, in French
  accord check --packs gdsi,./my-packs/acme.yaml --lang fr request.json

  # From standard input
  cat request.json | accord check -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := logCheckFormat(format); err != nil {
				return err
			}
			p, err := langPrinter(lang, locale.CLI)
			if err != nil {
				return badInput(locale.Errorf("--lang: %v", err))
			}
			reg, eng, names, err := ef.build()
			if err != nil {
				return err
			}
			d := decide.New(eng, append(decideOptions(reg, names), decide.WithLanguage(p.Tag().String()))...)
			out := cmd.OutOrStdout()
			code := exitOK
			for _, name := range args {
				dec, err := checkOne(cmd, d, reg, name, explain)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), p.Sprintf("%s: bad input: %v", name, locale.Text(p, err)))
					code = worse(code, exitBadInput)
					continue
				}
				if format == "json" {
					enc := json.NewEncoder(out)
					enc.SetIndent("", "  ")
					if err := enc.Encode(struct {
						File     string          `json:"file"`
						Decision *model.Decision `json:"decision"`
					}{name, &dec}); err != nil {
						return err
					}
				} else {
					renderDecision(out, p, name, &dec)
				}
				code = worse(code, outcomeCode(dec.Outcome))
			}
			if code == exitBadInput {
				fmt.Fprintln(cmd.ErrOrStderr(), p.Sprintf("fix the request and run the command again; see docs/concepts.md for the format"))
			}
			if code != exitOK {
				return withCode(code)
			}
			return nil
		},
	}
	ef.register(cmd)
	cmd.Flags().BoolVar(&explain, "explain", false, "list every rule evaluated with its result")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&lang, "lang", "", "language of the output: en or fr (another is an error); default from ACCORD_LANG or LANG")
	return cmd
}

func init() { rootCmd.AddCommand(newCheckCmd()) }

// checkOne reads, strictly decodes and evaluates one request file.
func checkOne(cmd *cobra.Command, d *decide.Decider, reg *registry.Registry, name string, explain bool) (model.Decision, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(cmd.InOrStdin())
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return model.Decision{}, err
	}
	req, err := model.DecodeRequest(data, reg)
	if err != nil {
		return model.Decision{}, err
	}
	return d.Check(cmd.Context(), req, explain)
}

// outcomeCode maps an outcome to accord check's exit code.
func outcomeCode(o model.Outcome) int {
	switch o {
	case model.Deny:
		return exitDeny
	case model.Pending:
		return exitPending
	}
	return exitOK
}

// worse returns the exit code that wins when several requests are checked:
// error, then bad input, then deny, then pending, then allow.
func worse(a, b int) int {
	rank := map[int]int{exitOK: 0, exitPending: 1, exitDeny: 2, exitBadInput: 3, exitError: 4}
	if rank[b] > rank[a] {
		return b
	}
	return a
}
