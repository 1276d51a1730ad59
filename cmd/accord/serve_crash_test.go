package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/postgres"
	"github.com/accord-dev/accord/internal/store/sqlite"
	"github.com/accord-dev/accord/internal/store/storetest"
)

// child is an `accord serve` running as a separate process.
type child struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

// startServeChild runs `accord serve --demo` on dir (and db when set) in a child
// process, with extra flags, and waits until it serves.
func startServeChild(t *testing.T, dir, db string, extra ...string) *child {
	t.Helper()
	args := []string{"serve", "--demo", "--data", dir, "--addr", "127.0.0.1:0", "--checkpoint-interval", "100ms"}
	if db != "" {
		args = append(args, "--db", db)
	}
	return startChild(t, "accord serve", append(args, extra...))
}

// startChild runs accord with args (a serve command) as a child process —
// the test binary run again (TestAccordHelperProcess) — waits until it
// logs that it serves, and kills it when tb ends. If it exits first, the
// failure shows the last lines it wrote.
func startChild(tb testing.TB, name string, args []string) *child {
	tb.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestAccordHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperArgsEnv+"="+string(raw))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	urls := make(chan string, 1)
	var (
		mu   sync.Mutex
		tail []string
	)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			if tail = append(tail, sc.Text()); len(tail) > 20 {
				tail = tail[1:]
			}
			mu.Unlock()
			var line struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "accord serving" {
				urls <- line.URL
			}
		}
		cmd.Wait()
		close(c.done)
	}()
	tb.Cleanup(func() { c.kill() })
	select {
	case c.url = <-urls:
	case <-c.done:
		mu.Lock()
		defer mu.Unlock()
		tb.Fatalf("%s exited before serving:\n%s", name, strings.Join(tail, "\n"))
	case <-time.After(60 * time.Second):
		tb.Fatalf("%s did not start within 60s", name)
	}
	return c
}

func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

func (c *child) stop(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatal("accord serve did not stop on SIGTERM")
	}
}

// demoToken reads the requester token --demo wrote under dir.
func demoToken(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, demoTokensFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "export ACCORD_TOKEN_REQUESTER="); ok {
			return v
		}
	}
	t.Fatal("no requester token in " + demoTokensFile)
	return ""
}

// countKinds counts the published entries of the log under dir by kind.
func countKinds(t *testing.T, dir string) map[string]int {
	t.Helper()
	ctx := context.Background()
	src, err := ledger.OpenSource(filepath.Join(dir, "log"), nil)
	if err != nil {
		return nil
	}
	raw, err := src.ReadCheckpoint(ctx)
	if err != nil {
		return nil
	}
	lines := strings.Split(string(raw), "\n")
	var size uint64
	if len(lines) > 1 {
		fmt.Sscan(lines[1], &size)
	}
	n := map[string]int{}
	err = ledger.ReadEntries(ctx, src, 0, size, func(_ uint64, leaf []byte) error {
		e, err := ledger.ParseEntry(leaf)
		if err != nil {
			return err
		}
		n[e.Kind]++
		return nil
	})
	if err != nil {
		t.Logf("read log: %v", err)
		return nil
	}
	return n
}

// TestCrashBetweenAppendAndCommit kills `accord serve` (SIGKILL) while
// decisions are logged but not yet stored, on each store, then starts it
// again: the start's reconciliation voids every decision entry that nothing
// stored, so that every decision on the log is either recorded or voided.
func TestCrashBetweenAppendAndCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts accord serve as a child process")
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			db := ""
			if kind == "postgres" {
				db = storetest.PostgresDSN(t)
			}
			c := startServeChild(t, dir, db, "--fault", faultStallBeforeRecord)
			tok := demoToken(t, dir)
			const n = 5
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for range n {
				go func() {
					req, _ := http.NewRequestWithContext(ctx, "POST", c.url+"/v1/decisions", strings.NewReader(
						`{"action":"access","data":{"dataset":"crm-eu"},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`))
					req.Header.Set("Authorization", "Bearer "+tok)
					req.Header.Set("Content-Type", "application/json")
					if resp, err := http.DefaultClient.Do(req); err == nil {
						resp.Body.Close()
					}
				}()
			}
			waitFor(t, func() bool { return countKinds(t, dir)[ledger.KindDecision] >= n })
			c.kill() // between the log append and the commit of all five

			c = startServeChild(t, dir, db)
			waitFor(t, func() bool { return countKinds(t, dir)[ledger.KindVoid] >= n })
			c.stop(t)
			checkEveryDecisionSettled(t, dir, db, n)
		})
	}
}

// checkEveryDecisionSettled reads the log and the store under dir: each
// decision entry must be recorded or voided, and want of them voided.
func checkEveryDecisionSettled(t *testing.T, dir, db string, want int) {
	t.Helper()
	ctx := context.Background()
	var st store.Store
	var err error
	if db != "" {
		st, err = postgres.Open(ctx, db)
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lg, err := ledger.Open(ctx, filepath.Join(dir, "log"), ledger.Options{Origin: demoLogOrigin})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	size, err := lg.PublishedSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := st.RecordedIndexes(ctx, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	isRecorded := map[uint64]bool{}
	for _, i := range recorded {
		isRecorded[i] = true
	}
	voidedOnLog := map[uint64]bool{}
	var decisions []uint64
	err = lg.Entries(ctx, 0, size, func(i uint64, e ledger.Entry) error {
		switch e.Kind {
		case ledger.KindDecision:
			decisions = append(decisions, i)
		case ledger.KindVoid:
			voidedOnLog[*e.Refers] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	voided := 0
	checkedReceipt := false
	for _, i := range decisions {
		inStore, err := st.Voided(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case isRecorded[i] && !voidedOnLog[i]:
		case voidedOnLog[i] && inStore:
			voided++
			if !checkedReceipt {
				// No receipt is issued for a voided decision.
				checkedReceipt = true
				out, code := runAccord(t, "log", "receipt", "--index", fmt.Sprint(i), "--data", dir)
				if code == 0 || !strings.Contains(out, "voided by entry") {
					t.Errorf("accord log receipt --index %d (voided): exit %d: %s", i, code, out)
				}
			}
		default:
			t.Errorf("decision entry %d: recorded %v, void on the log %v, void in the store %v", i, isRecorded[i], voidedOnLog[i], inStore)
		}
	}
	if voided != want {
		t.Errorf("%d decisions voided, want %d", voided, want)
	}
}
