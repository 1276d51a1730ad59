package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/postgres"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

// dbURL is the --db flag of serve and token: a PostgreSQL URL, or empty for
// the embedded SQLite database under --data.
var dbURL string

// openStore opens the database the flags name: PostgreSQL when --db is
// given, else SQLite at DIR/accord.db (creating DIR).
func openStore(ctx context.Context) (store.Store, string, error) {
	if dbURL != "" {
		if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
			return nil, "", badInput(locale.Errorf("--db: %q is not a postgres:// URL", redactURL(dbURL)))
		}
		s, err := postgres.Open(ctx, dbURL)
		if err != nil {
			return nil, "", err
		}
		return s, "postgres", nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, "", locale.Errorf("create data directory: %v", err)
	}
	s, err := sqlite.Open(ctx, filepath.Join(dataDir, "accord.db"))
	if err != nil {
		return nil, "", err
	}
	return s, "sqlite", nil
}

// openTokenStore opens the database for a token command. On SQLite it
// refuses a --data that holds no Accord data or half a world (as serve
// does at start), and a writer takes the data directory's lock (released by the returned func): a
// running server holds it, so tokens on SQLite are created with the server
// stopped. With --db the database is PostgreSQL's and nothing under --data
// is touched.
func openTokenStore(ctx context.Context, write bool) (store.Store, func(), error) {
	release := func() {}
	var logSize uint64
	if dbURL == "" {
		if err := requireData(dataDir); err != nil {
			return nil, nil, err
		}
		if write {
			lock, err := lockDataErr(dataDir)
			if err != nil {
				return nil, nil, err
			}
			release = lock.release
		}
		n, err := preflightWorld(dataDir, true)
		if err != nil {
			release()
			return nil, nil, err
		}
		logSize = n
	}
	st, kind, err := openStore(ctx)
	if err != nil {
		release()
		return nil, nil, err
	}
	if dbURL == "" {
		if err := checkWorld(ctx, dataDir, st, kind, logSize); err != nil {
			st.Close()
			release()
			return nil, nil, err
		}
	}
	return st, func() { st.Close(); release() }, nil
}

// redactURL drops everything but the scheme and host of a database URL,
// so that logs and errors never show a password.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "(unparsed)"
	}
	if _, host, ok := strings.Cut(rest, "@"); ok {
		rest = host
	}
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host
}

func newTokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens",
		Long: `An API token is bound to one principal and grants one API role (--api-role),
not to be confused with what the principal does (--principal-role, the
request's requester.role):

  admin      everything
  operator   the catalog (datasets) and registry overrides
  requester  binding decisions, as its principal, and dry runs
  authority  signs and lodges authorizations for its own state
  auditor    reads decisions and reports

Only the SHA-256 of a token is stored: the token is shown once, when
created. The database is the one ` + "`accord serve`" + ` uses (--data, or --db).`,
	}
	addDataFlag(cmd.PersistentFlags())
	cmd.PersistentFlags().StringVar(&dbURL, "db", "", "PostgreSQL URL (postgres://…); default: SQLite under --data")
	cmd.AddCommand(newTokenCreateCmd(), newTokenRevokeCmd(), newTokenListCmd())
	return cmd
}

