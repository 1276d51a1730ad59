package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

// TestMLAExecuteDecision: accord mla execute --decision must name an
// allowing binding decision the server recorded for this provider and
// case; anything else is exit 2 naming the flag, and the case does not
// move.
func TestMLAExecuteDecision(t *testing.T) {
	dir := newWorld(t)
	ctx := context.Background()
	request := func(ref string) *model.Request {
		return &model.Request{Action: "disclose", Basis: model.Basis{Kind: "mla", Ref: ref}}
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range []struct {
		id, principal string
		outcome       model.Outcome
		req           *model.Request
	}{
		{"dec-00000000000000a1", "mailco-cn", model.Allow, request("MLA-2026-0042")},
		{"dec-00000000000000d1", "mailco-cn", model.Deny, request("MLA-2026-0042")},
		{"dec-00000000000000b1", "otherco", model.Allow, request("MLA-2026-0042")},
		{"dec-00000000000000c1", "mailco-cn", model.Allow, request("MLA-2026-0099")},
	} {
		private, _ := json.Marshal(map[string]any{"request": d.req, "decision": model.Decision{Outcome: d.outcome}})
		if err := st.RecordDecision(ctx, store.DecisionRecord{ID: d.id, LogIndex: uint64(100 + i), Principal: d.principal, Outcome: d.outcome, Private: private, Salt: make([]byte, 16), Created: time.Now()}, nil); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	for _, args := range [][]string{
		{"mla", "open", "MLA-2026-0042", "--as", "fr-bepi", "--to", "CN", "--agreement", "cn-fr-mla-2005", "--provider", "mailco-cn",
			"--purpose", "law-enforcement", "--category", "personal.contact", "--selectors", "specific:3", "--max-subjects", "3", "--subject-state", "CN,FR"},
		{"mla", "receive", "MLA-2026-0042", "--as", "cn-moj"},
		{"mla", "accept", "MLA-2026-0042", "--as", "cn-moj"},
	} {
		if out, code := runAccord(t, append(args, "--data", dir)...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, out)
		}
	}
	reqFile := filepath.Join(t.TempDir(), "within.json")
	os.WriteFile(reqFile, []byte(`{"action":"disclose","requester":{"id":"mailco-cn","kind":"company","jurisdiction":"CN"},
		"on_behalf_of":{"id":"fr-bepi","kind":"state-authority","role":"central-authority","jurisdiction":"FR"},
		"data":{"location":"CN","categories":["personal.contact"],"subjects":{"CN":2},"records":12},
		"destination":"FR","purpose":"law-enforcement","selectors":{"kind":"specific","count":2},
		"basis":{"kind":"mla","ref":"MLA-2026-0042","agreement":"cn-fr-mla-2005"}}`), 0o644)
	execute := func(data, decision string) (string, int) {
		return runAccord(t, "mla", "execute", "MLA-2026-0042", "--data", data, "--as", "mailco-cn", "--request", reqFile, "--decision", decision)
	}
	for _, c := range []struct{ name, id, want string }{
		{"unknown", "dec-ffffffffffffffff", "--decision dec-ffffffffffffffff: no binding decision has this id"},
		{"denying", "dec-00000000000000d1", "the decision is deny"},
		{"another principal's", "dec-00000000000000b1", "made for otherco, not for the provider mailco-cn"},
		{"another case's", "dec-00000000000000c1", `not mla "MLA-2026-0042"`},
	} {
		out, code := execute(dir, c.id)
		if code != exitBadInput || !strings.Contains(out, c.want) {
			t.Errorf("%s decision: exit %d %q, want 2 saying %q", c.name, code, out, c.want)
		}
	}
	out, code := execute(dir, "dec-00000000000000a1")
	if code != exitOK || !strings.Contains(out, "executed by mailco-cn") {
		t.Fatalf("the right decision: exit %d: %s", code, out)
	}
	out, _ = runAccord(t, "mla", "show", "MLA-2026-0042", "--data", dir, "--format", "json")
	if !strings.Contains(out, `"decision": "dec-00000000000000a1"`) {
		t.Errorf("the execution does not carry its decision: %s", out)
	}

	// A data directory without the server's database has no decision to
	// name.
	cli := t.TempDir()
	if out, code := runAccord(t, "mla", "open", "MLA-2026-0042", "--data", cli, "--as", "fr-bepi", "--to", "CN", "--agreement", "cn-fr-mla-2005", "--provider", "mailco-cn", "--purpose", "law-enforcement"); code != exitOK {
		t.Fatalf("open: %s", out)
	}
	if out, code := execute(cli, "dec-00000000000000a1"); code != exitBadInput || !strings.Contains(out, "--decision dec-00000000000000a1: there is no database under") {
		t.Errorf("no database: exit %d %q", code, out)
	}
}
