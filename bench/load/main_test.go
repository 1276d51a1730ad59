package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// runJSON runs the tool with --json and returns its report and error.
func runJSON(t *testing.T, args ...string) (*Report, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(append(args, "--json"), &out)
	var rep Report
	if out.Len() > 0 {
		if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
			t.Fatalf("report is not JSON: %v\n%s", jerr, out.String())
		}
	}
	return &rep, err
}

// TestAgainstDemoServer builds the accord binary of the main module,
// starts `accord serve --demo` on a free loopback port, and runs every mix
// against both endpoints for about a second: no error, no unexpected
// status, and outcomes as the mix intends.
func TestAgainstDemoServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server; not in -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "accord")
	build := exec.Command("go", "build", "-o", bin, "./cmd/accord")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/accord: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	srv := exec.Command(bin, "serve", "--demo", "--data", data, "--addr", addr, "--rate-limit", "0")
	var stderr bytes.Buffer
	srv.Stdout, srv.Stderr = &bytes.Buffer{}, &stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
	})
	token := waitDemo(t, data, "http://"+addr, &stderr)

	want := map[string][]string{ // outcomes each mix must produce
		"cheapest": {"allow"},
		"regime":   {"allow", "deny", "pending"},
		"growth":   {"allow"},
		"mixed":    {"allow", "deny", "pending"},
	}
	for _, mix := range mixNames() {
		for _, ep := range []string{"check", "decisions"} {
			t.Run(mix+"/"+ep, func(t *testing.T) {
				rep, err := runJSON(t, "--url", "http://"+addr, "--token", token, "--mix", mix, "--endpoint", ep,
					"--clients", "8", "--duration", "1s", "--warmup", "0s")
				if err != nil {
					t.Fatalf("load: %v; report %+v", err, rep)
				}
				status := map[string]string{"check": "200", "decisions": "201"}[ep]
				if rep.OK == 0 || rep.Statuses[status] != rep.OK || rep.Unexpected != 0 || rep.Transport != 0 {
					t.Fatalf("report %+v", rep)
				}
				// The regime mix has 14 requests; a short run may not reach
				// all outcomes at 8 clients only if it sent fewer than 14.
				if rep.OK >= 3*len(regime) {
					for _, o := range want[mix] {
						if rep.Outcomes[o] == 0 {
							t.Errorf("no %s outcome in %v", o, rep.Outcomes)
						}
					}
				}
				if rep.Outcomes["?"] != 0 {
					t.Errorf("answers without an outcome: %v", rep.Outcomes)
				}
			})
		}
	}
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// waitDemo waits (at most 60 s) for the demo's token file and for the
// server to answer, and returns the requester token.
func waitDemo(t *testing.T, data, base string, stderr *bytes.Buffer) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if token := readToken(filepath.Join(data, "demo-tokens.env")); token != "" {
			resp, err := http.Get(base + "/v1/check")
			if err == nil {
				resp.Body.Close()
				return token
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("accord serve --demo did not start in 60 s:\n%s", stderr.String())
	return ""
}

func readToken(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "export ACCORD_TOKEN_REQUESTER="); ok {
			return v
		}
	}
	return ""
}

// TestFails shows that the tool can fail: every case exits with an error
// (and so non-zero from main).
func TestFails(t *testing.T) {
	answer := func(status int, body string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}))
		t.Cleanup(s.Close)
		return s
	}
	s500 := answer(500, `{"title":"the decision could not be made or recorded"}`)
	s409 := answer(409, `{"title":"conflict"}`)
	s201 := answer(201, `{"outcome":"allow"}`)
	down := answer(201, "")
	down.Close()
	// Every other answer is a 500.
	var n atomic.Int64
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(201)
		fmt.Fprint(w, `{"outcome":"allow"}`)
	}))
	t.Cleanup(flaky.Close)

	base := []string{"--token", "accord_x", "--clients", "2", "--duration", "200ms", "--warmup", "0s"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"server answers 500", []string{"--url", s500.URL}, "unexpected answers"},
		{"server answers 500 during warm-up", []string{"--url", s500.URL, "--warmup", "100ms"}, "warm-up"},
		{"server answers 500 half of the time", []string{"--url", flaky.URL}, "unexpected answers"},
		{"server answers 409", []string{"--url", s409.URL}, "unexpected answers"},
		{"201 is not the answer of a check", []string{"--url", s201.URL, "--endpoint", "check"}, "unexpected answers"},
		{"server down", []string{"--url", down.URL}, "transport errors"},
		{"not loopback", []string{"--url", "http://10.0.0.1:8700"}, "only loopback"},
		{"a name other than localhost", []string{"--url", "http://example.com:8700"}, "only loopback"},
		{"not http", []string{"--url", "ftp://127.0.0.1:21"}, "http://"},
		{"unknown mix", []string{"--url", s201.URL, "--mix", "heavy"}, "--mix"},
		{"unknown endpoint", []string{"--url", s201.URL, "--endpoint", "records"}, "--endpoint"},
		{"unbounded duration", []string{"--url", s201.URL, "--duration", "1h"}, "--duration"},
		{"too many requests", []string{"--url", s201.URL, "--requests", "20000000"}, "--requests"},
		{"bad expected status", []string{"--url", s201.URL, "--expect", "abc"}, "--expect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(append(append([]string{}, base...), tt.args...), &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run: %v, want an error mentioning %q\n%s", err, tt.want, out.String())
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		t.Setenv("ACCORD_TOKEN", "")
		if err := run([]string{"--url", s201.URL}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--token") {
			t.Fatalf("run: %v", err)
		}
	})
	t.Run("409 expected when asked", func(t *testing.T) {
		rep, err := runJSON(t, append(append([]string{}, base...), "--url", s409.URL, "--expect", "409")...)
		if err != nil || rep.Statuses["409"] == 0 {
			t.Fatalf("run: %v, report %+v", err, rep)
		}
	})
	t.Run("the first unexpected answers are shown", func(t *testing.T) {
		rep, _ := runJSON(t, append(append([]string{}, base...), "--url", s500.URL)...)
		if len(rep.Samples) == 0 || !strings.Contains(rep.Samples[0], "status 500") {
			t.Fatalf("samples %v", rep.Samples)
		}
	})
}

