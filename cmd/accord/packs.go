package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/locale"
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
	return logCheckFormat(f.format)
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
		return nil, locale.Errorf("%s: no pack files (*.yaml other than *_test.yaml)", dir)
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
		return nil, badInput(locale.Errorf("load registry: %v", err))
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
				return nil, badInput(locale.Errorf("%s: no test file %s beside it", a, base))
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
			var cov []ruleCoverage
			for _, src := range srcs {
				eng, err := src.compile(pf.registry)
				if err != nil {
					return err
				}
				var srcRes []policy.CaseResult
				if len(src.tests) == 0 {
					return badInput(locale.Errorf("%s: no test files (*_test.yaml)", src.label))
				}
				for _, tf := range src.tests {
					res, err := policy.RunTests(eng, src.fsys, tf)
					if err != nil {
						return badInput(err)
					}
					for i := range res {
						res[i].File = src.display(res[i].File)
					}
					srcRes = append(srcRes, res...)
				}
				all = append(all, srcRes...)
				cov = append(cov, coverage(eng, srcRes)...)
			}
			failed := printResults(cmd.OutOrStdout(), userPrinter(), all, cov, pf.format, verbose)
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

// ruleCoverage is how a pack's test cases exercise one rule: the
// provision it implements (its citation), the cases in which it fired, and
// the cases in which it stayed silent although they are about the same
// provision (their names start with the rule's first cited section) — the
// near misses at the boundary.
type ruleCoverage struct {
	Pack      string `json:"pack"`
	Rule      string `json:"rule"`
	Provision string `json:"provision"`
	Fired     int    `json:"fired"`
	Silent    int    `json:"silent"`
}

// coverage counts, for every rule of every pack the results tested, the
// cases that made it fire and the cases about its provision in which it did
// not. A rule that never fires is untested; one that is never silent in a
// case about its provision has no near miss.
func coverage(eng *policy.Engine, res []policy.CaseResult) []ruleCoverage {
	var packs []string
	for _, r := range res {
		if !slices.Contains(packs, r.Pack) {
			packs = append(packs, r.Pack)
		}
	}
	var out []ruleCoverage
	for _, name := range packs {
		pk, ok := eng.Pack(name)
		if !ok {
			continue
		}
		for _, rule := range pk.Rules {
			c := ruleCoverage{Pack: name, Rule: rule.ID, Provision: rule.Citation}
			key := provisionKey(rule.Citation)
			for _, r := range res {
				if r.Pack != name {
					continue
				}
				switch {
				case slices.Contains(r.GotRules, rule.ID):
					c.Fired++
				case key != "" && mentions(caseProvision(r.Name), key):
					c.Silent++
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// provisionKey is the first section a citation names, without the name of
// the instrument: "28 CFR § 202.302(a)(2), (b)" gives "202.302", "GDPR art.
// 49(1), 49(6)" gives "49", "Provisions art. 7(2); PIPL ..." gives "7".
func provisionKey(citation string) string {
	first, _, _ := strings.Cut(citation, ";")
	for _, marker := range []string{"§§ ", "§ ", "arts. ", "art. ", "commitment ", "paragraph "} {
		if i := strings.Index(first, marker); i >= 0 {
			rest := first[i+len(marker):]
			end := strings.IndexFunc(rest, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
			if end < 0 {
				end = len(rest)
			}
			return strings.TrimSuffix(rest[:end], ".")
		}
	}
	return ""
}

// mentions reports whether s names section key as a whole number: "art.
// 7(2)" and "§ 7" mention 7, "art. 47" and "202.7" do not.
func mentions(s, key string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], key)
		if j < 0 {
			return false
		}
		at, end := i+j, i+j+len(key)
		before := at == 0 || strings.ContainsRune(" §(", rune(s[at-1]))
		after := end == len(s) || !(s[end] >= '0' && s[end] <= '9' || s[end] == '.' && end+1 < len(s) && s[end+1] >= '0' && s[end+1] <= '9')
		if before && after {
			return true
		}
		i = end
	}
}

// shortProvision is a citation cut to what a table shows: the part before
// a quotation (" — ", ": «").
func shortProvision(citation string) string {
	p, _, _ := strings.Cut(citation, " — ")
	p, _, _ = strings.Cut(p, ": «")
	return p
}

// caseProvision is the part of a case name before " — ", where the cases
// of the bundled packs name the provision they test.
func caseProvision(name string) string {
	p, _, _ := strings.Cut(name, " — ")
	return p
}

// printResults prints the results and the coverage by provision, in p's
// language, and returns how many cases failed.
func printResults(w io.Writer, p *locale.Printer, res []policy.CaseResult, cov []ruleCoverage, format string, verbose bool) int {
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
			Passed   int                 `json:"passed"`
			Failed   int                 `json:"failed"`
			Cases    []policy.CaseResult `json:"cases"`
			Coverage []ruleCoverage      `json:"coverage"`
		}{passed, failed, res, cov})
		return failed
	}
	for _, r := range res {
		switch {
		case !r.Passed:
			fmt.Fprintln(w, p.Sprintf("FAIL %[1]s:%[2]s: %[3]s: %[4]s", r.File, strconv.Itoa(r.Line), r.Name, r.FailureText(p)))
		case verbose:
			fmt.Fprintln(w, p.Sprintf("ok   %[1]s:%[2]s: %[3]s", r.File, strconv.Itoa(r.Line), r.Name))
		}
	}
	if len(cov) > 0 {
		fmt.Fprintln(w, p.Sprintf("coverage by provision (fired: cases in which the rule fired; silent: cases about its provision in which it did not):"))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  "+p.Sprintf("pack\trule\tfired\tsilent\tprovision"))
		for _, c := range cov {
			note := ""
			if c.Fired == 0 {
				note = "  " + p.Sprintf("(never fires)")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s%s\n", c.Pack, c.Rule, c.Fired, c.Silent, shortProvision(c.Provision), note)
		}
		tw.Flush()
	}
	fmt.Fprintln(w, p.Sprintf("%d passed, %d failed", passed, failed))
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
without a test file, a rule whose message has no French form (messages:
{fr: ...} or messageExpressions: {fr: ...}), and a deny or require rule
that stops firing when a case leaves an optional field out.

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
				p := userPrinter()
				for _, f := range findings {
					fmt.Fprintln(w, f.Text(p))
				}
				if len(findings) == 0 {
					fmt.Fprintln(w, p.Sprintf("%s, %s: no problems found", p.Sprintf("%d packs", len(eng.Packs())), p.Sprintf("%d rules", countRules(eng))))
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
			fmt.Fprintln(tw, userPrinter().Sprintf("NAME\tVERSION\tRULES\tPARAMS\tTITLE"))
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", r.Name, r.Version, r.Rules, r.Params, r.Title)
			}
			return tw.Flush()
		},
	}
	pf.register(cmd)
	return cmd
}
