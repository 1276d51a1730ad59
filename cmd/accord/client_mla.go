package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/mla"
)

// mlaLocalOnly are the accord mla flags that mean something only on this
// machine: against a server, who acts is the token's principal, and the
// registry, deadlines, data and database are the server's.
var mlaLocalOnly = []string{"as", "registry", "mla-deadlines", "deadlines", "data", "decision", "db", "at"}

// remoteMLA lets every accord mla command run against a server: with
// --server URL (token from --token or ACCORD_TOKEN) the command makes the
// same step through the API (POST /v1/mla, /v1/mla/{id}/{verb}, ...)
// instead of on the cases under --data. Unlike the decisions commands, mla
// goes to a server only when --server is given, never from ACCORD_SERVER
// alone, so that a local case is never sent anywhere by surprise.
func remoteMLA(group *cobra.Command) {
	o := &clientOptions{}
	pf := group.PersistentFlags()
	pf.StringVar(&o.server, "server", "", "make the step on this Accord server instead of under --data (who acts is the token's principal)")
	pf.StringVar(&o.token, "token", "", "with --server: bearer token (default: $ACCORD_TOKEN)")
	pf.DurationVar(&o.timeout, "timeout", 60*time.Second, "with --server: give up on the server after this long")
	pf.StringVar(&o.idempotencyKey, "idempotency-key", "", "with --server: Idempotency-Key of the step (default: a random key per invocation)")
	for _, sub := range group.Commands() {
		local := sub.RunE
		name := sub.Name()
		sub.RunE = func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("server") {
				return local(cmd, args)
			}
			for _, f := range mlaLocalOnly {
				if fl := cmd.Flags().Lookup(f); fl != nil && fl.Changed {
					return badInput(locale.Errorf("--%s has no meaning with --server: the server takes who acts from the token, and uses its own registry, deadlines and data", f))
				}
			}
			o.format = mlaFormat(cmd)
			c, err := o.client()
			if err != nil {
				return err
			}
			return runRemoteMLA(cmd, c, name, args)
		}
	}
}

// remoteScope builds the scope of open or narrow from the command's scope
// flags, as the local command does.
func remoteScope(fs *pflag.FlagSet) (authz.Scope, error) {
	var s scopeFlags
	s.purposes, _ = fs.GetStringSlice("purpose")
	s.categories, _ = fs.GetStringSlice("category")
	s.datasets, _ = fs.GetStringSlice("dataset")
	s.subjectStates, _ = fs.GetStringSlice("subject-state")
	s.selectors, _ = fs.GetString("selectors")
	s.maxSubjects, _ = fs.GetInt64("max-subjects")
	s.maxRecords, _ = fs.GetInt64("max-records")
	sc, err := s.scope()
	if err != nil {
		return sc, badInput(err)
	}
	return sc, nil
}

// runRemoteMLA makes the step name of an mla command on the server.
func runRemoteMLA(cmd *cobra.Command, c *apiClient, name string, args []string) error {
	ctx := cmd.Context()
	fs := cmd.Flags()
	format := mlaFormat(cmd)
	pf := &mlaFlags{format: format}
	w := cmd.OutOrStdout()
	caseAnswer := func(data []byte, history bool) error {
		var cs mla.Case
		if err := json.Unmarshal(data, &cs); err != nil {
			return locale.Errorf("the server's case does not decode: %v", err)
		}
		return pf.printCase(w, &cs, history)
	}
	casePath := func() string { return "/v1/mla/" + url.PathEscape(args[0]) }
	switch name {
	case "open":
		sc, err := remoteScope(fs)
		if err != nil {
			return err
		}
		body := api.OpenCase{ID: args[0], Scope: sc}
		body.RequestedState, _ = fs.GetString("to")
		body.Agreement, _ = fs.GetString("agreement")
		body.Provider, _ = fs.GetString("provider")
		body.Grantee, _ = fs.GetString("grantee")
		raw, _ := json.Marshal(body)
		data, _, err := c.call(ctx, http.MethodPost, "/v1/mla", raw, true)
		if err != nil {
			return err
		}
		return caseAnswer(data, false)
	case "receive", "accept", "close", "narrow", "refuse":
		var raw []byte
		switch name {
		case "narrow":
			sc, err := remoteScope(fs)
			if err != nil {
				return err
			}
			raw, _ = json.Marshal(map[string]any{"scope": sc})
		case "refuse":
			ground, _ := fs.GetString("ground")
			raw, _ = json.Marshal(map[string]any{"ground": ground})
		}
		data, _, err := c.call(ctx, http.MethodPost, casePath()+"/"+name, raw, true)
		if err != nil {
			return err
		}
		return caseAnswer(data, false)
	case "execute":
		requestFile, _ := fs.GetString("request")
		if requestFile == "" {
			return errNoRequestFile
		}
		attach, _ := fs.GetStringSlice("attach")
		body, err := readInput(cmd, requestFile)
		if err != nil {
			return err
		}
		if len(attach) > 0 {
			if body, err = attachEnvelopes(body, attach); err != nil {
				return err
			}
		}
		data, _, err := c.call(ctx, http.MethodPost, casePath()+"/execute", body, true)
		if err != nil {
			return err
		}
		var ex api.Execution
		if err := json.Unmarshal(data, &ex); err != nil {
			return locale.Errorf("the server's execution does not decode: %v", err)
		}
		if format == "json" {
			if err := writeIndented(w, data); err != nil {
				return err
			}
		} else {
			p := cliPrinter()
			renderDecision(w, p, p.Sprintf("decision %s", ex.Decision.ID), &ex.Decision)
			if ex.Case != nil {
				if err := pf.printCase(w, ex.Case, false); err != nil {
					return err
				}
			}
		}
		if !ex.Executed {
			return &exitCodeError{code: max(outcomeCode(ex.Decision.Outcome), exitError), err: notExecuted(ex.Decision.ID, ex.Decision.Outcome)}
		}
		return nil
	case "list", "overdue":
		path := "/v1/mla"
		if name == "overdue" {
			path += "?overdue=true"
		}
		data, _, err := c.call(ctx, http.MethodGet, path, nil, false)
		if err != nil {
			return err
		}
		var list api.CaseList
		if err := json.Unmarshal(data, &list); err != nil {
			return locale.Errorf("the server's case list does not decode: %v", err)
		}
		if name == "overdue" {
			if format == "json" {
				return writeJSON(w, list.Overdue)
			}
			if len(list.Overdue) == 0 {
				fmt.Fprintln(w, cliPrinter().Sprintf("no case is overdue on the server"))
				return nil
			}
			return printOverdue(w, list.Overdue)
		}
		state, _ := fs.GetString("state")
		out := []*mla.Case{}
		for _, cs := range list.Cases {
			if state == "" || string(cs.State) == state {
				out = append(out, cs)
			}
		}
		if format == "json" {
			return writeJSON(w, out)
		}
		return printCases(w, out)
	case "show":
		data, _, err := c.call(ctx, http.MethodGet, casePath(), nil, false)
		if err != nil {
			return err
		}
		return caseAnswer(data, true)
	case "authorization":
		data, _, err := c.call(ctx, http.MethodGet, casePath()+"/authorization", nil, false)
		if err != nil {
			return err
		}
		return writeIndented(w, data)
	}
	return badInput(locale.Errorf("accord mla %s has no server form", name))
}

