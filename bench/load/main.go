// Command load sends decision requests to an `accord serve` on this machine
// and measures what it answers: N concurrent clients POST to /v1/check
// (dry run, nothing logged) or /v1/decisions (binding, logged) for a bounded
// time and at most a bounded number of requests, then it prints the status
// counts, the outcomes, the throughput and the latency percentiles.
//
//	accord serve --demo --data /tmp/load --addr 127.0.0.1:8700 --rate-limit 0 &
//	. /tmp/load/demo-tokens.env
//	go run ./load --token "$ACCORD_TOKEN_REQUESTER" --mix regime --endpoint decisions --clients 64 --duration 10s
//
// It can fail: any status other than the endpoint's (201 for decisions,
// 200 for check; --expect adds others), any transport error and a run
// without a single expected answer make it exit 1, after the report, with
// the first unexpected answers shown. It only sends to loopback addresses
// (127.0.0.0/8, ::1, localhost — checked again on every connection): the
// rules of the machines it runs on forbid load on any other address.
//
// The mixes (see mixes):
//
//	cheapest  one allowed access to data in the requester's own state (FR,
//	          the demo's acme): gdsi only, no rule fires
//	regime    14 requests shaped after internal/policy/packs/*_test.yaml
//	          and the demo's datasets: U.S. DSP brokerage and omic data to
//	          China (deny), a bulk financial transfer to DE (allow), Chinese
//	          personal and important data leaving China (pending: CAC
//	          mechanisms), EU personal data to the U.S. without and with SCCs,
//	          to CN on consent (pending, allow), GDSI access to DE and SG data
//	          and CII (allow with obligations)
//	growth    allowed accesses whose history keys never repeat for long:
//	          1–2 subject states out of 100, one of 15 personal categories
//	          plus one of 4,096 open cii.load-K categories, varying counts —
//	          so every allow adds counter rows and the history grows. The
//	          requester (the counterparty of the counters) comes from the
//	          token and the day from the server's clock: they do not vary
//	          (give several tokens with --token a,b,c to vary the former)
//	mixed     cheapest, regime and growth in turn
//
// A 409 is never expected: no mix sends labels that contradict the catalog
// or acts on behalf of anyone, which are the only 409s of these endpoints.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// Bounds on a run: the load is bounded in time and count whatever the
// flags say.
const (
	maxDuration = 10 * time.Minute
	maxRequests = 10_000_000
	maxClients  = 4096
)

// endpoints maps --endpoint to its path and the status of a good answer.
var endpoints = map[string]struct {
	path string
	ok   int
}{
	"check":     {"/v1/check", http.StatusOK},
	"decisions": {"/v1/decisions", http.StatusCreated},
}

// Report is the outcome of a run.
type Report struct {
	URL       string         `json:"url"`
	Endpoint  string         `json:"endpoint"`
	Mix       string         `json:"mix"`
	Clients   int            `json:"clients"`
	Elapsed   time.Duration  `json:"elapsed_ns"`
	Sent      int            `json:"sent"`
	OK        int            `json:"ok"`
	PerSecond float64        `json:"ok_per_second"`
	P50       time.Duration  `json:"p50_ns"`
	P95       time.Duration  `json:"p95_ns"`
	P99       time.Duration  `json:"p99_ns"`
	Max       time.Duration  `json:"max_ns"`
	Statuses  map[string]int `json:"statuses"`
	Outcomes  map[string]int `json:"outcomes"`
	Transport int            `json:"transport_errors"`
	// Unexpected counts answers with a status not expected.
	Unexpected int `json:"unexpected"`
	// Samples shows the first unexpected answers and transport errors.
	Samples []string `json:"samples,omitempty"`
}

// Failed reports whether the run must exit non-zero.
func (r *Report) Failed() error {
	switch {
	case r.Unexpected > 0 || r.Transport > 0:
		return fmt.Errorf("%d unexpected answers and %d transport errors out of %d requests", r.Unexpected, r.Transport, r.Sent)
	case r.OK == 0:
		return errors.New("no request was answered as expected")
	}
	return nil
}

