package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
)

func init() { rootCmd.AddCommand(newPacksCmd()) }

// packsFlags are the flags shared by the packs subcommands.
type packsFlags struct {
	registry []string
	format   string
}

func (f *packsFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&f.registry, "registry", nil, "directory of registry override YAML files (repeatable)")
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text or json")
}

func (f *packsFlags) check() error {
	if f.format != "text" && f.format != "json" {
		return badInput(fmt.Errorf("--format %q: want text or json", f.format))
	}
	return nil
}

func newPacksCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "packs",
		Short: "Test, lint and list policy packs",
		Long: `Policy packs are YAML files of CEL rules (see docs/packs.md). These commands
run a pack's test cases, check it for mistakes, and list the packs.

Without a directory they work on the packs bundled with Accord.`,
	}
	cmd.AddCommand(newPacksTestCmd(), newPacksLintCmd(), newPacksListCmd())
	return cmd
}

// packSource is where a command takes its packs and test files from.
type packSource struct {
	fsys  fs.FS
	packs []string // pack files in fsys
	tests []string // test files in fsys
	label string   // for messages: the directory, or "bundled packs"
}

// bundledSource is the packs embedded in the binary.
func bundledSource() (*packSource, error) {
	fsys := policy.Embedded()
	all, err := fs.Glob(fsys, "packs/*.yaml")
	if err != nil {
		return nil, err
	}
	return &packSource{fsys: fsys, packs: policy.PackFiles(all), tests: testFiles(all), label: "bundled packs"}, nil
}

// dirSource is the packs of a directory on disk.
func dirSource(dir string) (*packSource, error) {
	fsys := os.DirFS(dir)
	all, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	src := &packSource{fsys: fsys, packs: policy.PackFiles(all), tests: testFiles(all), label: dir}
	if len(src.packs) == 0 {
		return nil, fmt.Errorf("%s: no pack files (*.yaml other than *_test.yaml)", dir)
	}
	return src, nil
}

func testFiles(names []string) []string {
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, "_test.yaml") {
			out = append(out, n)
		}
	}
	return out
}

// compile loads the registry and compiles the source's packs.
func (s *packSource) compile(regDirs []string) (*policy.Engine, error) {
	reg, err := registry.Load(regDirs...)
	if err != nil {
		return nil, badInput(fmt.Errorf("load registry: %w", err))
	}
	packs, err := policy.Load(s.fsys, s.packs...)
	if err != nil {
		return nil, badInput(err)
	}
	eng, err := policy.Compile(packs, reg)
	if err != nil {
		return nil, badInput(err)
	}
	return eng, nil
}

// display turns a name inside a source into the path a person would type.
func (s *packSource) display(name string) string {
	if s.label == "bundled packs" {
		return path.Join("internal/policy", name)
	}
	return filepath.Join(s.label, name)
}

// testTargets works out, from the arguments of `packs test`, the sources
// and the test files to run in each.
func testTargets(args []string) ([]*packSource, error) {
	if len(args) == 0 {
		src, err := bundledSource()
		if err != nil {
			return nil, err
		}
		return []*packSource{src}, nil
	}
	var out []*packSource
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, badInput(err)
		}
		if st.IsDir() {
			src, err := dirSource(a)
			if err != nil {
				return nil, badInput(err)
			}
			out = append(out, src)
			continue
		}
		src, err := dirSource(filepath.Dir(a))
		if err != nil {
			return nil, badInput(err)
		}
		base := filepath.Base(a)
		if !strings.HasSuffix(base, "_test.yaml") {
			// A pack file: run the test file beside it.
			base = strings.TrimSuffix(base, ".yaml") + "_test.yaml"
			if _, err := os.Stat(filepath.Join(filepath.Dir(a), base)); err != nil {
				return nil, badInput(fmt.Errorf("%s: no test file %s beside it", a, base))
			}
		}
		src.tests = []string{base}
		out = append(out, src)
	}
	return out, nil
}

func newPacksTestCmd() *cobra.Command {
	var (
		pf      packsFlags
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "test [DIR|FILE...]",
		Short: "Run the test cases of packs",
		Long: `Test runs the cases of pack test files (<pack>_test.yaml). Each case is a
request with the outcome and the exact rule ids its pack must give; only the
case's own pack is evaluated.

With no argument it runs the bundled packs' tests. A directory runs every
test file in it against the packs in it; a file runs that test file (or,
for a pack file, the test file beside it) against the packs of its
directory.

It prints one line per failing case and ends with "N passed, N failed".
Exit code 1 when a case fails, 2 when a pack or test file is malformed.`,
		Example: `  # The bundled packs
  accord packs test

  # Your own packs, one failing case per line
  accord packs test ./my-packs

  # One test file, every case shown, as JSON
  accord packs test --format json ./my-packs/acme_test.yaml`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			srcs, err := testTargets(args)
			if err != nil {
				return err
			}
			var all []policy.CaseResult
			for _, src := range srcs {
				eng, err := src.compile(pf.registry)
				if err != nil {
					return err
				}
				if len(src.tests) == 0 {
					return badInput(fmt.Errorf("%s: no test files (*_test.yaml)", src.label))
				}
				for _, tf := range src.tests {
					res, err := policy.RunTests(eng, src.fsys, tf)
					if err != nil {
						return badInput(err)
					}
					for i := range res {
						res[i].File = src.display(res[i].File)
					}
					all = append(all, res...)
				}
			}
			failed := printResults(cmd.OutOrStdout(), all, pf.format, verbose)
			if failed > 0 {
				return withCode(exitError)
			}
			return nil
		},
	}
	pf.register(cmd)
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print passing cases too")
	return cmd
}

