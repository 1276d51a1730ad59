// Command http measures the same gdsi decision over HTTP on loopback against
// `accord serve` (POST /v1/check, and POST /v1/decisions for reference) and
// an OPA server (`opa run --server`) loaded with bench/rego/gdsi.rego (POST
// /v1/data/accord/gdsi/result), with the same load generator and the same
// concurrency. run.sh starts both servers, runs this and stops them.
//
//	go run ./http -write-data DIR      # writes DIR/accord_data.rego for OPA
//	go run ./http -accord http://127.0.0.1:8701 -token accord_… \
//	    -opa http://127.0.0.1:8181 -clients 64,8 -duration 10s
//
// Before measuring, it sends the request once to each server and stops
// unless both give the same gdsi outcome and the same set of gdsi rule ids.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/http:", err)
		os.Exit(1)
	}
}

// scenarios are the requests sent to accord serve, by name. The requester
// comes from the token (the demo's acme, a French company).
//   - local: the allowed access of bench/load's cheapest mix (data in the requester's
//     own state); no gdsi rule fires.
//   - foreign: the same access to data located in Germany; allowed, with
//     gdsi-1-evidence and gdsi-4-local-law firing (obligations).
var scenarios = map[string]string{
	"local":   `{"action":"access","data":{"location":"FR","origin":["FR"],"categories":["personal.contact"],"subjects":{"FR":3},"records":3},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`,
	"foreign": `{"action":"access","data":{"location":"DE","origin":["DE"],"categories":["personal.contact"],"subjects":{"DE":3},"records":3},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`,
}

// demoRequester is the principal behind the demo requester token, as
// accord serve --demo registers it (cmd/accord/serve.go); OPA needs it in
// the input since it has no credentials to read it from.
var demoRequester = map[string]any{"id": "acme", "name": "Acme SAS (demo)", "kind": "company", "role": "processor", "jurisdiction": "FR"}

// opaBody builds OPA's data API body: {"input": the same request as
// accord evaluates it (requester filled in, time set), no authorizations,
// no history — the accord store is empty for dry runs}.
func opaBody(accordBody string, at time.Time) ([]byte, error) {
	var in map[string]any
	if err := json.Unmarshal([]byte(accordBody), &in); err != nil {
		return nil, fmt.Errorf("opa body: %w", err)
	}
	in["requester"] = demoRequester
	in["time"] = at.UTC().Format(time.RFC3339Nano)
	in["authorized"] = []string{}
	return json.Marshal(map[string]any{"input": in})
}

// target is one server endpoint under load.
type target struct {
	name     string
	scenario string
	url      string
	body     []byte
	header   http.Header
	okCode   int
}

