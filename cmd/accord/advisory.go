package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/advisory"
	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/locale"
)

// exitFlagged is the exit code of `accord advisory lint` when the
// advisory is flagged (GDSI commitment 8).
const exitFlagged = exitDeny

func init() {
	rootCmd.AddCommand(newAdvisoryCmd(), newSBOMCmd())
}

func newAdvisoryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "advisory",
		Short: "Validate, lint, convert, sign and publish security advisories (OSV, CSAF 2.0)",
		Long: `advisory works on vendors' security advisories, GDSI commitment 8: validate
checks an OSV or CSAF 2.0 document (JSON Schema, and for CSAF the mandatory
tests Accord runs), lint flags an advisory whose only remedy is a forced
upgrade, convert turns OSV into CSAF and back and says what it could not
carry, sign wraps an advisory in a DSSE envelope, publish signs and POSTs it
to a server's /v1/advisories.`,
	}
	cmd.AddCommand(newAdvisoryValidateCmd(), newAdvisoryLintCmd(), newAdvisoryConvertCmd(), newAdvisorySignCmd(), newAdvisoryPublishCmd())
	return cmd
}

// advisorySummary is what validate prints.
type advisorySummary struct {
	Format     string             `json:"format"`
	ID         string             `json:"id"`
	Severity   string             `json:"severity"`
	Score      float64            `json:"score"`
	Exploited  bool               `json:"exploited"`
	Packages   []string           `json:"packages"`
	Remedies   []string           `json:"remedies"`
	Published  string             `json:"published"`
	Discovered string             `json:"discovered,omitempty"`
	Lint       []advisory.Finding `json:"lint"`
}

func readAdvisory(path string) ([]byte, *advisory.Advisory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, badInput(locale.Errorf("read advisory: %v", err))
	}
	a, err := advisory.Parse(data)
	if err != nil {
		return nil, nil, badInput(locale.Errorf("%s: %v", path, err))
	}
	if err := a.CheckDates(time.Now(), [3]string{"published", "modified", "discovered"}); err != nil {
		return nil, nil, badInput(locale.Errorf("%s: %v", path, err))
	}
	return data, a, nil
}

func newAdvisoryValidateCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "validate ADVISORY.json",
		Short: "Check an OSV or CSAF 2.0 advisory and summarise it",
		Long: `validate reads an OSV or CSAF 2.0 advisory (the format is detected), checks
it against its JSON Schema and Accord's checks (CSAF mandatory tests 6.1.1,
6.1.2, 6.1.6, 6.1.13; ranges that can be ordered; dates not in the future)
and prints what Accord matches and lints. Bad input exits 2, naming the JSON
path at fault.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			_, a, err := readAdvisory(args[0])
			if err != nil {
				return err
			}
			s := advisorySummary{Format: a.Format, ID: a.ID, Severity: a.Severity(), Score: a.Score, Exploited: a.Exploited,
				Published: a.Published.UTC().Format(time.RFC3339), Lint: advisory.Lint(a), Packages: []string{}, Remedies: []string{}}
			if !a.Discovered.IsZero() {
				s.Discovered = a.Discovered.UTC().Format(time.RFC3339)
			}
			if s.Lint == nil {
				s.Lint = []advisory.Finding{}
			}
			for _, p := range a.Packages {
				s.Packages = append(s.Packages, p.Key)
			}
			for _, r := range a.Remedies {
				s.Remedies = append(s.Remedies, r.Category)
			}
			w := cmd.OutOrStdout()
			if format == "json" {
				return writeJSON(w, s)
			}
			p := userPrinter()
			fmt.Fprintln(w, p.Sprintf("valid %s advisory %s: severity %s (CVSS %.1f), exploited %s", s.Format, s.ID, s.Severity, s.Score, yesNo(p, s.Exploited)))
			fmt.Fprintln(w, p.Sprintf("packages: %s", strings.Join(s.Packages, ", ")))
			fmt.Fprintln(w, p.Sprintf("remedies: %s", strings.Join(s.Remedies, ", ")))
			fmt.Fprintln(w, p.Sprintf("lint: %d finding(s)", len(s.Lint)))
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// yesNo writes a yes-or-no fact in p's language ("true" or "false" in
// English, as the advisory's JSON says it).
func yesNo(p *locale.Printer, b bool) string {
	if b {
		return p.Sprintf("true")
	}
	return p.Sprintf("false")
}

func newAdvisoryLintCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "lint ADVISORY.json",
		Short: "Flag an advisory whose only remedy is a forced upgrade (GDSI commitment 8)",
		Long: `lint runs offline the remedy lint the server runs on publication: a serious
