package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestCustodyDoc runs each ```sh block of docs/custody.md as written — the
// decision server and three custodians as separate accord processes, then
// the data holder's approvals — on free ports, and checks that it prints
// every line of the ```text block that follows it ("…" stands for what
// differs from run to run).
func TestCustodyDoc(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four processes; run without -short")
	}
	for _, tool := range []string{"curl", "jq", "seq", "cmp", "timeout"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("docs/custody.md needs %s on PATH (install it to run this test)", tool)
		}
	}
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "custody.md"))
	if err != nil {
		t.Fatal(err)
	}
	sh := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllSubmatch(doc, -1)
	text := regexp.MustCompile("(?s)```text\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(sh) == 0 || len(sh) != len(text) {
		t.Fatalf("docs/custody.md: want each ```sh block followed by a ```text block of its output (%d and %d)", len(sh), len(text))
	}
	dir := t.TempDir()
	// One script a block: the custody scenario, then the approvals.
	for i := range sh {
		script := string(sh[i][1])
		for _, port := range []string{"8700", "8471", "8472", "8473"} {
			script = strings.ReplaceAll(script, port, strconv.Itoa(freePort(t)))
		}
		var ts strings.Builder
		// timeout(1) bounds a script that waits for a process that never
		// starts.
		ts.WriteString("exec sh -c 'timeout 180 sh -e custody.sh 2>&1'\n")
		for _, line := range strings.Split(strings.TrimSpace(string(text[i][1])), "\n") {
			re := regexp.QuoteMeta(line)
			re = strings.ReplaceAll(re, "…", ".*")
			ts.WriteString("stdout '^" + strings.ReplaceAll(re, "'", "''") + "$'\n")
		}
		ts.WriteString("-- custody.sh --\n" + script)
		for _, f := range []string{"fr-custodian.yaml", "fr-custodian_test.yaml"} {
			data, err := os.ReadFile(filepath.Join(root, "examples", "custody", f))
			if err != nil {
				t.Fatal(err)
			}
			ts.WriteString("-- examples/custody/" + f + " --\n" + string(data))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("custody-%d.txtar", i+1)), []byte(ts.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Setenv("ACCORD_LANG", "en")
			return nil
		},
	})
}

// freePort returns a TCP port free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
