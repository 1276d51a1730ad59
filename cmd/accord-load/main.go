// Command accord-load measures how many logged decisions per second an
// `accord serve` answers, and how fast: N concurrent clients each POST
// /v1/decisions in a loop for a fixed time; it prints the rate of 201
// answers and the latency percentiles.
//
//	accord serve --demo --data /tmp/load &        # prints tokens
//	accord-load --token accord_… --clients 64 --duration 30s
//
// Requests rotate over subject states and categories so that counters are
// spread over many rows, as in real traffic.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "accord-load:", err)
		os.Exit(1)
	}
}

// result is what one client measured.
type result struct {
	latencies []time.Duration // of 201 answers
	statuses  map[int]int
	errs      int
}

// Report is the outcome of a run.
type Report struct {
	Clients   int           `json:"clients"`
	Duration  time.Duration `json:"duration_ns"`
	OK        int           `json:"ok"`
	PerSecond float64       `json:"decisions_per_second"`
	P50       time.Duration `json:"p50_ns"`
	P90       time.Duration `json:"p90_ns"`
	P99       time.Duration `json:"p99_ns"`
	Max       time.Duration `json:"max_ns"`
	Statuses  map[int]int   `json:"statuses"`
	Transport int           `json:"transport_errors"`
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("accord-load", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8700", "base URL of accord serve")
	token := fs.String("token", os.Getenv("ACCORD_TOKEN"), "requester token (or $ACCORD_TOKEN)")
	clients := fs.Int("clients", 64, "concurrent clients")
	duration := fs.Duration("duration", 20*time.Second, "how long to send")
	warmup := fs.Duration("warmup", 2*time.Second, "sending time not measured, before the run")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *token == "" {
		return errors.New("--token is required (a requester token; accord serve --demo prints some)")
	}
	if *clients < 1 || *duration <= 0 {
		return errors.New("--clients must be at least 1 and --duration positive")
	}
	tr := &http.Transport{MaxIdleConns: *clients * 2, MaxIdleConnsPerHost: *clients * 2, MaxConnsPerHost: *clients * 2}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	if *warmup > 0 {
		load(hc, *url, *token, *clients, *warmup)
	}
	start := time.Now()
	results := load(hc, *url, *token, *clients, *duration)
	rep := summarize(results, *clients, time.Since(start))
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(out, "clients %d, %s: %d logged decisions, %.0f/s; latency p50 %s, p90 %s, p99 %s, max %s; statuses %v, transport errors %d\n",
		rep.Clients, rep.Duration.Round(time.Millisecond), rep.OK, rep.PerSecond,
		rep.P50.Round(10*time.Microsecond), rep.P90.Round(10*time.Microsecond), rep.P99.Round(10*time.Microsecond), rep.Max.Round(10*time.Microsecond),
		rep.Statuses, rep.Transport)
	return nil
}

var (
	subjectStates = []string{"FR", "DE", "BE", "IT", "ES", "NL", "PL", "SE", "AT", "PT", "IE", "DK"}
	categories    = []string{"personal.contact", "personal.financial", "personal.employment", "technical.logs"}
)

// body returns the i-th request: an access to data located in the
// requester's own state (FR for the demo's acme), allowed under gdsi.
func body(i int) []byte {
	s := subjectStates[i%len(subjectStates)]
	c := categories[(i/len(subjectStates))%len(categories)]
	return []byte(fmt.Sprintf(`{"action":"access","data":{"location":"FR","origin":["FR"],"categories":[%q],"subjects":{%q:3},"records":3},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`, c, s))
}

// load runs clients for d and returns what each measured.
func load(hc *http.Client, url, token string, clients int, d time.Duration) []result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	results := make([]result, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[c]
			r.statuses = map[int]int{}
			for i := c; ctx.Err() == nil; i += clients {
				req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/decisions", bytes.NewReader(body(i)))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						r.errs++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				el := time.Since(t0)
				r.statuses[resp.StatusCode]++
				if resp.StatusCode == http.StatusCreated {
					r.latencies = append(r.latencies, el)
				}
			}
		}()
	}
	wg.Wait()
	return results
}

// summarize merges the clients' measurements.
func summarize(results []result, clients int, d time.Duration) Report {
	rep := Report{Clients: clients, Duration: d, Statuses: map[int]int{}}
	var all []time.Duration
	for _, r := range results {
		all = append(all, r.latencies...)
		for k, v := range r.statuses {
			rep.Statuses[k] += v
		}
		rep.Transport += r.errs
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		i := int(p * float64(len(all)-1))
		return all[i]
	}
	rep.OK = len(all)
	rep.PerSecond = float64(len(all)) / d.Seconds()
	rep.P50, rep.P90, rep.P99 = pct(0.50), pct(0.90), pct(0.99)
	if len(all) > 0 {
		rep.Max = all[len(all)-1]
	}

	return rep
}