type config struct {
	url      string
	endpoint string
	mix      func(i int) []byte
	mixName  string
	tokens   []string
	clients  int
	duration time.Duration
	requests int
	warmup   time.Duration
	timeout  time.Duration
	expect   map[int]bool
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(out)
	base := fs.String("url", "http://127.0.0.1:8700", "base URL of accord serve (a loopback address)")
	endpoint := fs.String("endpoint", "decisions", "check (POST /v1/check, dry run) or decisions (POST /v1/decisions, logged)")
	mix := fs.String("mix", "cheapest", "request mix: "+strings.Join(mixNames(), ", "))
	token := fs.String("token", os.Getenv("ACCORD_TOKEN"), "requester token, or several separated by commas, one per client in turn (default $ACCORD_TOKEN)")
	clients := fs.Int("clients", 64, "concurrent clients")
	duration := fs.Duration("duration", 10*time.Second, fmt.Sprintf("how long to send (at most %s)", maxDuration))
	requests := fs.Int("requests", 0, fmt.Sprintf("stop after this many requests, if before --duration (0: no count limit but %d)", maxRequests))
	warmup := fs.Duration("warmup", time.Second, "sending time before the measured run (answers are checked, not measured)")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit of one request")
	expect := fs.String("expect", "", "more statuses to count as expected, separated by commas (none by default)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	cell := fs.Bool("cell", false, "print only \"<ok per second> <p99 in ms>\" (for load/run.sh); a failed run prints the full report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c := config{url: strings.TrimRight(*base, "/"), endpoint: strings.TrimPrefix(*endpoint, "/v1/"), mixName: *mix,
		clients: *clients, duration: *duration, requests: *requests, warmup: *warmup, timeout: *timeout, expect: map[int]bool{}}
	ep, ok := endpoints[c.endpoint]
	if !ok {
		return fmt.Errorf("--endpoint %q: want check or decisions", *endpoint)
	}
	c.expect[ep.ok] = true
	if c.mix, ok = mixes[*mix]; !ok {
		return fmt.Errorf("--mix %q: want one of %s", *mix, strings.Join(mixNames(), ", "))
	}
	for t := range strings.SplitSeq(*token, ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.tokens = append(c.tokens, t)
		}
	}
	if len(c.tokens) == 0 {
		return errors.New("--token is required (a requester token, or $ACCORD_TOKEN; accord serve --demo prints some)")
	}
	switch {
	case c.clients < 1 || c.clients > maxClients:
		return fmt.Errorf("--clients %d: want 1 to %d", c.clients, maxClients)
	case c.duration <= 0 || c.duration > maxDuration:
		return fmt.Errorf("--duration %s: want more than 0 and at most %s", c.duration, maxDuration)
	case c.requests < 0 || c.requests > maxRequests:
		return fmt.Errorf("--requests %d: want 0 to %d", c.requests, maxRequests)
	case c.warmup < 0 || c.warmup > maxDuration:
		return fmt.Errorf("--warmup %s: want 0 to %s", c.warmup, maxDuration)
	case c.timeout <= 0:
		return fmt.Errorf("--timeout %s: want more than 0", c.timeout)
	}
	if c.requests == 0 {
		c.requests = maxRequests
	}
	for s := range strings.SplitSeq(*expect, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 || n > 599 {
			return fmt.Errorf("--expect %q: not an HTTP status", s)
		}
		c.expect[n] = true
	}
	if err := loopback(c.url); err != nil {
		return err
	}

	hc := newClient(c.clients, c.timeout)
	defer hc.CloseIdleConnections()
	if c.warmup > 0 {
		wc := c
		wc.duration, wc.requests = c.warmup, maxRequests
		w := load(hc, wc, 1<<40) // indices apart from the run's, so growth keeps growing
		if w.Unexpected > 0 || w.Transport > 0 {
			printReport(out, w, *asJSON)
			return fmt.Errorf("warm-up: %w", w.Failed())
		}
	}
	rep := load(hc, c, 0)
	if *cell && rep.Failed() == nil {
		fmt.Fprintf(out, "%.0f %.1f\n", rep.PerSecond, float64(rep.P99)/1e6)
		return nil
	}
	printReport(out, rep, *asJSON)
	return rep.Failed()
}

func mixNames() []string {
	names := make([]string, 0, len(mixes))
	for n := range mixes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// loopback rejects a URL that is not http(s) to a loopback IP address or
// localhost. Names other than localhost are not resolved.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("--url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("--url %q: want http:// or https://", raw)
	}
	if h := u.Hostname(); h != "localhost" {
		ip := net.ParseIP(h)
		if ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("--url %q: refused: only loopback addresses (127.0.0.0/8, ::1, localhost) may be loaded", raw)
		}
	}
	return nil
}

// newClient returns an HTTP client with a connection per client kept
// alive, whose every connection is checked to reach a loopback address.
func newClient(clients int, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients, MaxConnsPerHost: 2 * clients,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if ta, ok := conn.RemoteAddr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
				conn.Close()
				return nil, fmt.Errorf("refused: %s is not a loopback address", conn.RemoteAddr())
			}
			return conn, nil
		},
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// client is what one client measured.
type client struct {
	lat       []time.Duration
	statuses  map[int]int
	outcomes  map[string]int
	transport int
	unexp     int
	samples   []string
}

