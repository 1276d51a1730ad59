package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/registry"
)

// registryKeys lets authz verify signatures with the public keys the
// registry holds for its authorities.
type registryKeys struct{ reg *registry.Registry }

// AuthorityKey implements authz.Keys. An authority without a public key,
// or with one that does not decode, is not usable for verification.
func (k registryKeys) AuthorityKey(id string) (authz.AuthorityKey, bool) {
	a, ok := k.reg.Authority(id)
	if !ok || a.PublicKey == "" {
		return authz.AuthorityKey{}, false
	}
	pub, err := authz.ParsePublicKey(a.PublicKey)
	if err != nil {
		return authz.AuthorityKey{}, false
	}
	return authz.AuthorityKey{ID: a.ID, Jurisdiction: a.Jurisdiction, Role: a.Role, PublicKey: pub}, true
}

func newAuthzCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "authz",
		Short: "Create, sign and verify authorizations by state authorities",
		Long: `An authorization is a statement by a state authority that a named principal
may access data located in that state, within a scope (purposes, categories,
datasets, selectors, counts) and a validity window. It travels as a DSSE
envelope signed with the authority's Ed25519 key; the registry holds the
public key. A revocation is a signed statement too.`,
	}
	cmd.AddCommand(newAuthzKeygenCmd(), newAuthzSignCmd(), newAuthzVerifyCmd(), newAuthzLodgeCmd())
	return cmd
}

func init() { rootCmd.AddCommand(newAuthzCmd()) }

func checkFormat(format string) error {
	if format != "text" && format != "json" {
		return badInput(locale.Errorf("--format: %q is not text or json", format))
	}
	return nil
}

// cliPrinter returns the Printer that authz, mla, decisions, datasets,
// approvals and log record write for people in: the environment's
// language (userPrinter). It is a variable so that a test can keep the
// Printer a command used and ask it which keys it lacked (Missing).
var cliPrinter = userPrinter

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newAuthzKeygenCmd() *cobra.Command {
	var out, format string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen -o FILE",
		Short: "Generate an Ed25519 key pair for an authority",
		Long: `keygen writes a new Ed25519 private key (PEM, PKCS #8) to -o/--output with mode 0600
and prints the public key in the form the registry takes (standard base64):
put it in the authority's public_key through a registry override file.`,
		Example: `  accord authz keygen -o fr-bepi.key
  accord authz keygen -o cn-moj.key --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if out == "" {
				return badInput(locale.Errorf("-o/--output: name the file for the private key"))
			}
			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return locale.Errorf("generate key: %v", err)
			}
			pemData, err := authz.MarshalPrivateKey(priv)
			if err != nil {
				return err
			}
			if err := writeKeyFile(out, string(pemData), force); err != nil {
				return err
			}
			keyID, err := authz.KeyID(pub)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			// The fingerprint the log and GET /v1/registry/changes show
			// for this key once registered: watch for any other.
			fp := api.KeyFingerprint(authz.EncodePublicKey(pub))
			if format == "json" {
				return writeJSON(w, map[string]string{"public_key": authz.EncodePublicKey(pub), "key_id": keyID, "key_fingerprint": fp, "private_key_file": out})
			}
			p := cliPrinter()
			fmt.Fprintln(w, p.Sprintf("public key: %s", authz.EncodePublicKey(pub)))
			fmt.Fprintln(w, p.Sprintf("key id:     %s", keyID))
			fmt.Fprintln(w, p.Sprintf("fingerprint: %s", fp))
			fmt.Fprintln(w, p.Sprintf("private key written to %s (mode 0600); keep it secret.", out))
			fmt.Fprintln(w, p.Sprintf("Register the public key as the authority's public_key in a registry override file."))
			return nil
		},
	}
	addOutputFlag(cmd.Flags(), &out, "file to write the private key to (created with mode 0600)")
	cmd.Flags().BoolVar(&force, "force", false, "replace the --output file if it exists")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func newAuthzSignCmd() *cobra.Command {
	var keyFile, out string
	cmd := &cobra.Command{
		Use:   "sign STATEMENT.json --key FILE",
		Short: "Sign an authorization or revocation statement",
		Long: `sign checks a statement (strictly: unknown fields, wrong types and missing
fields are errors naming the JSON path), wraps it in a DSSE envelope of type
` + authz.PayloadType + `
and signs it with the private key. The envelope goes to stdout or -o; it
is what a request carries in basis.authorizations.`,
		Example: `  accord authz sign authorization.json --key cn-moj.key > authorization.dsse.json
  accord authz sign revocation.json --key cn-moj.key -o revocation.dsse.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile == "" {
				return badInput(locale.Errorf("--key: name the private key file"))
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return badInput(locale.Errorf("read statement: %v", err))
			}
			st, err := authz.ParseStatement(data)
			if err != nil {
				return badInput(locale.Errorf("%s: %v", args[0], err))
			}
			keyData, err := os.ReadFile(keyFile)
			if err != nil {
				return badInput(locale.Errorf("read key: %v", err))
			}
			priv, err := authz.ParsePrivateKey(keyData)
			if err != nil {
				return badInput(locale.Errorf("%s: %v", keyFile, err))
			}
			env, err := authz.Sign(cmd.Context(), st, priv)
			if err != nil {
				return err
			}
			if out == "" {
				return writeJSON(cmd.OutOrStdout(), env)
			}
			f, err := os.Create(out)
			if err != nil {
				return locale.Errorf("write envelope: %v", err)
			}
			if err := writeJSON(f, env); err != nil {
				f.Close()
				return locale.Errorf("write envelope %s: %v", out, err)
			}
			return f.Close()
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "private key file written by accord authz keygen")
	addOutputFlag(cmd.Flags(), &out, "write the envelope to this file instead of standard output")
	return cmd
}

