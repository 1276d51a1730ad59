package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/policy"
)

// Dynamic shell completion (accord completion bash|zsh|fish|powershell
// writes the script): pack names for --packs, MLA case ids (local, or from
// the server with --server), dataset ids from the server's catalog, and
// principal and token ids from the data directory's database. A completion
// that cannot reach its source offers nothing rather than failing.

var wireCompletionsOnce sync.Once

// wireCompletions attaches the completion functions to the command tree.
// run calls it, so the functions exist whenever a shell asks.
func wireCompletions(root *cobra.Command) {
	wireCompletionsOnce.Do(func() {
		for _, path := range [][]string{{"check"}, {"serve"}} {
			if c := findCommand(root, path...); c != nil {
				_ = c.RegisterFlagCompletionFunc("packs", completePacks)
			}
		}
		if mlaCmd := findCommand(root, "mla"); mlaCmd != nil {
			for _, c := range mlaCmd.Commands() {
				if strings.Contains(c.Use, "CASE-ID") {
					c.ValidArgsFunction = firstArg(completeCases)
				}
				if c.Flags().Lookup("dataset") != nil {
					_ = c.RegisterFlagCompletionFunc("dataset", completeDatasets)
				}
			}
		}
		if c := findCommand(root, "datasets", "get"); c != nil {
			c.ValidArgsFunction = firstArg(completeDatasets)
		}
		for _, path := range [][]string{{"token", "create"}, {"token", "list"}} {
			if c := findCommand(root, path...); c != nil {
				_ = c.RegisterFlagCompletionFunc("principal", completePrincipals)
			}
		}
		if c := findCommand(root, "token", "revoke"); c != nil {
			c.ValidArgsFunction = completeTokens
		}
	})
}

// findCommand returns the command at path under root, or nil.
func findCommand(root *cobra.Command, path ...string) *cobra.Command {
	c, rest, err := root.Find(path)
	if err != nil || len(rest) > 0 || c == root {
		return nil
	}
	return c
}

// completer is the signature of cobra's completion functions.
type completer = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)

// firstArg completes only the first positional argument.
func firstArg(f completer) completer {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f(cmd, args, toComplete)
	}
}

// completionContext bounds the time a completion may take.
func completionContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 3*time.Second)
}

// completePacks offers "auto" and the bundled packs' names, after any
// names already given (--packs gdsi,<TAB>).
func completePacks(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	prefix := ""
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		prefix = toComplete[:i+1]
	}
	fsys := policy.Embedded()
	all, err := fs.Glob(fsys, "packs/*.yaml")
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	packs, err := policy.Load(fsys, policy.PackFiles(all)...)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	if prefix == "" {
		out = append(out, "auto\tevery pack that applies")
	}
	given := map[string]bool{}
	for _, g := range strings.Split(prefix, ",") {
		given[g] = true
	}
	for _, p := range packs {
		if !given[p.Name] {
			out = append(out, prefix+p.Name+"\t"+p.Title)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// remoteClient returns a client when the command was given --server (or,
// for commands other than mla, ACCORD_SERVER is set), else nil.
func remoteClient(cmd *cobra.Command) *apiClient {
	o := clientOptions{timeout: 3 * time.Second}
	o.server, _ = cmd.Flags().GetString("server")
	o.token, _ = cmd.Flags().GetString("token")
	if o.server == "" && !strings.HasPrefix(cmd.CommandPath(), "accord mla") {
		o.server = o.serverURL()
	}
	if o.server == "" {
		return nil
	}
	c, err := o.client()
	if err != nil {
		return nil
	}
	return c
}

// completeCases offers case ids: the server's with --server, else those
// under --data.
func completeCases(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel := completionContext()
	defer cancel()
	var cases []*mla.Case
	if c := remoteClient(cmd); c != nil {
		data, _, err := c.call(ctx, http.MethodGet, "/v1/mla", nil, false)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var list struct {
			Cases []*mla.Case `json:"cases"`
		}
		if json.Unmarshal(data, &list) != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cases = list.Cases
	} else {
		var err error
		if cases, err = (mla.DirCases{Dir: filepath.Join(dataDir, "mla", "cases")}).List(ctx); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
	}
	out := make([]string, 0, len(cases))
	for _, c := range cases {
		out = append(out, c.ID+"\t"+string(c.State)+", "+c.RequestingState+" → "+c.RequestedState)
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeDatasets offers the ids of the server's catalog.
func completeDatasets(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	c := remoteClient(cmd)
	if c == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := completionContext()
	defer cancel()
	data, _, err := c.call(ctx, http.MethodGet, "/v1/datasets", nil, false)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var page struct {
		Datasets []struct {
			ID       string `json:"id"`
			Location string `json:"location"`
		} `json:"datasets"`
	}
	if json.Unmarshal(data, &page) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out := make([]string, 0, len(page.Datasets))
	for _, d := range page.Datasets {
		out = append(out, d.ID+"\tlocated in "+d.Location)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completePrincipals offers the principals registered in the database of
// --data (or --db).
func completePrincipals(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel := completionContext()
	defer cancel()
	st, done, err := openTokenStore(ctx, false)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer done()
	ps, err := st.ListPrincipals(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ID+"\t"+string(p.Kind)+", "+p.Jurisdiction)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeTokens offers the ids of tokens not yet revoked.
func completeTokens(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel := completionContext()
	defer cancel()
	st, done, err := openTokenStore(ctx, false)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer done()
	toks, err := st.ListTokens(ctx, "")
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	given := map[string]bool{}
	for _, a := range args {
		given[a] = true
	}
	var out []string
	for _, t := range toks {
		if t.Revoked.IsZero() && !given[t.ID] {
			out = append(out, t.ID+"\t"+t.PrincipalID+", "+t.Role)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