// TestBounds checks that --requests stops the run at that count, that
// token lists rotate over clients, and that a healthy server passes.
func TestBounds(t *testing.T) {
	var n atomic.Int64
	tokens := map[string]*atomic.Int64{"Bearer a": {}, "Bearer b": {}}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := tokens[r.Header.Get("Authorization")]
		if !ok || r.URL.Path != "/v1/decisions" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(401)
			return
		}
		var v map[string]any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			w.WriteHeader(400)
			return
		}
		c.Add(1)
		n.Add(1)
		w.WriteHeader(201)
		fmt.Fprint(w, `{"id":"dec-1","outcome":"pending"}`)
	}))
	defer s.Close()
	rep, err := runJSON(t, "--url", s.URL, "--token", "a,b", "--clients", "4", "--requests", "100", "--duration", "30s", "--warmup", "0s", "--mix", "mixed")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 100 || rep.OK != 100 || n.Load() != 100 || rep.Outcomes["pending"] != 100 {
		t.Fatalf("report %+v, server counted %d", rep, n.Load())
	}
	if tokens["Bearer a"].Load() == 0 || tokens["Bearer b"].Load() == 0 {
		t.Fatalf("tokens not rotated: a %d, b %d", tokens["Bearer a"].Load(), tokens["Bearer b"].Load())
	}
	if rep.P50 <= 0 || rep.P50 > rep.P95 || rep.P95 > rep.P99 || rep.P99 > rep.Max {
		t.Fatalf("percentiles %v %v %v %v", rep.P50, rep.P95, rep.P99, rep.Max)
	}
}

// TestMixes checks that every body is a JSON object with no requester and
// no time, and that the growth mix does not repeat itself soon.
func TestMixes(t *testing.T) {
	for name, mix := range mixes {
		for i := range 500 {
			var v map[string]any
			if err := json.Unmarshal(mix(i), &v); err != nil {
				t.Fatalf("%s %d: %v: %s", name, i, err, mix(i))
			}
			if v["requester"] != nil || v["time"] != nil || v["history"] != nil {
				t.Fatalf("%s %d names what the server decides: %s", name, i, mix(i))
			}
		}
	}
	seen := map[string]bool{}
	for i := range 10_000 {
		seen[string(growth(i))] = true
	}
	if len(seen) != 10_000 {
		t.Errorf("growth: %d distinct bodies in 10,000", len(seen))
	}
	states := map[string]bool{}
	for _, s := range growthStates {
		if states[s] || len(s) != 2 {
			t.Errorf("growth state %q repeated or malformed", s)
		}
		states[s] = true
	}
}

func TestOutcomeOf(t *testing.T) {
	for body, want := range map[string]string{
		`{"id":"x","outcome":"deny","packs":[{"outcome":"allow"}]}`: "deny",
		"{\n  \"outcome\": \"pending\"\n}":                          "pending",
		`{"title":"bad"}`:                                           "?",
		`{"outcome":3}`:                                             "?",
		`{"outcome":"`:                                              "?",
	} {
		if got := outcomeOf([]byte(body)); got != want {
			t.Errorf("outcomeOf(%s) = %q, want %q", body, got, want)
		}
	}
}