func newTokenCreateCmd() *cobra.Command {
	var (
		principal, role, kind, jurisdiction, name, prole, format string
		headquarters                                             string
		mayActFor, owners                                        []string
		ciio                                                     bool
		expires                                                  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create --principal ID --api-role ROLE",
		Short: "Create a token (shown once)",
		Example: `  # A token for an existing principal, valid 30 days
  accord token create --principal acme --api-role requester

  # Register the principal at the same time
  accord token create --principal acme --api-role requester \
      --kind company --jurisdiction FR --name "Acme SAS" --expires 720h

  # A company 51 % owned from another state (rules on control read it)
  accord token create --principal hanwei-eu --api-role requester --kind company \
      --jurisdiction NL --owner CN=51 --owner NL=49

  # A company that may ask on behalf of a state authority
  accord token create --principal acme --api-role requester --kind company \
      --jurisdiction FR --may-act-for dgsi

  # Against PostgreSQL, printing JSON
  accord token create --db postgres://accord@db/accord --principal ops --api-role operator \
      --kind organization --jurisdiction FR --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if principal == "" {
				return badInput(locale.Errorf("--principal is required"))
			}
			if !store.ValidRole(role) {
				if role != "" {
					// A principal's own role (law-enforcement, vendor, …) is
					// what requests call "role"; it goes elsewhere.
					return badInput(locale.Errorf("--api-role %q: must be one of %s; what the principal does (law-enforcement, vendor, …) goes in --principal-role", role, strings.Join(store.Roles, ", ")))
				}
				return badInput(locale.Errorf("--api-role %q: must be one of %s", role, strings.Join(store.Roles, ", ")))
			}
			if expires < 0 {
				return badInput(locale.Errorf("--expires %s: must not be negative (0 means never)", expires.String()))
			}
			if err := logCheckFormat(format); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, done, err := openTokenStore(ctx, true)
			if err != nil {
				return err
			}
			defer done()
			p, err := st.Principal(ctx, principal)
			switch {
			case errors.Is(err, store.ErrNotFound) && (kind == "" || jurisdiction == ""):
				return badInput(locale.Errorf("principal %q does not exist: give --kind and --jurisdiction to register it", principal))
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return err
			}
			f := cmd.Flags()
			if kind != "" || jurisdiction != "" || name != "" || prole != "" || f.Changed("may-act-for") || f.Changed("headquarters") || f.Changed("owner") || f.Changed("ciio") {
				if kind != "" {
					if !slices.Contains(model.PrincipalKinds, kind) {
						return badInput(locale.Errorf("--kind %q: must be one of %s", kind, strings.Join(model.PrincipalKinds, ", ")))
					}
					p.Kind = kind
				}
				if jurisdiction != "" {
					if len(jurisdiction) != 2 || strings.ToUpper(jurisdiction) != jurisdiction {
						return badInput(locale.Errorf("--jurisdiction %q: must be an ISO 3166-1 alpha-2 code such as FR", jurisdiction))
					}
					p.Jurisdiction = jurisdiction
				}
				if name != "" {
					p.Name = name
				}
				if prole != "" {
					p.Role = prole
				}
				if f.Changed("may-act-for") {
					p.MayActFor = mayActFor
				}
				if f.Changed("headquarters") {
					if headquarters != "" && (len(headquarters) != 2 || strings.ToUpper(headquarters) != headquarters) {
						return badInput(locale.Errorf("--headquarters %q: must be an ISO 3166-1 alpha-2 code such as FR", headquarters))
					}
					p.Attributes.Headquarters = headquarters
				}
				if f.Changed("owner") {
					p.Attributes.Owners = nil
					for _, o := range owners {
						state, pct, ok := strings.Cut(o, "=")
						v, err := strconv.ParseFloat(pct, 64)
						if !ok || len(state) != 2 || strings.ToUpper(state) != state || err != nil || v < 0 || v > 100 {
							return badInput(locale.Errorf("--owner %q: want STATE=PERCENT, such as CN=51", o))
						}
						if p.Attributes.Owners == nil {
							p.Attributes.Owners = map[string]float64{}
						}
						p.Attributes.Owners[state] = v
					}
				}
				if f.Changed("ciio") {
					p.Attributes.CIIO = ciio
				}
				p.ID = principal
				if err := st.PutPrincipal(ctx, p); err != nil {
					return err
				}
			}
			secret, tok, err := store.NewToken(principal, role, time.Now(), expires)
			if err != nil {
				return badInput(err)
			}
			if err := st.CreateToken(ctx, tok); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					store.Token
					Secret string `json:"token"`
				}{tok, secret})
			}
			pr := userPrinter()
			about := pr.Sprintf("id %s, principal %s, API role %s, never expires", tok.ID, principal, role)
			if !tok.Expires.IsZero() {
				about = pr.Sprintf("id %s, principal %s, API role %s, expires %s", tok.ID, principal, role, pr.DateTime(tok.Expires))
			}
			fmt.Fprintf(out, "%s\n\n", secret)
			fmt.Fprintln(out, about)
			fmt.Fprintln(out, pr.Sprintf("This token is shown once; store it now. Revoke it with: accord token revoke %s%s", revokeWhere(), tok.ID))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&principal, "principal", "", "principal id the token speaks for (required)")
	f.StringVar(&role, "api-role", "", "what the token may do in the API: "+strings.Join(store.Roles, ", ")+" (required)")
	f.StringVar(&role, "role", "", "what the token may do in the API")
	deprecateFlag(f, "role", "api-role")
	f.DurationVar(&expires, "expires", 720*time.Hour, "lifetime; 0 means never")
	f.StringVar(&kind, "kind", "", "register or update the principal: kind ("+strings.Join(model.PrincipalKinds, ", ")+")")
	f.StringVar(&jurisdiction, "jurisdiction", "", "register or update the principal: its state (ISO 3166-1 alpha-2)")
	f.StringVar(&name, "name", "", "register or update the principal: display name")
	f.StringVar(&prole, "principal-role", "", "register or update the principal: what it does (law-enforcement, vendor, …), the request's requester.role")
	f.StringSliceVar(&mayActFor, "may-act-for", nil, "register or update the principal: ids it may name in on_behalf_of")
	f.StringVar(&headquarters, "headquarters", "", "register or update the principal: state of its principal place of business")
	f.StringSliceVar(&owners, "owner", nil, "register or update the principal: ownership share by state, STATE=PERCENT (repeatable)")
	f.BoolVar(&ciio, "ciio", false, "register or update the principal: it operates critical information infrastructure")
	f.StringVar(&format, "format", "text", "output: text or json")
	return cmd
}

// revokeWhere is what accord token revoke needs, beyond the token id, to
// find the database this command used: --data or --db (its password
// masked), so that the hint printed after create works as written.
func revokeWhere() string {
	if dbURL != "" {
		return "--db '" + maskPassword(dbURL) + "' "
	}
	if dataDir != "./accord-data" {
		return "--data " + dataDir + " "
	}
	return ""
}

func newTokenRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke TOKEN-ID...",
		Short: "Revoke tokens, from now on",
		Example: `  accord token revoke tok-3f2a9c01d4e5
  accord token list --principal acme   # to find the id`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, done, err := openTokenStore(ctx, true)
			if err != nil {
				return err
			}
			defer done()
			now := time.Now()
			for _, id := range args {
				if err := st.RevokeToken(ctx, id, now); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return badInput(locale.Errorf("no token %q (see accord token list)", id))
					}
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), userPrinter().Sprintf("revoked %s", id))
			}
			return nil
		},
	}
}