advisory (CVSS 7 or more, or exploited) must offer, for each affected version
line, a workaround, a mitigation or a fix on the same major version. It exits
0 when the advisory passes and 3 when it is flagged, printing each finding
with its citation: ` + advisory.CitationGDSI8 + `.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			_, a, err := readAdvisory(args[0])
			if err != nil {
				return err
			}
			fs := advisory.Lint(a)
			w := cmd.OutOrStdout()
			if format == "json" {
				if fs == nil {
					fs = []advisory.Finding{}
				}
				if err := writeJSON(w, map[string]any{"id": a.ID, "serious": a.Serious(), "findings": fs}); err != nil {
					return err
				}
			} else if p := userPrinter(); len(fs) == 0 {
				fmt.Fprintln(w, p.Sprintf("%s: passes (serious: %s)", a.ID, yesNo(p, a.Serious())))
			} else {
				for _, f := range fs {
					fmt.Fprintln(w, p.Sprintf("%s: %s: %s line %s: %s", a.ID, f.Rule, f.Package, f.Line, f.Detail))
					fmt.Fprintln(w, "  "+p.Sprintf("cited: %s", f.Citation))
				}
			}
			if len(fs) > 0 {
				return withCode(exitFlagged)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func newAdvisoryConvertCmd() *cobra.Command {
	var pubName, pubNS, out string
	cmd := &cobra.Command{
		Use:   "convert ADVISORY.json",
		Short: "Convert OSV to CSAF 2.0 or CSAF to OSV, saying what cannot be carried",
		Long: `convert turns an OSV advisory into CSAF 2.0 (naming the publisher with
--publisher-name and --publisher-namespace) or a CSAF advisory into OSV. The
result is checked with the target format's own validation. It is written to
stdout (or --out); every loss goes to stderr, one line each, prefixed "lost:".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return badInput(locale.Errorf("read advisory: %v", err))
			}
			c, err := advisory.Convert(data, advisory.Publisher{Name: pubName, Namespace: pubNS})
			if err != nil {
				var ie *advisory.InputError
				if errors.As(err, &ie) {
					return badInput(locale.Errorf("%s: %v", args[0], err))
				}
				return err
			}
			var buf bytes.Buffer
			if err := json.Indent(&buf, c.Document, "", "  "); err != nil {
				return err
			}
			buf.WriteByte('\n')
			for _, l := range c.Losses {
				fmt.Fprintln(cmd.ErrOrStderr(), "lost:", l) // machine: the fixed prefix scripts filter stderr on (docs/advisories.md), before the converter's own text
			}
			if out == "" {
				_, err := cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			return os.WriteFile(out, buf.Bytes(), 0o644)
		},
	}
	cmd.Flags().StringVar(&pubName, "publisher-name", "", "CSAF publisher name (OSV to CSAF)")
	cmd.Flags().StringVar(&pubNS, "publisher-namespace", "", "CSAF publisher namespace, an https URL (OSV to CSAF)")
	cmd.Flags().StringVar(&out, "out", "", "write the converted advisory to this file")
	return cmd
}

func signAdvisory(cmd *cobra.Command, path, keyFile string) ([]byte, error) {
	if keyFile == "" {
		return nil, badInput(locale.Errorf("--key: name the vendor's private key file (accord authz keygen writes one)"))
	}
	data, _, err := readAdvisory(path)
	if err != nil {
		return nil, err
	}
	keyData, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, badInput(locale.Errorf("read key: %v", err))
	}
	priv, err := authz.ParsePrivateKey(keyData)
	if err != nil {
		return nil, badInput(locale.Errorf("%s: %v", keyFile, err))
	}
	env, err := advisory.Sign(cmd.Context(), data, priv)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(env, "", "  ")
}

func newAdvisorySignCmd() *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "sign ADVISORY.json --key FILE",
		Short: "Wrap an advisory in a DSSE envelope signed with the vendor's key",
		Long: `sign validates an advisory and wraps it, byte for byte, in a DSSE envelope of
type ` + advisory.PayloadType + `, signed with an Ed25519 key
(accord authz keygen makes one). The envelope goes to stdout.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := signAdvisory(cmd, args[0], keyFile)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(append(env, '\n'))
			return err
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "the vendor's private key file")
	return cmd
}

// post sends body to server+path with the token of $ACCORD_TOKEN, and
// copies the answer to w; a 4xx is bad input (exit 2), others errors.
func post(cmd *cobra.Command, server, path string, body []byte) error {
	tok := os.Getenv("ACCORD_TOKEN")
	if server == "" || tok == "" {
		return badInput(locale.Errorf("--server and $ACCORD_TOKEN are required"))
	}
	req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, strings.TrimSuffix(server, "/")+path, bytes.NewReader(body))
	if err != nil {
		return badInput(locale.Errorf("--server: %v", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return locale.Errorf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	cmd.OutOrStdout().Write(b)
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode < 500:
		return withCode(exitBadInput)
	}
	return withCode(exitError)
}

func newAdvisoryPublishCmd() *cobra.Command {
	var keyFile, server string
	cmd := &cobra.Command{
		Use:   "publish ADVISORY.json --key FILE --server URL",
		Short: "Sign an advisory and publish it to a server (POST /v1/advisories)",
		Long: `publish signs an advisory as sign does and POSTs the envelope to the server's
/v1/advisories with the vendor token in $ACCORD_TOKEN, printing the answer:
the advisory's severity, lint flags, deployments affected and log index.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := signAdvisory(cmd, args[0], keyFile)
			if err != nil {
				return err
			}
			return post(cmd, server, "/v1/advisories", env)
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "the vendor's private key file")
	cmd.Flags().StringVar(&server, "server", "", "the Accord server, e.g. https://accord.example:8700")
	return cmd
}

func newSBOMCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sbom",
		Short: "Read SBOMs (CycloneDX JSON, SPDX 2.3 JSON) as the components a deployment runs",
	}
	var server, deployment, format string
	var dryRun bool
	imp := &cobra.Command{
		Use:   "import SBOM.json --deployment ID (--server URL | --dry-run)",
		Short: "Import an SBOM as a deployment's components (POST /v1/sboms)",
		Long: `import reads a CycloneDX JSON or SPDX 2.3 JSON SBOM and POSTs it to the
server's /v1/sboms for the deployment, with the token in $ACCORD_TOKEN; the
server matches it against every published advisory. --dry-run only parses it
and prints the components Accord would register (by purl, with CPE).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return badInput(locale.Errorf("read SBOM: %v", err))
			}
			info, err := advisory.ParseSBOM(data)
			if err != nil {
				return badInput(locale.Errorf("%s: %v", args[0], err))
			}
			if dryRun {
				w := cmd.OutOrStdout()
				if format == "json" {
					return writeJSON(w, info)
				}
				fmt.Fprintln(w, userPrinter().Sprintf("%s SBOM, %d components (%d without purl or CPE, skipped)", info.Format, len(info.Components), info.Skipped))
				for _, c := range info.Components {
					fmt.Fprintf(w, "  %s\n", strings.TrimSpace(c.PURL+" "+c.CPE))
				}
				return nil
			}
			if deployment == "" {
				return badInput(locale.Errorf("--deployment: name the deployment the SBOM describes"))
			}
			return post(cmd, server, "/v1/sboms?deployment="+deployment, data)
		},
	}
	imp.Flags().StringVar(&server, "server", "", "the Accord server")
	imp.Flags().StringVar(&deployment, "deployment", "", "the deployment the SBOM describes")
	imp.Flags().BoolVar(&dryRun, "dry-run", false, "parse and print the components; send nothing")
	imp.Flags().StringVar(&format, "format", "text", "output format for --dry-run: text or json")
	cmd.AddCommand(imp)
	return cmd
}
