package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/decide"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/registry"
)

// mlaLedger appends MLA case events to the transparency log as
// mla-transition entries. The public entry holds codes and counts: the case
// id and new state (subject), the actor's kind, role and state, the
// requested state (jurisdiction), the agreement, and for an execution the
// subjects and records disclosed. The full event, with its salt, goes to
// keep (the private record an auditor checks with ledger.VerifyPrivate).
type mlaLedger struct {
	log  *ledger.Log
	keep func(ctx context.Context, index uint64, e ledger.Entry, p ledger.Private) error
}

// Append implements mla.Appender.
func (l *mlaLedger) Append(ctx context.Context, kind string, summary map[string]any) (uint64, error) {
	at, _ := time.Parse(time.RFC3339Nano, str(summary["at"]))
	e, p, err := ledger.NewRecord(ledger.KindMLATransition, at, map[string]any{"kind": kind, "summary": summary})
	if err != nil {
		return 0, err
	}
	e.Subject = str(summary["case"]) + ":" + str(summary["to"])
	e.Agreement = str(summary["agreement"])
	e.Jurisdiction = str(summary["requested_state"])
	e.Requester = &ledger.Party{Kind: str(summary["by_kind"]), Role: str(summary["by_role"]), State: str(summary["by_state"])}
	if subjects, ok := summary["subjects"].(map[string]any); ok {
		e.Subjects = map[string]int64{}
		for state, n := range subjects {
			e.Subjects[state] = toInt(n)
		}
	}
	e.Records = toInt(summary["records"])
	idx, err := l.log.Append(ctx, e)
	if err != nil {
		return 0, err
	}
	if l.keep != nil {
		// The entry is on the log: keep its record even if the caller
		// has gone away meanwhile.
		if err := l.keep(context.WithoutCancel(ctx), idx, e, p); err != nil {
			return idx, locale.Errorf("keep private record of log entry %s: %v", strconv.FormatUint(idx, 10), err)
		}
	}
	return idx, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return 0
}

// recordKeeper appends private records to a JSON-lines file, one line per
// log entry: {"index", "entry", "private"}.
type recordKeeper struct {
	mu   sync.Mutex
	path string
}

