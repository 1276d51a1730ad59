package storetest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

// ListingSizes are the numbers of decisions BenchListDecisions lists
// among: a filtered page must cost about the same at each. Set
// ACCORD_BENCH_LISTING_MAX to stop at a smaller size (a quick run).
var ListingSizes = []int{10_000, 1_000_000}

// listingSizes returns ListingSizes up to ACCORD_BENCH_LISTING_MAX.
func listingSizes() []int {
	limit, err := strconv.Atoi(os.Getenv("ACCORD_BENCH_LISTING_MAX"))
	if err != nil || limit <= 0 {
		return ListingSizes
	}
	var out []int
	for _, n := range ListingSizes {
		if n <= limit {
			out = append(out, n)
		}
	}
	return out
}

// ListingFill adds the synthetic decisions numbered [from, to) to a
// store, with their summaries and facets, in bulk (SQL), as
// ListingFillSQL describes them.
type ListingFill func(ctx context.Context, from, to int) error

// listingBase is the time of synthetic decision 0; decision i is i
// seconds later, so the highest numbers are the newest.
var listingBase = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// ListingBase returns listingBase, for drivers' fill SQL.
func ListingBase() time.Time { return listingBase }

// listingStates are the 20 state codes synthetic decisions use; code k
// is substr(listingCodes, 1 + 2*(k % 20), 2) in SQL.
const listingCodes = "FRDEBEITESNLPLSEATDKFIIEPTGRCZHUROUSCNGB"

// ListingFillSQL returns the statements that add synthetic decision i
// for every i of the rows source (a FROM item with one integer column i),
// where created is the SQL of decision i's time column. Decision i:
//
//	log index 1000000000+i, id syn-i, principal p(i%40),
//	outcome allow/deny/pending by i%3, action by i%7, purpose by i%6,
//	requesting state code i, location code i/20, subject state code i/7,
//	pack pack(i%4), rule rule-(i%50),
//	pending on (pending ones) state code i/3, or measure scc when i%9==8.
//
// Both SQLite and PostgreSQL run them as they are ('||' on integers,
// integer division, substr, CASE).
func ListingFillSQL(rows, created string) []string {
	code := func(k string) string { return fmt.Sprintf("substr('%s', 1 + 2 * ((%s) %% 20), 2)", listingCodes, k) }
	outcome := "CASE i % 3 WHEN 0 THEN 'allow' WHEN 1 THEN 'deny' ELSE 'pending' END"
	action := "CASE i % 7 WHEN 0 THEN 'access' WHEN 1 THEN 'transfer' WHEN 2 THEN 'disclose' WHEN 3 THEN 'collect' WHEN 4 THEN 'modify' WHEN 5 THEN 'delete' ELSE 'localize' END"
	purpose := "CASE i % 6 WHEN 0 THEN 'commercial' WHEN 1 THEN 'research' WHEN 2 THEN 'law-enforcement' WHEN 3 THEN 'national-security' WHEN 4 THEN 'maintenance' ELSE 'repatriation' END"
	pendingOn := fmt.Sprintf("CASE WHEN i %% 9 = 8 THEN 'scc' ELSE %s END", code("i / 3"))
	pendingStates := fmt.Sprintf("CASE WHEN i %% 3 = 2 AND i %% 9 <> 8 THEN '\"' || %s || '\"' ELSE '' END", code("i / 3"))
	pendingMeasures := "CASE WHEN i % 9 = 8 THEN '\"scc\"' ELSE '' END"
	summary := strings.Join([]string{
		`'{"id":"syn-' || i || '","time":"2025-01-01T00:00:00Z","log_index":' || (1000000000 + i) || ',"outcome":"' || ` + outcome,
		`'","action":"' || ` + action + ` || '","purpose":"' || ` + purpose,
		`'","requesting_state":"' || ` + code("i") + ` || '","location":"' || ` + code("i / 20"),
		`'","origin":["' || ` + code("i / 20") + ` || '"],"subject_states":["' || ` + code("i / 7"),
		`'"],"packs":["pack' || (i % 4) || '"],"rules":["rule-' || (i % 50) || '"],"pending_on":{"states":[' || ` + pendingStates,
		`'],"measures":[' || ` + pendingMeasures + ` || ']},"binding":true}'`,
	}, " || ")
	out := []string{fmt.Sprintf(`INSERT INTO decisions(id, log_index, principal_id, outcome, private, salt, created, summary)
		SELECT 'syn-' || i, 1000000000 + i, 'p' || (i %% 40), %s, %s, %s, %s, %s FROM %s`,
		outcome, "''", "''", created, summary, rows)}
	facet := func(name, value, where string) string {
		if where == "" {
			where = "true" // SQLite needs a WHERE before ON CONFLICT after a SELECT
		}
		where = " WHERE " + where
		return fmt.Sprintf(`INSERT INTO decision_facets(log_index, facet, value, created)
			SELECT 1000000000 + i, '%s', %s, %s FROM %s%s ON CONFLICT DO NOTHING`, name, value, created, rows, where)
	}
	out = append(out,
		facet(store.FacetOutcome, outcome, ""),
		facet(store.FacetAction, action, ""),
		facet(store.FacetPurpose, purpose, ""),
		facet(store.FacetRequestingState, code("i"), ""),
		facet(store.FacetLocation, code("i / 20"), ""),
		facet(store.FacetSubjectState, code("i / 7"), ""),
		facet(store.FacetPack, "'pack' || (i % 4)", ""),
		facet(store.FacetRule, "'rule-' || (i % 50)", ""),
		facet(store.FacetPendingOn, pendingOn, "i % 3 = 2"),
		facet(store.FacetPrincipal, "'p' || (i % 40)", ""),
		facet(store.FacetState, code("i"), ""),
		facet(store.FacetState, code("i / 20"), ""),
		facet(store.FacetState, code("i / 7"), ""),
	)
	return out
}

