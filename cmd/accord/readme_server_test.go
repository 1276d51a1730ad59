package main

import (
	"fmt"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// serverBlock is a README ```console block that talks to the demo server:
// it starts with sourcing the demo tokens or with a curl.
var serverBlock = regexp.MustCompile("(?s)```console\n(\\$ (?:\\. accord-data|curl)[^\n]*\n.*?)```")

// readmeCommand is one "$ " command of a console block (with its
// continuation lines) and the output the README shows under it.
type readmeCommand struct {
	cmd, want string
}

// parseConsole splits a console block into its commands: a line starting
// with "$ " opens one, a line ending in a backslash continues it, and
// every other line is output of the last command.
func parseConsole(block string) []readmeCommand {
	var out []readmeCommand
	cont := false
	for _, line := range strings.SplitAfter(block, "\n") {
		if line == "" {
			continue
		}
		switch {
		case cont:
			out[len(out)-1].cmd += line
		case strings.HasPrefix(line, "$ "):
			out = append(out, readmeCommand{cmd: strings.TrimPrefix(line, "$ ")})
		case len(out) > 0:
			out[len(out)-1].want += line
		default:
			continue
		}
		cont = strings.HasSuffix(strings.TrimRight(line, "\n"), "\\")
	}
	return out
}

// volatile are the parts of an answer that differ on every run: decision
// ids and times. normalizeREADME replaces each distinct id by its rank of
// first appearance, so that "the id the first call printed is the one the
// second call fetched" is still checked.
var (
	decisionID = regexp.MustCompile(`dec-[0-9a-f]{32}`)
	timestamp  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z`)
)

func normalizeREADME(s string) string {
	seen := map[string]string{}
	s = decisionID.ReplaceAllStringFunc(s, func(id string) string {
		if n, ok := seen[id]; ok {
			return n
		}
		seen[id] = "dec-#" + strconv.Itoa(len(seen)+1)
		return seen[id]
	})
	s = timestamp.ReplaceAllString(s, "TIME")
	// Blank lines separate commands in the README; they are nobody's
	// output.
	return regexp.MustCompile(`\n{2,}`).ReplaceAllString(strings.TrimSpace(s), "\n")
}

// TestREADMEServer runs the README's "Try the server" blocks — the curl
// calls and the receipt check — against a real `accord serve --demo`, as
// a reader would paste them, and checks every answer is the one the README
// shows, up to the ids and times that differ on every run. Decision ids
// printed by one call and used by a later one are carried over, so the
// README's commands run as written.
func TestREADMEServer(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := osexec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed; .ci/run installs it", tool)
			}
			t.Skipf("%s is not installed (apt-get install %s to run this test)", tool, tool)
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []readmeCommand
	for _, b := range serverBlock.FindAllStringSubmatch(string(readme), -1) {
		cmds = append(cmds, parseConsole(b[1])...)
	}
	if len(cmds) < 6 {
		t.Fatalf("README has %d server commands, want at least 6 (tokens, pending, allow, receipt, conflict, time)", len(cmds))
	}
	unlock := lockDocPort(t)
	defer unlock()
	if ln, err := net.Listen("tcp", "127.0.0.1:8700"); err != nil {
		t.Skipf("127.0.0.1:8700 is in use on this machine: %v", err)
	} else {
		ln.Close()
	}

	// The script starts the demo server, waits for it, then runs each
	// command with the README's decision ids replaced by the ones this
	// server gave (ids.sed grows as answers arrive), saving each output.
	var sh strings.Builder
	sh.WriteString("set -uo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n")
	sh.WriteString("accord serve --demo >serve.log 2>&1 &\n")
	sh.WriteString("for i in $(seq 1 300); do curl -sf http://127.0.0.1:8700/readyz >/dev/null && break; sleep 0.1; done\n")
	sh.WriteString(": >ids.sed\n")
	var txtar strings.Builder
	for i, c := range cmds {
		fmt.Fprintf(&sh, "cat >cmd.%d <<'README_EOF'\n%sREADME_EOF\n", i, c.cmd)
		fmt.Fprintf(&sh, "sed -f ids.sed cmd.%d >run.%d\n", i, i)
		// Sourced, not run in a subshell: the first command sets the
		// tokens for the others.
		fmt.Fprintf(&sh, ". ./run.%d >out.%d 2>&1 || true\n", i, i)
		if ids := decisionID.FindAllString(c.want, -1); len(ids) > 0 {
			fmt.Fprintf(&sh, "paste -d' ' <(printf '%%s\\n' %s) <(grep -o 'dec-[0-9a-f]\\{32\\}' out.%d) | while read -r a b; do [ -n \"$b\" ] && echo \"s/$a/$b/g\" >>ids.sed; done\n",
				strings.Join(ids, " "), i)
		}
		fmt.Fprintf(&sh, "cat out.%d >>all.out\n", i)
		fmt.Fprintf(&txtar, "-- want.%d --\n%s", i, c.want)
	}
	var want strings.Builder
	for _, c := range cmds {
		want.WriteString(c.want)
	}
	script := "exec bash readme.sh\nreadme-cmp all.out\n-- readme.sh --\n" + sh.String() + "-- want.all --\n" + want.String() + txtar.String()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "readme-server.txtar"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Setenv("ACCORD_LANG", "en")
			env.Setenv("HOME", env.WorkDir)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// readme-cmp FILE compares FILE with want.all, both
			// normalized; on a difference it shows the server's log too.
			"readme-cmp": func(ts *testscript.TestScript, neg bool, args []string) {
				got := normalizeREADME(ts.ReadFile(args[0]))
				exp := normalizeREADME(ts.ReadFile("want.all"))
				if got != exp {
					ts.Logf("server log:\n%s", ts.ReadFile("serve.log"))
					ts.Fatalf("the README's server answers drifted:\n--- README\n%s\n--- server\n%s", exp, got)
				}
			},
		},
	})
}
