package main

import (
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// docTested are the docs whose shell blocks TestDocs runs.
var docTested = []string{"../README.md", "operations.md", "ledger.md", "lawful-access.md", "packs.md"}

// docBlock is a ```sh block, with the marker comment on the line before
// it when there is one: <!-- doc-test: skip (REASON) --> or
// <!-- doc-test: server ... -->.
var docBlock = regexp.MustCompile("(?s)(?:<!-- doc-test: (skip|server)([^>]*)-->\n)?```sh\n(.*?)```")

// TestDocs runs the shell blocks of each doc in docTested, in order, in one
// shell in a fresh directory, with the accord under test on PATH — as a
// new user would paste them — so that no doc can rot. A block preceded by
// <!-- doc-test: skip (REASON) --> is not run (it needs a PostgreSQL
// server, certificates, a host elsewhere); the reason is required and
// logged. Blocks marked <!-- doc-test: server --> start or use
// accord serve --demo on 127.0.0.1:8700; they run when that port is free
// and are skipped, with a message, when something else holds it.
func TestDocs(t *testing.T) {
	if _, err := osexec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	for _, doc := range docTested {
		t.Run(doc, func(t *testing.T) {
			text, err := os.ReadFile(filepath.Join("..", "..", "docs", doc))
			if err != nil {
				t.Fatal(err)
			}
			blocks := docBlock.FindAllStringSubmatch(string(text), -1)
			if len(blocks) == 0 {
				t.Fatalf("%s has no ```sh block", doc)
			}
			// Test runs of this package in other processes take turns on
			// the port; anything else holding it makes the server blocks
			// skip.
			unlock := lockDocPort(t)
			defer unlock()
			portFree := true
			if ln, err := net.Listen("tcp", "127.0.0.1:8700"); err != nil {
				portFree = false
			} else {
				ln.Close()
			}
			var script strings.Builder
			// Stop anything a block left in the background, however the
			// script ends.
			script.WriteString("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n")
			ran := 0
			for i, b := range blocks {
				marker, reason, body := b[1], strings.TrimSpace(b[2]), b[3]
				switch marker {
				case "skip":
					if !strings.HasPrefix(reason, "(") || len(reason) < 5 {
						t.Errorf("%s block %d: a skipped block must say why: <!-- doc-test: skip (REASON) -->", doc, i+1)
					}
					t.Logf("%s block %d not run: %s", doc, i+1, reason)
					continue
				case "server":
					if !portFree {
						t.Logf("%s block %d not run: 127.0.0.1:8700 is in use on this machine", doc, i+1)
						continue
					}
				}
				script.WriteString("echo '### " + doc + " block " + string(rune('0'+(i+1)/10)) + string(rune('0'+(i+1)%10)) + "'\n")
				script.WriteString(body)
				ran++
			}
			if ran == 0 {
				t.Fatalf("%s: every block is skipped", doc)
			}
			dir := t.TempDir()
			// timeout: a block waiting for a server that never starts must
			// fail, not hang.
			txtar := "exec timeout 300 bash doc.sh\n-- doc.sh --\n" + script.String()
			if err := os.WriteFile(filepath.Join(dir, "doc.txtar"), []byte(txtar), 0o644); err != nil {
				t.Fatal(err)
			}
			testscript.Run(t, testscript.Params{
				Dir: dir,
				Setup: func(env *testscript.Env) error {
					env.Setenv("ACCORD_LANG", "en")
					env.Setenv("HOME", env.WorkDir)
					return nil
				},
			})
		})
	}
}

// lockDocPort takes an exclusive lock, shared by every process running
// TestDocs on this machine, so that two runs do not both start a server on
// 127.0.0.1:8700.
func lockDocPort(t *testing.T) func() {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "accord-doctest-8700.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Logf("no lock for port 8700 (%v): running without one", err)
		return func() {}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Logf("no lock for port 8700 (%v): running without one", err)
		return func() {}
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }
}