const maxSamples = 5

// load runs c.clients clients until c.duration has passed or c.requests
// were sent; requests in flight at the end are waited for (not cut off,
// which on /v1/decisions would be answered with an error). Request i of
// the mix is offset+i.
func load(hc *http.Client, c config, offset int) *Report {
	ep := endpoints[c.endpoint]
	target := c.url + ep.path
	var next atomic.Int64
	start := time.Now()
	deadline := start.Add(c.duration)
	cs := make([]client, c.clients)
	var wg sync.WaitGroup
	for k := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &cs[k]
			cl.statuses, cl.outcomes = map[int]int{}, map[string]int{}
			auth := "Bearer " + c.tokens[k%len(c.tokens)]
			var buf bytes.Buffer
			for time.Now().Before(deadline) {
				i := int(next.Add(1)) - 1
				if i >= c.requests {
					return
				}
				req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(c.mix(offset+i)))
				if err != nil {
					cl.transport++
					cl.sample(err.Error())
					return
				}
				req.Header.Set("Authorization", auth)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					cl.transport++
					cl.sample(err.Error())
					continue
				}
				buf.Reset()
				_, err = io.Copy(&buf, io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				el := time.Since(t0)
				if err != nil {
					cl.transport++
					cl.sample("read answer: " + err.Error())
					continue
				}
				cl.statuses[resp.StatusCode]++
				if !c.expect[resp.StatusCode] {
					cl.unexp++
					cl.sample(fmt.Sprintf("status %d: %.300s", resp.StatusCode, bytes.TrimSpace(buf.Bytes())))
					continue
				}
				cl.lat = append(cl.lat, el)
				cl.outcomes[outcomeOf(buf.Bytes())]++
			}
		}()
	}
	wg.Wait()
	return summarize(cs, c, time.Since(start))
}

func (cl *client) sample(s string) {
	if len(cl.samples) < maxSamples {
		cl.samples = append(cl.samples, s)
	}
}

// outcomeOf returns the first "outcome" member of an answer (the
// decision's own; the packs' come after it), or "?" when there is none.
func outcomeOf(body []byte) string {
	i := bytes.Index(body, []byte(`"outcome"`))
	if i < 0 {
		return "?"
	}
	rest := bytes.TrimLeft(body[i+len(`"outcome"`):], " \t\r\n:")
	if len(rest) == 0 || rest[0] != '"' {
		return "?"
	}
	j := bytes.IndexByte(rest[1:], '"')
	if j < 0 || j > 16 {
		return "?"
	}
	return string(rest[1 : 1+j])
}

// summarize merges the clients' measurements.
func summarize(cs []client, c config, elapsed time.Duration) *Report {
	rep := &Report{URL: c.url, Endpoint: c.endpoint, Mix: c.mixName, Clients: c.clients, Elapsed: elapsed,
		Statuses: map[string]int{}, Outcomes: map[string]int{}}
	var all []time.Duration
	for _, cl := range cs {
		all = append(all, cl.lat...)
		for k, v := range cl.statuses {
			rep.Statuses[strconv.Itoa(k)] += v
			rep.Sent += v
		}
		for k, v := range cl.outcomes {
			rep.Outcomes[k] += v
		}
		rep.Transport += cl.transport
		rep.Sent += cl.transport
		rep.Unexpected += cl.unexp
		for _, s := range cl.samples {
			if len(rep.Samples) < maxSamples {
				rep.Samples = append(rep.Samples, s)
			}
		}
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[int(p*float64(len(all)-1))]
	}
	rep.OK = len(all)
	if elapsed > 0 {
		rep.PerSecond = float64(len(all)) / elapsed.Seconds()
	}
	rep.P50, rep.P95, rep.P99 = pct(0.50), pct(0.95), pct(0.99)
	if len(all) > 0 {
		rep.Max = all[len(all)-1]
	}
	return rep
}

func printReport(out io.Writer, r *Report, asJSON bool) {
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
		return
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }
	fmt.Fprintf(out, "%s %s, mix %s, %d clients, %s: %d sent, %d ok, %.0f/s; p50 %s, p95 %s, p99 %s, max %s\n",
		r.URL, r.Endpoint, r.Mix, r.Clients, r.Elapsed.Round(time.Millisecond), r.Sent, r.OK, r.PerSecond,
		ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max))
	fmt.Fprintf(out, "statuses %s; outcomes %s; transport errors %d; unexpected %d\n",
		counts(r.Statuses), counts(r.Outcomes), r.Transport, r.Unexpected)
	for _, s := range r.Samples {
		fmt.Fprintf(out, "  unexpected: %s\n", s)
	}
}

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s:%d", k, m[k])
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}