// listingCases are the pages BenchListDecisions reads: one per filter,
// both role scopes, a time window, a combination and a deep page.
func listingCases() []struct {
	name string
	q    store.DecisionQuery
} {
	window := store.DecisionQuery{Since: listingBase.Add(4000 * time.Second), Until: listingBase.Add(9000 * time.Second)}
	deep := store.DecisionQuery{After: &store.DecisionCursor{Time: listingBase.Add(5000 * time.Second), LogIndex: 1000005000}}
	return []struct {
		name string
		q    store.DecisionQuery
	}{
		{"none", store.DecisionQuery{}},
		{"outcome", store.DecisionQuery{Outcome: "deny"}},
		{"pack", store.DecisionQuery{Pack: "pack2"}},
		{"rule", store.DecisionQuery{Rule: "rule-17"}},
		{"requesting_state", store.DecisionQuery{RequestingState: "DE"}},
		{"location", store.DecisionQuery{Location: "FR"}},
		{"subject_state", store.DecisionQuery{SubjectState: "IT"}},
		{"action", store.DecisionQuery{Action: "transfer"}},
		{"purpose", store.DecisionQuery{Purpose: "research"}},
		{"pending_on_state", store.DecisionQuery{PendingOn: "FR"}},
		{"pending_on_measure", store.DecisionQuery{PendingOn: "scc"}},
		{"since_until", window},
		{"requester_scope", store.DecisionQuery{Principal: "p17"}},
		{"authority_scope", store.DecisionQuery{State: "FR"}},
		{"authority_scope_outcome", store.DecisionQuery{State: "FR", Outcome: "pending"}},
		{"deep_page", deep},
	}
}

// BenchListDecisions reads one page of 100 summaries for each of
// listingCases among each of ListingSizes synthetic decisions (fill adds
// them), so that the ratio of the two sizes shows whether a filtered
// page stays bounded. Every page must be full.
func BenchListDecisions(b *testing.B, s store.Store, fill ListingFill) {
	ctx := context.Background()
	have := 0
	for _, n := range listingSizes() {
		if n > have {
			start := time.Now()
			if err := fill(ctx, have, n); err != nil {
				b.Fatalf("fill %d..%d: %v", have, n, err)
			}
			b.Logf("filled %d..%d in %s", have, n, time.Since(start).Round(time.Millisecond))
			have = n
		}
		for _, c := range listingCases() {
			b.Run(fmt.Sprintf("decisions=%d/filter=%s", n, c.name), func(b *testing.B) {
				b.ReportAllocs()
				q := c.q
				q.Limit = 100
				for b.Loop() {
					page, err := s.ListDecisions(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					if len(page) != 100 {
						b.Fatalf("page of %d, want 100", len(page))
					}
				}
			})
		}
	}
}
