package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// seenRequest is one request the recording proxy passed to the server.
type seenRequest struct {
	method, path, key string
}

// TestClient runs testdata/client/*.txtar — accord decisions, datasets,
// authz lodge and mla --server, as a user types them — against a real
// server (accord serve --demo in this process: packs, log, SQLite), through
// a proxy that records every request. It then checks that every POST
// carried an Idempotency-Key, a different one per invocation unless
// --idempotency-key set it.
func TestClient(t *testing.T) {
	dir := t.TempDir()
	s := startDemo(t, dir)
	target, err := url.Parse(s.base)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		seen []seenRequest
	)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, seenRequest{r.Method, r.URL.Path, r.Header.Get("Idempotency-Key")})
		mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()

	t.Run("scripts", func(t *testing.T) {
		testscript.Run(t, testscript.Params{
			Dir:                 "testdata/client",
			RequireExplicitExec: true,
			Setup: func(env *testscript.Env) error {
				env.Setenv("ACCORD_LANG", "en")
				env.Setenv("ACCORD_SERVER", proxy.URL)
				env.Setenv("DEMO_KEYS", filepath.Join(dir, "demo-keys"))
				env.Setenv("LOG_PUB", filepath.Join(dir, "keys", "log.pub"))
				for name, tok := range s.tokens {
					env.Setenv("TOK_"+name, tok)
				}
				return nil
			},
			Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
				// jsonget FILE FIELD VAR sets $VAR to the string at FIELD
				// (dot-separated) of the JSON in FILE.
				"jsonget": func(ts *testscript.TestScript, neg bool, args []string) {
					if len(args) != 3 {
						ts.Fatalf("usage: jsonget FILE FIELD VAR")
					}
					var v any
					ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &v))
					for _, k := range strings.Split(args[1], ".") {
						m, ok := v.(map[string]any)
						if !ok {
							ts.Fatalf("%s: no %s", args[0], args[1])
						}
						v = m[k]
					}
					ts.Setenv(args[2], fmt.Sprint(v))
				},
			},
		})
	})

	mu.Lock()
	defer mu.Unlock()
	posts, keys := 0, map[string]int{}
	for _, r := range seen {
		if r.method != http.MethodPost {
			if r.key != "" {
				t.Errorf("%s %s carried Idempotency-Key %q; only creating POSTs should", r.method, r.path, r.key)
			}
			continue
		}
		posts++
		if r.key == "" {
			t.Errorf("POST %s carried no Idempotency-Key", r.path)
		}
		keys[r.key]++
	}
	if posts < 8 {
		t.Fatalf("the scripts made %d POSTs through the proxy, want at least 8: %+v", posts, seen)
	}
	if keys["retry-4711"] != 2 {
		t.Errorf("--idempotency-key retry-4711 was sent %d times, want 2 (the command and its retry)", keys["retry-4711"])
	}
	for k, n := range keys {
		if k != "retry-4711" && n > 1 {
			t.Errorf("the random Idempotency-Key %q was sent by %d invocations, want one each", k, n)
		}
	}
}