func newTokenListCmd() *cobra.Command {
	var principal, format string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List tokens (never their secrets)",
		Example: "  accord token list\n  accord token list --principal acme --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := logCheckFormat(format); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, done, err := openTokenStore(ctx, false)
			if err != nil {
				return err
			}
			defer done()
			toks, err := st.ListTokens(ctx, principal)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(toks)
			}
			p := userPrinter()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, p.Sprintf("ID\tPRINCIPAL\tAPI ROLE\tCREATED\tEXPIRES\tSTATE"))
			now := time.Now()
			for _, t := range toks {
				// Times stay RFC 3339, one column of the same width.
				exp, state := p.Sprintf("token expires: never"), p.Sprintf("token state: active")
				if !t.Expires.IsZero() {
					exp = t.Expires.Format(time.RFC3339)
				}
				switch {
				case !t.Revoked.IsZero() && !now.Before(t.Revoked):
					state = p.Sprintf("token state: revoked")
				case !t.ActiveAt(now):
					state = p.Sprintf("token state: expired")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.PrincipalID, t.Role, t.Created.Format(time.RFC3339), exp, state)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&principal, "principal", "", "only this principal's tokens")
	cmd.Flags().StringVar(&format, "format", "text", "output: text or json")
	return cmd
}

func init() { rootCmd.AddCommand(newTokenCmd()) }