// printResults prints the results and returns how many failed.
func printResults(w io.Writer, res []policy.CaseResult, format string, verbose bool) int {
	passed, failed := 0, 0
	for _, r := range res {
		if r.Passed {
			passed++
		} else {
			failed++
		}
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Passed int                 `json:"passed"`
			Failed int                 `json:"failed"`
			Cases  []policy.CaseResult `json:"cases"`
		}{passed, failed, res})
		return failed
	}
	for _, r := range res {
		switch {
		case !r.Passed:
			fmt.Fprintf(w, "FAIL %s:%d: %s: %s\n", r.File, r.Line, r.Name, r.Failure)
		case verbose:
			fmt.Fprintf(w, "ok   %s:%d: %s\n", r.File, r.Line, r.Name)
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
	return failed
}

func newPacksLintCmd() *cobra.Command {
	var pf packsFlags
	cmd := &cobra.Command{
		Use:   "lint [DIR]",
		Short: "Check packs for mistakes beyond what loading rejects",
		Long: `Lint loads and compiles the packs (any error there is reported with
file:line:col and the rule id), then looks for what compiles but is likely
wrong: a number written into an expression instead of a dated parameter, a
parameter no rule uses, a rule id that does not start with its pack's name,
a pack without title or source, a rule that no test case makes fire, a pack
without a test file.

Exit code 0 when clean, 1 when it found something, 2 when a pack does not
load or compile.`,
		Example: `  # The bundled packs
  accord packs lint

  # Your own packs, as JSON
  accord packs lint --format json ./my-packs`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			src, err := bundledSource()
			if len(args) == 1 {
				src, err = dirSource(args[0])
			}
			if err != nil {
				return badInput(err)
			}
			eng, err := src.compile(pf.registry)
			if err != nil {
				return err
			}
			var tests []*policy.TestFile
			for _, t := range src.tests {
				data, err := fs.ReadFile(src.fsys, t)
				if err != nil {
					return err
				}
				tf, err := policy.ParseTestFile(t, data, eng.Registry())
				if err != nil {
					return badInput(err)
				}
				tests = append(tests, tf)
			}
			findings := policy.Lint(eng, tests)
			for i := range findings {
				findings[i].Pos.File = src.display(findings[i].Pos.File)
			}
			w := cmd.OutOrStdout()
			if pf.format == "json" {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if findings == nil {
					findings = []policy.Finding{}
				}
				if err := enc.Encode(findings); err != nil {
					return err
				}
			} else {
				for _, f := range findings {
					fmt.Fprintln(w, f)
				}
				if len(findings) == 0 {
					fmt.Fprintf(w, "%d packs, %d rules: no problems found\n", len(eng.Packs()), countRules(eng))
				}
			}
			if len(findings) > 0 {
				return withCode(exitError)
			}
			return nil
		},
	}
	pf.register(cmd)
	return cmd
}

func countRules(eng *policy.Engine) int {
	n := 0
	for _, p := range eng.Packs() {
		n += len(p.Rules)
	}
	return n
}

func newPacksListCmd() *cobra.Command {
	var pf packsFlags
	cmd := &cobra.Command{
		Use:   "list [DIR]",
		Short: "List packs with their version, rules and source",
		Example: `  # The bundled packs
  accord packs list

  # As JSON
  accord packs list --format json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			src, err := bundledSource()
			if len(args) == 1 {
				src, err = dirSource(args[0])
			}
			if err != nil {
				return badInput(err)
			}
			packs, err := policy.Load(src.fsys, src.packs...)
			if err != nil {
				return badInput(err)
			}
			type row struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				Title   string `json:"title"`
				Source  string `json:"source"`
				Rules   int    `json:"rules"`
				Params  int    `json:"params"`
				File    string `json:"file"`
			}
			var rows []row
			for _, p := range packs {
				rows = append(rows, row{p.Name, p.Version, p.Title, p.Source, len(p.Rules), len(p.Params), src.display(p.Pos.File)})
			}
			w := cmd.OutOrStdout()
			if pf.format == "json" {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tVERSION\tRULES\tPARAMS\tTITLE")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", r.Name, r.Version, r.Rules, r.Params, r.Title)
			}
			return tw.Flush()
		},
	}
	pf.register(cmd)
	return cmd
}
