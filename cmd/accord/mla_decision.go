package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// checkGivenDecision checks the decision `accord mla execute --decision`
// names: it must be a binding decision recorded in the server's database
// (--db, else DIR/accord.db), allowing, made for the provider that
// executes (--as), on a request with basis {kind: mla, ref: the case}.
// Anything else is refused with exit code 2 naming the flag: an execution
// recorded under a decision that does not exist, or that allowed something
// else, would be unaccountable.
func checkGivenDecision(ctx context.Context, id, caseID, provider string) error {
	if dbURL == "" {
		if _, err := os.Stat(filepath.Join(dataDir, dbFileName)); errors.Is(err, os.ErrNotExist) {
			return badInput(locale.Errorf("--decision %s: there is no database under %s to find it in (give the server's --db, or omit --decision to make and log the decision now)", id, dataDir))
		}
	}
	st, _, err := openStore(ctx)
	if err != nil {
		return locale.Errorf("--decision: open database: %v", err)
	}
	defer st.Close()
	rec, err := st.Decision(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return badInput(locale.Errorf("--decision %s: no binding decision has this id (omit --decision to make and log one now)", id))
	}
	if err != nil {
		return locale.Errorf("--decision %s: %v", id, err)
	}
	if rec.Outcome != model.Allow {
		return badInput(locale.Errorf("--decision %s: the decision is %s; only an allowing decision can be executed", id, rec.Outcome))
	}
	if rec.Principal != provider {
		return badInput(locale.Errorf("--decision %s: the decision was made for %s, not for the provider %s (--as)", id, rec.Principal, provider))
	}
	var private struct {
		Request *model.Request `json:"request"`
	}
	if err := json.Unmarshal(rec.Private, &private); err != nil || private.Request == nil {
		return locale.Errorf("--decision %s: its stored record does not decode: %v", id, err)
	}
	if b := private.Request.Basis; b.Kind != "mla" || b.Ref != caseID {
		return badInput(locale.Errorf("--decision %s: the decision's basis is %s %q, not mla %q", id, dash(b.Kind), b.Ref, caseID))
	}
	return nil
}
