package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/locale"
)

// frStep is one command of TestCLIInFrench: what it runs and what its
// output (or, when it fails, its error in French) must hold.
type frStep struct {
	name string
	cmd  func() *cobra.Command // a fresh command tree, so no flag leaks between steps
	args []string
	code int      // exit code wanted
	want []string // in the output, or the error's French text
	save string   // write the output to this file (JSON for the next step)
}

// runFresh runs args on a new tree from newCmd, in-process, and returns
// what it wrote and its error.
func runFresh(newCmd func() *cobra.Command, args []string) (string, error) {
	cmd := newCmd()
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// TestCLIInFrench runs the authz, mla, datasets, decisions and approvals
// commands with ACCORD_LANG=fr: on this machine (an MLA case, an
// authorization signed and verified) and against a demo server. Their
// output and errors must be French, and the Printer they wrote with must
// have found every key it was asked for in the French catalog.
func TestCLIInFrench(t *testing.T) {
	fr := locale.For("fr")
	prev := cliPrinter
	cliPrinter = func() *locale.Printer { return fr }
	t.Cleanup(func() { cliPrinter = prev })
	t.Setenv("ACCORD_LANG", "fr")
	t.Setenv("ACCORD_SERVER", "")
	t.Setenv("ACCORD_TOKEN", "")

	dir := t.TempDir()
	in := func(name string) string { return filepath.Join(dir, name) }
	run := func(t *testing.T, steps []frStep) {
		for _, s := range steps {
			out, err := runFresh(s.cmd, s.args)
			shown, got := exitStatus(err)
			text := out + locale.Text(fr, shown)
			if got != s.code {
				t.Fatalf("%s: exit %d, want %d:\n%s", s.name, got, s.code, text)
			}
			for _, w := range s.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s: want %q in:\n%s", s.name, w, text)
				}
			}
			if s.save != "" {
				if err := os.WriteFile(s.save, []byte(out), 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	// The central authority's key, registered through an override file.
	out, err := runFresh(newAuthzCmd, []string{"keygen", "-o", in("cn-moj.key"), "--format", "json"})
	if err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	var key struct {
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(out), &key); err != nil {
		t.Fatalf("keygen --format json: %v\n%s", err, out)
	}
	os.Mkdir(in("keys"), 0o755)
	override := "version: \"2026.11.0-test\"\nauthorities:\n  - id: cn-moj\n    name: \"Ministry of Justice\"\n    kind: state-authority\n" +
		"    role: central-authority\n    jurisdiction: CN\n    public_key: " + key.PublicKey + "\n    source: http://www.moj.gov.cn\n    override: true\n"
	if err := os.WriteFile(in("keys/authorities.yaml"), []byte(override), 0o644); err != nil {
		t.Fatal(err)
	}

	data := []string{"--data", in("data")}
	t.Run("local", func(t *testing.T) {
		run(t, []frStep{
			{name: "keygen", cmd: newAuthzCmd, args: []string{"keygen", "-o", in("other.key")},
				want: []string{"clé publique : ", "empreinte : ", "clé privée écrite dans " + in("other.key") + " (mode 0600) ; gardez-la secrète."}},
			{name: "open", cmd: newMLACmd, args: append([]string{"open", "MLA-1", "--as", "fr-bepi", "--to", "CN", "--agreement", "cn-fr-mla-2005",
				"--provider", "mailco-cn", "--category", "personal.contact", "--selectors", "specific:3", "--max-subjects", "3", "--subject-state", "CN,FR"}, data...),
				want: []string{"dossier MLA-1 : - → opened par fr-bepi (FR) le ", "index du journal 0", "réponse attendue au plus tard le "}},
			{name: "open by a company", cmd: newMLACmd, args: append([]string{"open", "MLA-2", "--as", "mailco-cn", "--to", "CN", "--provider", "mailco-cn"}, data...),
				code: exitBadInput, want: []string{`--as : "mailco-cn" n'est pas une autorité du registre`}},
			{name: "receive", cmd: newMLACmd, args: append([]string{"receive", "MLA-1", "--as", "cn-moj", "--registry", in("keys")}, data...),
				want: []string{"opened → received par cn-moj (CN)"}},
			{name: "narrow", cmd: newMLACmd, args: append([]string{"narrow", "MLA-1", "--as", "cn-moj", "--registry", in("keys"), "--category", "personal.contact",
				"--selectors", "specific:2", "--max-subjects", "1", "--subject-state", "CN"}, data...),
				want: []string{"accordé : finalités law-enforcement ; catégories personal.contact ; sélecteurs specific:2 ; au plus 1 personne de CN ; à exécuter"}},
			{name: "list", cmd: newMLACmd, args: append([]string{"list"}, data...),
				want: []string{"DOSSIER", "ÉTAT", "RÉPONSE AVANT", "MLA-1"}},
			{name: "overdue", cmd: newMLACmd, args: append([]string{"overdue", "--at", "2099-01-01T00:00:00Z"}, data...),
				want: []string{"DÉLAI", "ÉCHÉANCE", "EN ATTENTE DE", " jours "}},
			{name: "authorization", cmd: newMLACmd, args: append([]string{"authorization", "MLA-1"}, data...), save: in("a.json")},
			{name: "sign", cmd: newAuthzCmd, args: []string{"sign", in("a.json"), "--key", in("cn-moj.key"), "-o", in("a.dsse.json")}},
			{name: "verify", cmd: newAuthzCmd, args: []string{"verify", in("a.dsse.json"), "--registry", in("keys")},
				want: []string{"vérifiée : autorisation MLA-1-A signée par cn-moj (clé SHA256:", "\n  État émetteur : CN\n", "\n  bénéficiaire :  fr-bepi\n", "  validité :      du 20"}},
			{name: "verify, bad format", cmd: newAuthzCmd, args: []string{"verify", in("a.dsse.json"), "--format", "yaml"},
				code: exitBadInput, want: []string{`--format : "yaml" n'est ni text ni json`}},
		})
	})

	t.Run("server", func(t *testing.T) {
		s := startDemo(t, t.TempDir())
		server := []string{"--server", s.base}
		as := func(who string) []string { return append([]string{"--token", s.tokens[who]}, server...) }
		if err := os.WriteFile(in("dataset.json"), []byte(`{"id":"hr-nl","location":"NL","origin":["NL"],"categories":["personal.contact"],"subjects":{"NL":12000},"records":12000,"classification":"general"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(in("allow.json"), []byte(`{"action":"transfer","data":{"dataset":"crm-eu"},"destination":"US","purpose":"commercial","basis":{"kind":"contract","measures":["scc"]}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, []frStep{
			{name: "datasets create", cmd: newDatasetsCmd, args: append([]string{"create", in("dataset.json")}, as("OPERATOR")...),
				want: []string{"jeu de données hr-nl créé", "LIEU", "PERSONNES", "ENREGISTREMENTS", "NL=12\u00a0000"}},
			{name: "decisions submit", cmd: newDecisionsCmd, args: append([]string{"submit", in("allow.json")}, as("REQUESTER")...),
				want: []string{": AUTORISÉ\n", "journalisée à l'index "}},
			{name: "decisions list", cmd: newDecisionsCmd, args: append([]string{"list"}, as("REQUESTER")...),
				want: []string{"HEURE", "ISSUE", "REQUÉRANT", "EN ATTENTE DE"}},
			{name: "approvals list", cmd: newApprovalsCmd, args: append([]string{"list"}, as("AUDITOR")...),
				want: []string{"ÉTAT", "JEU DE DONNÉES", "DÉTENTEUR"}},
			{name: "approvals ask, bad duration", cmd: newApprovalsCmd, args: append([]string{"ask", "dec-1", "--duration", "1s"}, as("REQUESTER")...),
				code: exitBadInput, want: []string{"--duration 1s : un nombre entier de secondes, de "}},
		})
	})

	if m := fr.Missing(); len(m) > 0 {
		t.Errorf("keys printed in English for lack of a French translation: %q", m)
	}
}
