package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	rep := summarize([]result{
		{latencies: lat[:50], statuses: map[int]int{201: 50, 503: 2}},
		{latencies: lat[50:], statuses: map[int]int{201: 50}, errs: 1},
	}, 2, 2*time.Second)
	if rep.OK != 100 || rep.PerSecond != 50 || rep.P50 != 50*time.Millisecond || rep.P99 != 99*time.Millisecond ||
		rep.Max != 100*time.Millisecond || rep.Statuses[503] != 2 || rep.Transport != 1 {
		t.Errorf("report %+v", rep)
	}
	if empty := summarize(nil, 1, time.Second); empty.OK != 0 || empty.P99 != 0 {
		t.Errorf("empty report %+v", empty)
	}
}

func TestRunAgainstServer(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer accord_x" || r.URL.Path != "/v1/decisions" {
			w.WriteHeader(401)
			return
		}
		var v map[string]any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			w.WriteHeader(400)
			return
		}
		n.Add(1)
		w.WriteHeader(201)
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := run([]string{"--url", srv.URL, "--token", "accord_x", "--clients", "4", "--duration", "200ms", "--warmup", "0s", "--json"}, &out); err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.OK == 0 || int64(rep.OK) > n.Load() || rep.Statuses[400] != 0 || rep.Statuses[401] != 0 {
		t.Errorf("report %+v, server counted %d", rep, n.Load())
	}
	if err := run([]string{"--url", srv.URL}, &out); err == nil || !strings.Contains(err.Error(), "--token") {
		t.Errorf("missing token: %v", err)
	}
}