func (k *recordKeeper) keep(_ context.Context, index uint64, e ledger.Entry, p ledger.Private) error {
	line, err := json.Marshal(map[string]any{"index": index, "entry": e, "private": p})
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	f, err := os.OpenFile(k.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// mlaFlags are the flags every accord mla command shares.
type mlaFlags struct {
	registry  []string
	as        string
	format    string
	deadlines string
	// opening is set while mla open runs: the one mla command that may
	// start a new data directory (every other refuses one with no data).
	opening bool
}

// mlaEnv is what a command works with: the registry, the case service over
// the case files in <data>/mla/cases, and the log (opened only for
// transitions).
type mlaEnv struct {
	reg *registry.Registry
	svc *mla.Service
	log *ledger.Log
	// lock is the data directory's write lock, held by transitions.
	lock *dataLock
}

func (f *mlaFlags) env(ctx context.Context, withLog bool) (*mlaEnv, error) {
	if err := checkFormat(f.format); err != nil {
		return nil, err
	}
	if !f.opening {
		if err := requireData(dataDir); err != nil {
			return nil, err
		}
	}
	if withLog {
		// The log is this command's half; a database beside no log is a
		// world restored without its log.
		if h, err := statHalves(dataDir); err != nil {
			return nil, err
		} else if h.db && !h.log {
			return nil, halvesError(dataDir, true, false, 0)
		}
	}
	reg, err := registry.Load(f.registry...)
	if err != nil {
		return nil, badInput(locale.Errorf("load registry: %v", err))
	}
	var dl mla.Deadlines
	if f.deadlines != "" {
		dl, err = loadDeadlines(f.deadlines)
		if err != nil {
			return nil, badInput(err)
		}
	}
	e := &mlaEnv{reg: reg, svc: &mla.Service{
		Cases:      mla.DirCases{Dir: filepath.Join(dataDir, "mla", "cases")},
		Deadlines:  dl,
		Agreements: reg,
	}}
	if withLog {
		lock, err := lockDataErr(dataDir)
		if err != nil {
			return nil, err
		}
		e.lock = lock
		lg, err := ledger.Open(ctx, filepath.Join(dataDir, "log"), ledger.Options{})
		if err != nil {
			lock.release()
			return nil, locale.Errorf("open log: %v", err)
		}
		keeper := &recordKeeper{path: filepath.Join(dataDir, "mla", "records.jsonl")}
		e.log = lg
		e.svc.Log = &mlaLedger{log: lg, keep: keeper.keep}
	}
	return e, nil
}

func (e *mlaEnv) close() {
	if e.log != nil {
		e.log.Close()
	}
	e.lock.release()
}

// loadDeadlines reads a deadlines file (YAML, durations like 240h).
func loadDeadlines(path string) (mla.Deadlines, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return mla.Deadlines{}, locale.Errorf("read deadlines: %v", err)
	}
	var d mla.Deadlines
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil && !errors.Is(err, io.EOF) {
		return mla.Deadlines{}, locale.Errorf("%s: %v", path, err)
	}
	if err := d.Validate(); err != nil {
		return mla.Deadlines{}, locale.Errorf("%s: %v", path, err)
	}
	return d, nil
}

// actor resolves --as: an authority of the registry, or (for execute, when
// company is true) a company by id. The command line trusts --as; the
// server takes the actor from the caller's credential instead.
func (f *mlaFlags) actor(reg *registry.Registry, company bool) (model.Principal, error) {
	if f.as == "" {
		return model.Principal{}, badInput(locale.Errorf("--as: name who acts (an authority id from the registry, or the provider for execute)"))
	}
	if a, ok := reg.Authority(f.as); ok {
		return a.Principal(), nil
	}
	if company {
		return model.Principal{ID: f.as, Kind: model.KindCompany}, nil
	}
	return model.Principal{}, badInput(locale.Errorf("--as: %q is not an authority in the registry", f.as))
}

// mlaError maps the mla package's errors to exit codes: refused
// transitions and bad input are the caller's (2); the rest are errors (1).
func mlaError(err error) error {
	switch {
	case errors.Is(err, mla.ErrForbidden), errors.Is(err, mla.ErrState), errors.Is(err, mla.ErrBeyondScope),
		errors.Is(err, mla.ErrInvalid), errors.Is(err, mla.ErrNotFound), errors.Is(err, mla.ErrExists):
		return badInput(err)
	}
	return err
}

// scopeFlags build an authz.Scope from the command line.
type scopeFlags struct {
	purposes, categories, datasets, subjectStates []string
	selectors                                     string
	maxSubjects, maxRecords                       int64
}

func (s *scopeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&s.purposes, "purpose", []string{"law-enforcement"}, "purposes (law-enforcement, emergency)")
	cmd.Flags().StringSliceVar(&s.categories, "category", nil, "data categories (repeatable or comma-separated)")
	cmd.Flags().StringSliceVar(&s.datasets, "dataset", nil, "datasets (repeatable)")
	cmd.Flags().StringSliceVar(&s.subjectStates, "subject-state", nil, "states whose data subjects are covered (repeatable)")
	cmd.Flags().StringVar(&s.selectors, "selectors", "", "selector kind and maximum count, e.g. specific:3")
	cmd.Flags().Int64Var(&s.maxSubjects, "max-subjects", 0, "maximum data subjects (0 = no bound)")
	cmd.Flags().Int64Var(&s.maxRecords, "max-records", 0, "maximum records (0 = no bound)")
}

func (s *scopeFlags) scope() (authz.Scope, error) {
	sc := authz.Scope{Purposes: s.purposes, Categories: s.categories, Datasets: s.datasets,
		SubjectStates: s.subjectStates, MaxSubjects: s.maxSubjects, MaxRecords: s.maxRecords}
	if s.selectors != "" {
		kind, count, _ := strings.Cut(s.selectors, ":")
		sel := &authz.SelectorScope{Kind: kind}
		if count != "" {
			n, err := strconv.ParseInt(count, 10, 64)
			if err != nil {
				return sc, locale.Errorf("--selectors: %q: the count after ':' is not a number", s.selectors)
			}
			sel.Count = n
		}
		sc.Selectors = sel
	}
	return sc, nil
}

