package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/accord-dev/accord/internal/advisory"
)

// TestServeAdvisoryNotice runs `accord serve --demo` and the issue's
// scenario over HTTP on loopback: two deployments, a CSAF advisory from
// the demo vendor, a verified Standard Webhooks notice for the affected
// deployment only, both entries on the log; and it reports the time from
// POST /v1/advisories to the first notice.
func TestServeAdvisoryNotice(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	defer func(f func(*slog.Logger)) { routeTesseraLogs = f }(routeTesseraLogs)
	routeTesseraLogs = func(*slog.Logger) {}
	resetFlags(rootCmd)
	rootCmd.SetOut(&stdout)
	rootCmd.SetErr(&stderr)
	rootCmd.SetArgs([]string{"serve", "--demo", "--data", dir, "--addr", "127.0.0.1:0", "--checkpoint-interval", "100ms"})
	defer rootCmd.SetArgs(nil)
	done := make(chan error, 1)
	go func() { done <- rootCmd.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	var base string
	for deadline := time.Now().Add(15 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(stderr.String(), "\n") {
			var l struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "accord serving" {
				base = l.URL
			}
		}
	}
	if base == "" {
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	envFile, err := os.ReadFile(filepath.Join(dir, demoTokensFile))
	if err != nil {
		t.Fatal(err)
	}
	tok := map[string]string{}
	for _, line := range strings.Split(string(envFile), "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok {
			tok[k] = v
		}
	}
	if tok["ACCORD_TOKEN_VENDOR"] == "" {
		t.Fatalf("no vendor token in %s", envFile)
	}

	var (
		mu      sync.Mutex
		secrets = map[string]string{}
		got     = map[string]int{}
		first   = make(chan time.Time, 1)
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		dep := strings.TrimPrefix(r.URL.Path, "/")
		mu.Lock()
		defer mu.Unlock()
		wh, err := standardwebhooks.NewWebhook(secrets[dep])
		if err != nil || wh.Verify(body, r.Header) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got[dep]++
		select {
		case first <- time.Now():
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()

	call := func(method, path, token string, body []byte) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for dep, sbom := range map[string]string{"plant-a": "router-plant-a.cdx.json", "plant-b": "router-plant-b.spdx.json"} {
		st, b := call("POST", "/v1/deployments", tok["ACCORD_TOKEN_REQUESTER"], []byte(fmt.Sprintf(`{"id":%q,"webhook_url":%q,"contact_role":"secops"}`, dep, hook.URL+"/"+dep)))
		var d struct {
			Secret string `json:"webhook_secret"`
		}
		json.Unmarshal(b, &d)
		if st != 201 || d.Secret == "" {
			t.Fatalf("deployment %s: %d %s", dep, st, b)
		}
		mu.Lock()
		secrets[dep] = d.Secret
		mu.Unlock()
		data, _ := os.ReadFile("../../internal/advisory/testdata/sbom/" + sbom)
		if st, b := call("POST", "/v1/sboms?deployment="+dep, tok["ACCORD_TOKEN_REQUESTER"], data); st != 201 {
			t.Fatalf("sbom %s: %d %s", dep, st, b)
		}
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	if st, b := call("PUT", "/v1/vendors/globex/key", tok["ACCORD_TOKEN_OPERATOR"], []byte(`{"public_key":"`+base64.StdEncoding.EncodeToString(pub)+`"}`)); st != 200 {
		t.Fatalf("vendor key: %d %s", st, b)
	}
	doc, _ := os.ReadFile("../../internal/advisory/testdata/csaf/acme-2026-001.json")
	env, _ := advisory.Sign(ctx, doc, priv)
	raw, _ := json.Marshal(env)
	start := time.Now()
	st, b := call("POST", "/v1/advisories", tok["ACCORD_TOKEN_VENDOR"], raw)
	if st != 201 {
		t.Fatalf("publish: %d %s", st, b)
	}
	select {
	case at := <-first:
		t.Logf("time from POST /v1/advisories to the first verified notice on loopback: %v", at.Sub(start))
	case <-time.After(10 * time.Second):
		t.Fatal("no notice within 10s")
	}
	// The notice entry is logged after delivery: wait for it.
	var ns struct {
		Notices []struct {
			Deployment string `json:"deployment"`
			State      string `json:"state"`
			Logged     bool   `json:"logged"`
		} `json:"notices"`
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, b = call("GET", "/v1/advisories/notices", tok["ACCORD_TOKEN_AUDITOR"], nil)
		json.Unmarshal(b, &ns)
		if len(ns.Notices) == 1 && ns.Notices[0].Logged {
			break
		}
	}
	if len(ns.Notices) != 1 || ns.Notices[0].Deployment != "plant-a" || ns.Notices[0].State != "delivered" || !ns.Notices[0].Logged {
		t.Fatalf("notices: %s", b)
	}
	mu.Lock()
	defer mu.Unlock()
	if got["plant-a"] != 1 || got["plant-b"] != 0 {
		t.Errorf("notices received: %v (want plant-a once, plant-b never)", got)
	}
}