// verifyResult is what accord authz verify reports.
type verifyResult struct {
	Verified   bool             `json:"verified"`
	Statement  *authz.Statement `json:"statement"`
	KeyID      string           `json:"key_id"`
	Digest     string           `json:"sha256"`
	Authority  string           `json:"authority"`
	Checked    string           `json:"checked"`
	Request    string           `json:"request,omitempty"`
	At         *time.Time       `json:"at,omitempty"`
	Authorized []string         `json:"authorized,omitempty"`
	Findings   []authz.Finding  `json:"findings,omitempty"`
}

func newAuthzVerifyCmd() *cobra.Command {
	var (
		registryDirs []string
		pubkey       string
		requestFile  string
		at           string
		format       string
		revocations  []string
	)
	cmd := &cobra.Command{
		Use:   "verify ENVELOPE.json",
		Short: "Verify a signed authorization, and optionally check it against a request",
		Long: `verify checks the envelope's signature with the issuer's public key: the one
the registry holds (embedded data plus --registry override directories), or
the one given with --pubkey. With the registry it also checks that the issuer
acts for the state the statement names.

With --request it runs the full check a decision runs: validity at the
request's time (or --at), revocation (--revocation), role, grantee, scope;
and lists what fails.

Exit codes: 0 verified (and, with --request, covering); 1 verified but the
issuer does not act for the state named, or the request is not covered;
2 bad input (does not parse, unknown issuer, signature does not verify).`,
		Example: `  accord authz verify authorization.dsse.json --registry ./registry-overrides
  accord authz verify authorization.dsse.json --pubkey 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
  accord authz verify authorization.dsse.json --registry ./keys --request request.json --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			p := cliPrinter()
			data, err := os.ReadFile(args[0])
			if err != nil {
				return badInput(locale.Errorf("read envelope: %v", err))
			}
			env, err := authz.ParseEnvelope(data)
			if err != nil {
				return badInput(locale.Errorf("%s: %v", args[0], err))
			}
			reg, err := registry.Load(registryDirs...)
			if err != nil {
				return badInput(locale.Errorf("load registry: %v", err))
			}
			var keys authz.Keys = registryKeys{reg}
			checked := "registry"
			if pubkey != "" {
				pub, err := authz.ParsePublicKey(pubkey)
				if err != nil {
					return badInput(locale.Errorf("--pubkey: %v", err))
				}
				payload, _ := base64.StdEncoding.DecodeString(env.Payload)
				st, err := authz.ParseStatement(payload)
				if err != nil {
					return badInput(locale.Errorf("%s: payload: %v", args[0], err))
				}
				// The key is trusted for the issuer named; its state and role
				// come from the registry when it knows the authority.
				ak := authz.AuthorityKey{ID: st.Issuer, Jurisdiction: st.IssuerJurisdiction, PublicKey: pub}
				if a, ok := reg.Authority(st.Issuer); ok {
					ak.Jurisdiction, ak.Role = a.Jurisdiction, a.Role
					checked = "pubkey+registry"
				} else {
					checked = "pubkey"
				}
				keys = authz.KeySet{st.Issuer: ak}
			}
			v, err := authz.Open(cmd.Context(), *env, keys)
			if err != nil {
				return badInput(locale.Errorf("%s: %v", args[0], err))
			}
			res := verifyResult{Verified: true, Statement: v.Statement, KeyID: v.KeyID, Digest: v.Digest, Authority: v.Authority.ID, Checked: checked}
			code := exitOK
			var problems []string
			if checked != "pubkey" && v.Authority.Jurisdiction != v.Statement.IssuerJurisdiction {
				problems = append(problems, p.Sprintf("issuer %s is an authority of %s, not %s: this authorization will not count", v.Authority.ID, v.Authority.Jurisdiction, v.Statement.IssuerJurisdiction))
				code = exitError
			}
			if requestFile != "" {
				if v.Statement.Type != authz.TypeAuthorization {
					return badInput(locale.Errorf("--request: %s is a revocation, not an authorization", v.Statement.ID))
				}
				reqData, err := os.ReadFile(requestFile)
				if err != nil {
					return badInput(locale.Errorf("read request: %v", err))
				}
				req, err := model.DecodeRequest(reqData, reg)
				if err != nil {
					return badInput(locale.Errorf("%s: %v", requestFile, err))
				}
				when := req.Time
				if at != "" {
					when, err = time.Parse(time.RFC3339, at)
					if err != nil {
						return badInput(locale.Errorf("--at: %q is not an RFC 3339 time", at))
					}
				}
				if when.IsZero() {
					when = time.Now().UTC()
				}
				var revoked authz.Revocations
				for _, rf := range revocations {
					raw, err := os.ReadFile(rf)
					if err != nil {
						return badInput(locale.Errorf("--revocation: %v", err))
					}
					renv, err := authz.ParseEnvelope(raw)
					if err != nil {
						return badInput(locale.Errorf("--revocation %s: %v", rf, err))
					}
					rv, err := authz.Open(cmd.Context(), *renv, registryKeys{reg})
					if err != nil {
						return badInput(locale.Errorf("--revocation %s: %v", rf, err))
					}
					if err := revoked.Add(rv); err != nil {
						return badInput(locale.Errorf("--revocation %s: %v", rf, err))
					}
				}
				states, findings, err := authz.Evaluate([]model.Envelope{*env}, req, keys, &revoked, when)
				if err != nil {
					return badInput(err)
				}
				res.Request, res.At, res.Authorized, res.Findings = requestFile, &when, states, findings
				if len(states) == 0 {
					code = exitError
				}
			}
			w := cmd.OutOrStdout()
			if format == "json" {
				if err := writeJSON(w, res); err != nil {
					return err
				}
				return withCodeIfNot(code)
			}
			st := v.Statement
			// The labels line up in a column whatever their length in the
			// reader's language.
			tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
			if st.Type == authz.TypeAuthorization {
				fmt.Fprintln(tw, p.Sprintf("verified: authorization %s signed by %s (key %s)", st.ID, v.Authority.ID, v.KeyID))
			} else {
				fmt.Fprintln(tw, p.Sprintf("verified: revocation %s signed by %s (key %s)", st.ID, v.Authority.ID, v.KeyID))
			}
			if checked == "pubkey" {
				fmt.Fprintln(tw, "  "+p.Sprintf("the issuer is not in the registry: its state and role were not checked"))
			}
			field := func(label, value string) { fmt.Fprint(tw, "  ", label, "\t", value, "\n") }
			field(p.Sprintf("issuer state:"), st.IssuerJurisdiction)
			if st.Type == authz.TypeAuthorization {
				field(p.Sprintf("grantee:"), st.Grantee)
				field(p.Sprintf("valid:"), p.Sprintf("%s to %s (exclusive)", st.ValidFrom.UTC().Format(time.RFC3339), st.ValidTo.UTC().Format(time.RFC3339)))
				field(p.Sprintf("purposes:"), strings.Join(st.Scope.Purposes, ", "))
			} else {
				field(p.Sprintf("revokes:"), p.Sprintf("%s from %s", st.Revokes, st.ValidFrom.UTC().Format(time.RFC3339)))
			}
			field(p.Sprintf("sha256:"), v.Digest)
			for _, problem := range problems {
				fmt.Fprintln(tw, p.Sprintf("problem: %s", problem))
			}
			if requestFile != "" {
				if len(res.Authorized) > 0 {
					fmt.Fprintln(tw, p.Sprintf("covers %s at %s", requestFile, res.At.Format(time.RFC3339)))
				} else {
					fmt.Fprintln(tw, p.Sprintf("does not cover %s at %s:", requestFile, res.At.Format(time.RFC3339)))
				}
				for _, f := range res.Findings {
					fmt.Fprintln(tw, "  - "+f.Text(p))
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return withCodeIfNot(code)
		},
	}
	cmd.Flags().StringSliceVar(&registryDirs, "registry", nil, "directory of registry override YAML files holding authority keys (repeatable)")
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "verify with this Ed25519 public key (standard base64) instead of the registry's")
	cmd.Flags().StringVar(&requestFile, "request", "", "also check whether the authorization covers this request")
	cmd.Flags().StringSliceVar(&revocations, "revocation", nil, "with --request: signed revocation envelopes to take into account (repeatable; verified against the registry)")
	cmd.Flags().StringVar(&at, "at", "", "with --request: check validity at this RFC 3339 time instead of the request's time")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// withCodeIfNot returns nil for exitOK, else an error carrying code.
func withCodeIfNot(code int) error {
	if code == exitOK {
		return nil
	}
	return withCode(code)
}