func newMLACmd() *cobra.Command {
	f := &mlaFlags{}
	cmd := &cobra.Command{
		Use:   "mla",
		Short: "Mutual legal assistance cases: open, answer, execute, close",
		Long: `A requesting state's authority opens a case against the requested state; the
requested state's central authority receives it, then accepts, narrows or
refuses it; the provider holding the data executes it; the case closes.
Every step is checked (only the right authority may make it), timestamped and
appended to the transparency log under --data. Cases are kept as JSON files
in <data>/mla/cases.

Who acts is given with --as: an authority id from the registry, or for
execute the provider's id. (The server takes it from the caller's
credential instead.)`,
		Example: `  accord mla open MLA-2026-0042 --as fr-bepi --to CN --agreement cn-fr-mla-2005 \
      --provider mailco-cn --category personal.contact --selectors specific:3
  accord mla receive MLA-2026-0042 --as cn-moj
  accord mla narrow MLA-2026-0042 --as cn-moj --category personal.contact --selectors specific:2 --max-subjects 2
  accord mla authorization MLA-2026-0042 > a.json && accord authz sign a.json --key cn-moj.key
  accord mla execute MLA-2026-0042 --as mailco-cn --request request.json --registry keys
  accord mla overdue`,
	}
	cmd.PersistentFlags().StringSliceVar(&f.registry, "registry", nil, "directory of registry override YAML files (repeatable)")
	cmd.PersistentFlags().StringVar(&f.as, "as", "", "id of who acts: an authority in the registry, or the provider for execute")
	cmd.PersistentFlags().StringVar(&f.format, "format", "text", "output format: text or json")
	cmd.PersistentFlags().StringVar(&f.deadlines, "mla-deadlines", "", "YAML file of deadlines per agreement (answer, execute, validity as durations such as 240h)")
	cmd.PersistentFlags().StringVar(&f.deadlines, "deadlines", "", "YAML file of deadlines per agreement")
	deprecateFlag(cmd.PersistentFlags(), "deadlines", "mla-deadlines")
	addDataFlag(cmd.PersistentFlags())

	var (
		to, agreement, provider, grantee string
		openScope, narrowScope           scopeFlags
		ground, requestFile, decision    string
		attach                           []string
		stateFilter, at                  string
	)

	open := &cobra.Command{
		Use:   "open CASE-ID --as AUTHORITY --to STATE --provider ID [scope flags]",
		Short: "Open a case against another state (requesting authority)",
		Example: `  accord mla open MLA-2026-0042 --as fr-bepi --to CN --agreement cn-fr-mla-2005 \
      --provider mailco-cn --grantee fr-bepi --category personal.contact,personal.communications \
      --selectors specific:3 --max-subjects 3 --subject-state CN,FR`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := openScope.scope()
			if err != nil {
				return badInput(err)
			}
			f.opening = true
			defer func() { f.opening = false }()
			return f.transition(cmd, false, func(e *mlaEnv, by model.Principal) (*mla.Case, error) {
				return e.svc.Open(cmd.Context(), by, mla.OpenSpec{ID: args[0], RequestedState: to, Agreement: agreement, Grantee: grantee, Provider: provider, Scope: sc})
			})
		},
	}
	open.Flags().StringVar(&to, "to", "", "the requested state (ISO 3166-1 alpha-2)")
	open.Flags().StringVar(&agreement, "agreement", "", "registry id of the treaty relied on (empty: reciprocity)")
	open.Flags().StringVar(&provider, "provider", "", "id of the provider holding the data, who will execute")
	open.Flags().StringVar(&grantee, "grantee", "", "id of the principal the data is for (default: --as)")
	openScope.register(open)

	simple := func(use, short, example string, move func(ctx context.Context, e *mlaEnv, id string, by model.Principal) (*mla.Case, error)) *cobra.Command {
		return &cobra.Command{
			Use: use + " CASE-ID --as AUTHORITY", Short: short, Example: example, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return f.transition(cmd, false, func(e *mlaEnv, by model.Principal) (*mla.Case, error) {
					return move(cmd.Context(), e, args[0], by)
				})
			},
		}
	}
	receive := simple("receive", "Record receipt of a case (requested state's central authority)", "  accord mla receive MLA-2026-0042 --as cn-moj",
		func(ctx context.Context, e *mlaEnv, id string, by model.Principal) (*mla.Case, error) {
			return e.svc.Receive(ctx, id, by)
		})
	accept := simple("accept", "Accept a case as requested (requested state's central authority)", "  accord mla accept MLA-2026-0042 --as cn-moj",
		func(ctx context.Context, e *mlaEnv, id string, by model.Principal) (*mla.Case, error) {
			return e.svc.Accept(ctx, id, by)
		})
	closeCmd := simple("close", "Close a case (requesting authority at any time; requested state after execution or refusal)", "  accord mla close MLA-2026-0042 --as cn-moj",
		func(ctx context.Context, e *mlaEnv, id string, by model.Principal) (*mla.Case, error) {
			return e.svc.Close(ctx, id, by)
		})

	narrow := &cobra.Command{
		Use:   "narrow CASE-ID --as AUTHORITY [scope flags]",
		Short: "Accept a case with a narrower scope (requested state's central authority)",
		Long: `narrow accepts the case for a scope no wider than requested on any bound.
The scope flags give the whole scope granted, not a difference.`,
		Example: `  accord mla narrow MLA-2026-0042 --as cn-moj --category personal.contact \
      --selectors specific:2 --max-subjects 2 --subject-state CN,FR`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := narrowScope.scope()
			if err != nil {
				return badInput(err)
			}
			return f.transition(cmd, false, func(e *mlaEnv, by model.Principal) (*mla.Case, error) {
				return e.svc.Narrow(cmd.Context(), args[0], by, sc)
			})
		},
	}
	narrowScope.register(narrow)

	refuse := &cobra.Command{
		Use:     "refuse CASE-ID --as AUTHORITY --ground CODE",
		Short:   "Refuse a case (requested state's central authority)",
		Long:    "refuse refuses the case on one of these grounds: " + strings.Join(mla.RefusalGrounds, ", ") + ".",
		Example: `  accord mla refuse MLA-2026-0042 --as cn-moj --ground dual-criminality`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.transition(cmd, false, func(e *mlaEnv, by model.Principal) (*mla.Case, error) {
				return e.svc.Refuse(cmd.Context(), args[0], by, ground)
			})
		},
	}
	refuse.Flags().StringVar(&ground, "ground", "", "refusal ground code")

	execute := &cobra.Command{
		Use:   "execute CASE-ID --as PROVIDER --request FILE",
		Short: "Record the provider's execution of an accepted case",
		Long: `execute checks the provider's request against the case: basis {kind: mla,
ref: CASE-ID}, data located in the requested state, within the scope
granted once subjects of states that are neither party nor authorizing are
excluded (they are reported in counts). The request's signed authorizations
are verified against the registry keys; a request that would return only
third-state data is refused.`,
		Example: `  accord mla execute MLA-2026-0042 --as mailco-cn --request disclose.json --registry keys --decision dec-1f2e
  accord mla execute MLA-2026-0042 --as mailco-cn --request disclose.json --attach a.dsse.json --registry keys`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if requestFile == "" {
				return errNoRequestFile
			}
			given := decision
			return f.transition(cmd, true, func(e *mlaEnv, by model.Principal) (*mla.Case, error) {
				if given != "" {
					if err := checkGivenDecision(cmd.Context(), given, args[0], by.ID); err != nil {
						return nil, err
					}
				}
				data, err := os.ReadFile(requestFile)
				if err != nil {
					return nil, badInput(locale.Errorf("read request: %v", err))
				}
				req, err := model.DecodeRequest(data, e.reg)
				if err != nil {
					return nil, badInput(locale.Errorf("%s: %v", requestFile, err))
				}
				if by.Jurisdiction == "" && req.Requester.ID == by.ID {
					// A provider is not in the registry: its state is the
					// one its request declares.
					by.Jurisdiction = req.Requester.Jurisdiction
				}
				for _, a := range attach {
					raw, err := os.ReadFile(a)
					if err != nil {
						return nil, badInput(locale.Errorf("--attach: %v", err))
					}
					env, err := authz.ParseEnvelope(raw)
					if err != nil {
						return nil, badInput(locale.Errorf("--attach %s: %v", a, err))
					}
					req.Basis.Authorizations = append(req.Basis.Authorizations, *env)
				}
				when := req.Time
				if when.IsZero() {
					when = time.Now().UTC()
				}
				authorized, _, err := authz.Evaluate(req.Basis.Authorizations, req, registryKeys{e.reg}, nil, when)
				if err != nil {
					return nil, badInput(locale.Errorf("%s: %v", requestFile, err))
				}
				if decision == "" {
					// Check the case allows this actor and scope first (on a
					// copy: nothing is stored), so that no decision is logged
					// for an execution the case refuses.
					c, err := e.svc.Get(cmd.Context(), args[0])
					if err != nil {
						return nil, err
					}
					if _, err := c.Execute(by, when, req, mla.Exclude(req, c.Parties(), authorized), "pending-decision"); err != nil {
						return nil, err
					}
					// The execution is a binding decision: evaluated, logged,
					// and carried out only if it allows.
					dec, err := mlaDecide(cmd, e, req)
					if err != nil {
						return nil, err
					}
					decision = dec.ID
				}
				return e.svc.Execute(cmd.Context(), args[0], by, req, authorized, decision)
			})
		},
	}
	execute.Flags().StringVar(&requestFile, "request", "", "the provider's request (JSON)")
	execute.Flags().StringSliceVar(&attach, "attach", nil, "signed authorization envelopes to add to the request's basis.authorizations (repeatable)")
	execute.Flags().StringVar(&decision, "decision", "", "id of an allowing binding decision the server already made for this provider and case (default: make and log one now)")
	execute.Flags().StringVar(&dbURL, "db", "", "the server's PostgreSQL URL, where --decision is looked up (default: SQLite under --data)")

	list := &cobra.Command{
		Use:     "list",
		Short:   "List cases",
		Example: "  accord mla list\n  accord mla list --state received --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := f.env(cmd.Context(), false)
			if err != nil {
				return err
			}
			cases, err := e.svc.Cases.List(cmd.Context())
			if err != nil {
				return err
			}
			var out []*mla.Case
			for _, c := range cases {
				if stateFilter == "" || string(c.State) == stateFilter {
					out = append(out, c)
				}
			}
			w := cmd.OutOrStdout()
			if f.format == "json" {
				if out == nil {
					out = []*mla.Case{}
				}
				return writeJSON(w, out)
			}
			return printCases(w, out)
		},
	}
	list.Flags().StringVar(&stateFilter, "state", "", "only cases in this state")

	overdue := &cobra.Command{
		Use:     "overdue",
		Short:   "List cases past their deadline",
		Example: "  accord mla overdue\n  accord mla overdue --at 2026-12-31T00:00:00Z --format json --mla-deadlines deadlines.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := f.env(cmd.Context(), false)
			if err != nil {
				return err
			}
			now := time.Now().UTC()
			if at != "" {
				if now, err = time.Parse(time.RFC3339, at); err != nil {
					return badInput(locale.Errorf("--at: %q is not an RFC 3339 time", at))
				}
			}
			got, err := e.svc.Overdue(cmd.Context(), now)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if f.format == "json" {
				if got == nil {
					got = []mla.OverdueCase{}
				}
				return writeJSON(w, got)
			}
			if len(got) == 0 {
				p := cliPrinter()
				fmt.Fprintln(w, p.Sprintf("no case is overdue at %s", p.DateTime(now)))
				return nil
			}
			return printOverdue(w, got)
		},
	}
	overdue.Flags().StringVar(&at, "at", "", "list what is overdue at this RFC 3339 time instead of now")

	show := &cobra.Command{
		Use:     "show CASE-ID",
		Short:   "Show a case and its history",
		Example: "  accord mla show MLA-2026-0042\n  accord mla show MLA-2026-0042 --format json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := f.env(cmd.Context(), false)
			if err != nil {
				return err
			}
			c, err := e.svc.Get(cmd.Context(), args[0])
			if err != nil {
				return mlaError(locale.Errorf("case %s: %v", args[0], err))
			}
			return f.printCase(cmd.OutOrStdout(), c, true)
		},
	}

	authorization := &cobra.Command{
		Use:   "authorization CASE-ID",
		Short: "Print the authorization statement an accepted case yields (unsigned)",
		Long: `authorization prints, as JSON, the authorization statement of an accepted or
narrowed case: issued by the central authority that answered, for the
grantee, with the scope granted. The authority signs it with
accord authz sign; the provider's request carries the signed envelope.`,
		Example: `  accord mla authorization MLA-2026-0042 > a.json
  accord authz sign a.json --key cn-moj.key > a.dsse.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := f.env(cmd.Context(), false)
			if err != nil {
				return err
			}
			c, err := e.svc.Get(cmd.Context(), args[0])
			if err != nil {
				return mlaError(locale.Errorf("case %s: %v", args[0], err))
			}
			st, err := c.Authorization()
			if err != nil {
				return mlaError(err)
			}
			return writeJSON(cmd.OutOrStdout(), st)
		},
	}

	cmd.AddCommand(open, receive, accept, narrow, refuse, execute, closeCmd, list, overdue, show, authorization)
	remoteMLA(cmd) // --server: the same steps through a server's API (client_mla.go)
	return cmd
}

func init() { rootCmd.AddCommand(newMLACmd()) }

// transition resolves the actor, opens the log, runs move and prints the
// case.
func (f *mlaFlags) transition(cmd *cobra.Command, company bool, move func(*mlaEnv, model.Principal) (*mla.Case, error)) error {
	e, err := f.env(cmd.Context(), true)
	if err != nil {
		return err
	}
	defer e.close()
	by, err := f.actor(e.reg, company)
	if err != nil {
		return err
	}
	c, err := move(e, by)
	if err != nil {
		var ec *exitCodeError
		if errors.As(err, &ec) {
			return err
		}
		return mlaError(err)
	}
	return f.printCase(cmd.OutOrStdout(), c, false)
}

// printCase prints a case: the last step (or, with history, every step).
func (f *mlaFlags) printCase(w io.Writer, c *mla.Case, history bool) error {
	if f.format == "json" {
		return writeJSON(w, c)
	}
	p := cliPrinter()
	steps := c.History
	if !history && len(steps) > 0 {
		steps = steps[len(steps)-1:]
	}
	if history {
		fmt.Fprintln(w, p.Sprintf("case %[1]s: %[2]s → %[3]s (%[4]s), agreement %[5]s, provider %[6]s, grantee %[7]s", c.ID, c.RequestingState, c.RequestedState, c.State, dash(c.Agreement), c.Provider, c.Grantee))
	}
	for _, s := range steps {
		idx := p.Sprintf("not yet logged")
		if s.LogIndex != nil {
			idx = p.Sprintf("log index %s", strconv.FormatUint(*s.LogIndex, 10))
		}
		from := string(s.From)
		if from == "" {
			from = "-"
		}
		fmt.Fprintln(w, p.Sprintf("case %[1]s: %[2]s → %[3]s by %[4]s (%[5]s) at %[6]s, %[7]s", c.ID, from, s.To, s.By, dash(s.ByState), p.DateTime(s.At), idx))
	}
	switch {
	case c.State == mla.Opened && !history:
		fmt.Fprintln(w, "  "+p.Sprintf("answer due by %s", p.DateTime(c.AnswerBy)))
	case (c.State == mla.Accepted || c.State == mla.Narrowed) && c.Granted != nil:
		fmt.Fprintln(w, "  "+p.Sprintf("granted: %[1]s; execute by %[2]s; authorization valid until %[3]s", scopeText(p, c.Granted), p.DateTime(c.ExecuteBy), p.DateTime(c.ValidTo)))
	case c.State == mla.Refused:
		fmt.Fprintln(w, "  "+p.Sprintf("ground: %s", c.RefusalGround))
	}
	if x := c.Execution; x != nil && (history || c.State == mla.Executed) {
		fmt.Fprintln(w, "  "+p.Sprintf("executed: subjects %[1]s, %[2]d records", countsText(p, x.Subjects), x.Records))
		for _, ex := range x.Excluded {
			fmt.Fprintln(w, "  "+p.Sprintf("excluded: %[1]d subjects of %[2]s (%[3]s)", ex.Subjects, ex.State, ex.Reason))
		}
	}
	return nil
}

// printCases writes cases as a table, one a line.
func printCases(w io.Writer, cases []*mla.Case) error {
	p := cliPrinter()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join([]string{p.Sprintf("CASE"), p.Sprintf("STATE"), p.Sprintf("FROM"), p.Sprintf("TO"),
		p.Sprintf("AGREEMENT"), p.Sprintf("OPENED"), p.Sprintf("ANSWER BY")}, "\t"))
	for _, c := range cases {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.State, c.RequestingState, c.RequestedState, dash(c.Agreement), c.OpenedAt.Format(time.RFC3339), c.AnswerBy.Format(time.RFC3339))
	}
	return tw.Flush()
}

// printOverdue writes the cases past a deadline as a table, with how
// late each is in words.
func printOverdue(w io.Writer, overdue []mla.OverdueCase) error {
	p := cliPrinter()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join([]string{p.Sprintf("CASE"), p.Sprintf("STATE"), p.Sprintf("DEADLINE"), p.Sprintf("DUE"),
		p.Sprintf("LATE"), p.Sprintf("WAITING ON")}, "\t"))
	for _, o := range overdue {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Case, o.State, o.Deadline, o.Due.Format(time.RFC3339), p.Duration(o.Late), o.Waiting)
	}
	return tw.Flush()
}

// scopeText writes a scope granted for people, in p's language.
func scopeText(p *locale.Printer, sc *authz.Scope) string {
	parts := []string{p.Sprintf("purposes %s", strings.Join(sc.Purposes, ","))}
	if len(sc.Categories) > 0 {
		parts = append(parts, p.Sprintf("categories %s", strings.Join(sc.Categories, ",")))
	}
	if len(sc.Datasets) > 0 {
		parts = append(parts, p.Sprintf("datasets %s", strings.Join(sc.Datasets, ",")))
	}
	if sc.Selectors != nil {
		parts = append(parts, p.Sprintf("selectors %s:%s", sc.Selectors.Kind, strconv.FormatInt(sc.Selectors.Count, 10)))
	}
	if sc.MaxSubjects > 0 {
		if len(sc.SubjectStates) > 0 {
			parts = append(parts, p.Sprintf("max %[1]d subjects of %[2]s", sc.MaxSubjects, strings.Join(sc.SubjectStates, ",")))
		} else {
			parts = append(parts, p.Sprintf("max %d subjects", sc.MaxSubjects))
		}
	}
	if sc.MaxRecords > 0 {
		parts = append(parts, p.Sprintf("max %d records", sc.MaxRecords))
	}
	return strings.Join(parts, p.Sprintf("scope separator: ; "))
}

// countsText writes subjects per state ("CN 2, FR 1"), or that there are
// none.
func countsText(p *locale.Printer, m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" "+p.Number(m[k]))
	}
	if len(parts) == 0 {
		return p.Sprintf("no subjects: none")
	}
	return strings.Join(parts, ", ")
}

// errNoRequestFile is accord mla execute without --request, here or
// against a server.
var errNoRequestFile = badInput(locale.Errorf("--request: give the provider's request file"))

// notExecuted is the error of an execution its binding decision did not
// allow: exit code 3 or 4 carry it.
func notExecuted(id string, outcome model.Outcome) error {
	switch outcome {
	case model.Deny:
		return locale.Errorf("not executed: the binding decision %s is deny", id)
	case model.Pending:
		return locale.Errorf("not executed: the binding decision %s is pending", id)
	case model.Allow:
		return locale.Errorf("not executed: the binding decision %s is allow", id)
	}
	return locale.Errorf("not executed: the binding decision %s is %s", id, outcome)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mlaDecide makes the binding decision an execution runs under: the packs
// (auto), the attached authorizations verified against the registry, and
// third-state exclusion, appended to the same log as the case. Anything but
// allow stops the execution, with the decision printed and exit 3 or 4.
func mlaDecide(cmd *cobra.Command, e *mlaEnv, req *model.Request) (model.Decision, error) {
	eng, names, err := compilePacks(e.reg, "auto")
	if err != nil {
		return model.Decision{}, err
	}
	d := decide.New(eng, append(decideOptions(e.reg, names), decide.WithLog(e.log))...)
	dec, err := d.Decide(cmd.Context(), req)
	if err != nil {
		if errors.Is(err, decide.ErrBadInput) {
			return model.Decision{}, badInput(err)
		}
		return model.Decision{}, locale.Errorf("binding decision: %v", err)
	}
	if mlaFormat(cmd) != "json" {
		// For programs (--format json) only the case is printed; the
		// decision is in the log, at the index the case records.
		p := cliPrinter()
		renderDecision(cmd.OutOrStdout(), p, p.Sprintf("decision %s", dec.ID), &dec)
	}
	if dec.Outcome != model.Allow {
		return model.Decision{}, &exitCodeError{code: outcomeCode(dec.Outcome), err: notExecuted(dec.ID, dec.Outcome)}
	}
	return dec, nil
}

// mlaFormat reads the --format flag of an mla command.
func mlaFormat(cmd *cobra.Command) string {
	f, _ := cmd.Flags().GetString("format")
	return f
}