// Report is what one run measured.
type Report struct {
	Target    string        `json:"target"`
	Scenario  string        `json:"scenario"`
	Clients   int           `json:"clients"`
	Duration  time.Duration `json:"duration_ns"`
	OK        int           `json:"ok"`
	PerSecond float64       `json:"decisions_per_second"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	Max       time.Duration `json:"max_ns"`
	Failed    int           `json:"failed"`
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench/http", flag.ContinueOnError)
	writeData := fs.String("write-data", "", "write DIR/accord_data.rego (registry agreements and gdsi parameters for OPA) and exit")
	accordURL := fs.String("accord", "", "base URL of accord serve (loopback)")
	token := fs.String("token", os.Getenv("ACCORD_TOKEN_REQUESTER"), "requester token (or $ACCORD_TOKEN_REQUESTER)")
	opaURL := fs.String("opa", "", "base URL of the OPA server (loopback)")
	clientList := fs.String("clients", "64,8", "comma-separated concurrency levels")
	duration := fs.Duration("duration", 10*time.Second, "measured sending time per run")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured sending time before each run")
	maxReq := fs.Int("max", 5_000_000, "at most this many requests per run (bound)")
	scenarioList := fs.String("scenarios", "local,foreign", "comma-separated request scenarios (local, foreign); /v1/decisions uses the first")
	decisions := fs.Bool("decisions", true, "also measure accord POST /v1/decisions (logged) after the dry runs")
	asJSON := fs.String("json", "", "also write the reports as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *writeData != "" {
		return writeRegoData(*writeData)
	}
	if *accordURL == "" || *opaURL == "" || *token == "" {
		return errors.New("-accord, -opa and -token are required")
	}
	for _, u := range []string{*accordURL, *opaURL} {
		if err := loopback(u); err != nil {
			return err
		}
	}
	var levels []int
	for _, s := range strings.Split(*clientList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("-clients: %q is not a number between 1 and 1024", s)
		}
		levels = append(levels, n)
	}
	if *duration <= 0 || *duration > 10*time.Minute || *warmup < 0 || *warmup > time.Minute || *maxReq < 1 {
		return errors.New("-duration must be in (0, 10m], -warmup in [0, 1m], -max at least 1")
	}
	deny, err := gdsiDenyIDs()
	if err != nil {
		return err
	}
	hdr := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + *token}}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 2048, MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 1024, DisableCompression: true}}
	var reps []Report
	var first string
	for _, sc := range strings.Split(*scenarioList, ",") {
		sc = strings.TrimSpace(sc)
		body, ok := scenarios[sc]
		if !ok {
			return fmt.Errorf("-scenarios: unknown scenario %q (want local or foreign)", sc)
		}
		if first == "" {
			first = sc
		}
		ob, err := opaBody(body, time.Now())
		if err != nil {
			return err
		}
		check := target{name: "accord /v1/check (dry run)", scenario: sc, url: *accordURL + "/v1/check", body: []byte(body), header: hdr, okCode: http.StatusOK}
		opa := target{name: "OPA /v1/data/accord/gdsi/result", scenario: sc, url: *opaURL + "/v1/data/accord/gdsi/result", body: ob,
			header: http.Header{"Content-Type": {"application/json"}}, okCode: http.StatusOK}
		outcome, rules, err := agree(hc, check, opa, deny)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc, err)
		}
		fmt.Fprintf(out, "scenario %s: accord and OPA agree: gdsi %s, rules %v\n", sc, outcome, rules)
		for _, n := range levels {
			for _, t := range []target{check, opa} {
				r, err := measure(hc, t, n, *warmup, *duration, *maxReq)
				if err != nil {
					return err
				}
				reps = append(reps, r)
				printRow(out, r)
			}
		}
	}
	if *decisions {
		dec := target{name: "accord /v1/decisions (logged)", scenario: first, url: *accordURL + "/v1/decisions", body: []byte(scenarios[first]), header: hdr, okCode: http.StatusCreated}
		for _, n := range levels {
			r, err := measure(hc, dec, n, *warmup, *duration, *maxReq)
			if err != nil {
				return err
			}
			reps = append(reps, r)
			printRow(out, r)
		}
	}
	if *asJSON != "" {
		b, err := json.MarshalIndent(reps, "", "  ")
		if err != nil {
			return fmt.Errorf("reports: %w", err)
		}
		if err := os.WriteFile(*asJSON, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", *asJSON, err)
		}
	}
	return nil
}

func printRow(out io.Writer, r Report) {
	fmt.Fprintf(out, "| %s | %s | %d | %.0f | %s | %s | %d |\n", r.Target, r.Scenario, r.Clients, r.PerSecond,
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.OK)
}

// loopback rejects a URL whose host is not a loopback IP address.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: %w", raw, err)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("url %q: host must be a loopback IP address", raw)
	}
	return nil
}

// send posts t once and returns the answer body.
func send(ctx context.Context, hc *http.Client, t target) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(t.body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name, err)
	}
	req.Header = t.header.Clone()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: read answer: %w", t.name, err)
	}
	if resp.StatusCode != t.okCode {
		return nil, fmt.Errorf("%s: status %d, want %d: %.300s", t.name, resp.StatusCode, t.okCode, b)
	}
	return b, nil
}

// agree sends the request once to each server and fails unless accord's
// gdsi outcome and gdsi rule ids equal OPA's.
func agree(hc *http.Client, acc, opa target, deny map[string]bool) (model.Outcome, []string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ab, err := send(ctx, hc, acc)
	if err != nil {
		return "", nil, err
	}
	var d model.Decision
	if err := json.Unmarshal(ab, &d); err != nil {
		return "", nil, fmt.Errorf("accord answer: %w", err)
	}
	var accOutcome model.Outcome
	for _, p := range d.Packs {
		if p.Pack == "gdsi" {
			accOutcome = p.Outcome
		}
	}
	if accOutcome == "" {
		return "", nil, fmt.Errorf("accord answer: no gdsi pack outcome in %.300s", ab)
	}
	var accRules []string
	for _, r := range d.Reasons {
		if r.Pack == "gdsi" {
			accRules = append(accRules, r.Rule)
		}
	}
	ob, err := send(ctx, hc, opa)
	if err != nil {
		return "", nil, err
	}
	var res struct {
		Result *struct {
			Fired       []string `json:"fired"`
			Unsatisfied []string `json:"unsatisfied"`
		} `json:"result"`
	}
	if err := json.Unmarshal(ob, &res); err != nil {
		return "", nil, fmt.Errorf("opa answer: %w", err)
	}
	if res.Result == nil {
		return "", nil, fmt.Errorf("opa answer: result undefined: %.300s", ob)
	}
	opaOutcome := outcome(res.Result.Fired, res.Result.Unsatisfied, deny)
	slices.Sort(accRules)
	opaRules := slices.Sorted(slices.Values(res.Result.Fired))
	if accOutcome != opaOutcome || !slices.Equal(accRules, opaRules) {
		return "", nil, fmt.Errorf("disagreement: accord %s %v, opa %s %v", accOutcome, accRules, opaOutcome, opaRules)
	}
	return accOutcome, accRules, nil
}

// outcome combines rule ids as Accord does: any deny-effect rule fired →
// deny; else any unsatisfied requirement → pending; else allow.
func outcome(fired, unsatisfied []string, deny map[string]bool) model.Outcome {
	for _, id := range fired {
		if deny[id] {
			return model.Deny
		}
	}
	if len(unsatisfied) > 0 {
		return model.Pending
	}
	return model.Allow
}

// gdsiDenyIDs returns the ids of the deny-effect rules of the embedded
// gdsi pack.
func gdsiDenyIDs() (map[string]bool, error) {
	packs, err := policy.Load(policy.Embedded(), "packs/gdsi.yaml")
	if err != nil {
		return nil, fmt.Errorf("load gdsi pack: %w", err)
	}
	m := map[string]bool{}
	for _, p := range packs {
		for _, r := range p.Rules {
			if r.Effect == model.EffectDeny {
				m[r.ID] = true
			}
		}
	}
	return m, nil
}

// worker is what one client measured.
type worker struct {
	lat    []time.Duration
	failed int
	err    error
}

// load runs clients against t for d, at most max requests in all.
func load(hc *http.Client, t target, clients int, d time.Duration, max int) []worker {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	per := max / clients
	if per < 1 {
		per = 1
	}
	ws := make([]worker, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &ws[c]
			w.lat = make([]time.Duration, 0, 4096)
			for i := 0; i < per && ctx.Err() == nil; i++ {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(t.body))
				if err != nil {
					w.err = err
					return
				}
				req.Header = t.header.Clone()
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						w.failed++
						w.err = err
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				el := time.Since(t0)
				if resp.StatusCode != t.okCode {
					if ctx.Err() == nil {
						w.failed++
						w.err = fmt.Errorf("status %d", resp.StatusCode)
					}
					continue
				}
				w.lat = append(w.lat, el)
			}
		}()
	}
	wg.Wait()
	return ws
}

// measure warms up, then runs and summarizes one target at one
// concurrency. Any failed request fails the run.
func measure(hc *http.Client, t target, clients int, warmup, d time.Duration, max int) (Report, error) {
	if warmup > 0 {
		load(hc, t, clients, warmup, max)
	}
	start := time.Now()
	ws := load(hc, t, clients, d, max)
	el := time.Since(start)
	var all []time.Duration
	failed := 0
	var firstErr error
	for _, w := range ws {
		all = append(all, w.lat...)
		failed += w.failed
		if firstErr == nil && w.err != nil {
			firstErr = w.err
		}
	}
	if failed > 0 || firstErr != nil {
		return Report{}, fmt.Errorf("%s, %d clients: %d failed requests (first: %v)", t.name, clients, failed, firstErr)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[int(p*float64(len(all)-1))]
	}
	r := Report{Target: t.name, Scenario: t.scenario, Clients: clients, Duration: el, OK: len(all),
		PerSecond: float64(len(all)) / el.Seconds(), P50: pct(0.50), P99: pct(0.99), Failed: failed}
	if len(all) > 0 {
		r.Max = all[len(all)-1]
	}
	return r, nil
}

// writeRegoData writes dir/accord_data.rego: package accord_data with the
// gdsi pack's dated parameters (params.<name> = [{value, valid_from,
// valid_to}], Unix nanoseconds, 0 = open-ended) and the registry's
// agreements (agreements.<id> = {parties, purposes, valid_from, valid_to}),
// as bench/suite.go's regoData builds them for the in-process benchmark.
func writeRegoData(dir string) error {
	reg, err := registry.Load()
	if err != nil {
		return fmt.Errorf("load registry: %w", err)
	}
	packs, err := policy.Load(policy.Embedded(), "packs/gdsi.yaml")
	if err != nil {
		return fmt.Errorf("load gdsi pack: %w", err)
	}
	ns := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixNano()
	}
	params := map[string]any{}
	for _, p := range packs[0].Params {
		var vs []any
		for _, v := range p.Values {
			vs = append(vs, map[string]any{"value": v.Value, "valid_from": v.ValidFrom.UnixNano(), "valid_to": ns(v.ValidTo)})
		}
		params[p.Name] = vs
	}
	ags := map[string]any{}
	for _, a := range reg.Agreements() {
		ags[a.ID] = map[string]any{"parties": a.Parties, "purposes": a.Purposes,
			"valid_from": a.ValidFrom.UnixNano(), "valid_to": ns(a.ValidTo)}
	}
	data := map[string]any{"params": params, "agreements": ags}
	var b strings.Builder
	b.WriteString("package accord_data\n\n")
	for _, k := range slices.Sorted(maps.Keys(data)) {
		v, err := json.Marshal(data[k])
		if err != nil {
			return fmt.Errorf("rego data %s: %w", k, err)
		}
		fmt.Fprintf(&b, "%s := %s\n\n", k, v)
	}
	path := filepath.Join(dir, "accord_data.rego")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