// attachEnvelopes adds the signed envelopes in files to the request's
// basis.authorizations, as accord mla execute --attach does locally.
func attachEnvelopes(body []byte, files []string) ([]byte, error) {
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, badInput(locale.Errorf("--request: %v", err))
	}
	basis, _ := req["basis"].(map[string]any)
	if basis == nil {
		basis = map[string]any{}
		req["basis"] = basis
	}
	list, _ := basis["authorizations"].([]any)
	for _, f := range files {
		raw, err := readFileArg("--attach", f)
		if err != nil {
			return nil, err
		}
		if _, err := authz.ParseEnvelope(raw); err != nil {
			return nil, badInput(locale.Errorf("--attach %s: %v", f, err))
		}
		var env any
		if err := json.Unmarshal(raw, &env); err != nil {
			return nil, badInput(locale.Errorf("--attach %s: %v", f, err))
		}
		list = append(list, env)
	}
	basis["authorizations"] = list
	return json.Marshal(req)
}

// newAuthzLodgeCmd is accord authz lodge: send a signed authorization or
// revocation to a server, which verifies it, logs it and (for a
// revocation) puts it in effect.
func newAuthzLodgeCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "lodge ENVELOPE.json --server URL",
		Short: "Lodge a signed authorization or revocation with a server",
		Long: `lodge sends a signed envelope (from accord authz sign) to the server: an
authorization to POST /v1/authorizations, a revocation to POST
/v1/revocations, chosen by the statement's type. The server verifies the
signature against its registry, checks that the token's principal is an
authority of the signing state, and logs the statement before it counts.`,
		Example: `  accord authz sign a.json --key cn-moj.key -o a.dsse.json
  accord authz lodge a.dsse.json --server http://127.0.0.1:8700 --token "$ACCORD_TOKEN_CN_MOJ"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			raw, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			env, err := authz.ParseEnvelope(raw)
			if err != nil {
				return badInput(locale.Errorf("%s: %v", args[0], err))
			}
			payload, err := base64.StdEncoding.DecodeString(env.Payload)
			if err != nil {
				return badInput(locale.Errorf("%s: payload: %v", args[0], err))
			}
			st, err := authz.ParseStatement(payload)
			if err != nil {
				return badInput(locale.Errorf("%s: payload: %v", args[0], err))
			}
			path := "/v1/authorizations"
			if st.Type == authz.TypeRevocation {
				path = "/v1/revocations"
			}
			data, _, err := c.call(cmd.Context(), http.MethodPost, path, raw, true)
			if err != nil {
				return err
			}
			if o.format == "json" {
				return writeIndented(cmd.OutOrStdout(), data)
			}
			var l api.Lodged
			if err := json.Unmarshal(data, &l); err != nil {
				return locale.Errorf("the server's answer does not decode: %v", err)
			}
			p, w := cliPrinter(), cmd.OutOrStdout()
			index := strconv.FormatUint(l.LogIndex, 10)
			if l.Type == authz.TypeRevocation {
				fmt.Fprintln(w, p.Sprintf("lodged revocation %[1]s signed by %[2]s (%[3]s), key %[4]s, at log index %[5]s", l.ID, l.Issuer, l.Jurisdiction, l.KeyID, index))
			} else {
				fmt.Fprintln(w, p.Sprintf("lodged authorization %[1]s signed by %[2]s (%[3]s), key %[4]s, at log index %[5]s", l.ID, l.Issuer, l.Jurisdiction, l.KeyID, index))
			}
			if l.Refers != nil {
				fmt.Fprintln(w, "  "+p.Sprintf("revokes the authorization at log index %s", strconv.FormatUint(*l.Refers, 10)))
			}
			return nil
		},
	}
	o.addFlags(cmd.Flags(), true)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	return cmd
}

// readFileArg reads a file named by flag, naming both in the error.
func readFileArg(flag, name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, badInput(locale.Errorf("%s: %v", flag, err))
	}
	return data, nil
}
