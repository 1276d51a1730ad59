package ledger

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashChildEnv, when set to a log directory, turns the test binary into the
// crash test's child: it appends decisions concurrently to that log and
// prints "<index> <record_hash>" for every append acknowledged, until killed.
const crashChildEnv = "ACCORD_LEDGER_CRASH_CHILD"

func TestMain(m *testing.M) {
	// Keep Tessera's informational messages out of test and benchmark
	// output (warnings and errors still show), and capture them for
	// TestRouteTesseraLogs. klog's logger may only be set before any log
	// goroutine runs, so it is set once, here.
	RouteTesseraLogs(slog.New(tesseraLogs))
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir))
	}
	code := m.Run()
	removeAuditFixtures()
	os.Exit(code)
}

// crashChild appends until killed. Each line is written with one unbuffered
// write after Append returned, so a line the parent reads is an index that
// was acknowledged to a caller.
func crashChild(dir string) int {
	l, err := Open(context.Background(), dir, testOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				e, _, err := DecisionEntry(sampleRequest(w*1_000_000+i), sampleDecision())
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(1)
				}
				idx, err := l.Append(context.Background(), e)
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(1)
				}
				line := fmt.Sprintf("%d %s\n", idx, e.RecordHash)
				mu.Lock()
				_, err = os.Stdout.WriteString(line)
				mu.Unlock()
				if err != nil {
					os.Exit(1)
				}
			}
		}()
	}
	wg.Wait()
	return 0
}

// TestCrashKeepsAcknowledgedEntries kills a process appending concurrently
// with SIGKILL mid-load, reopens the log, and checks that every index that
// was acknowledged holds the entry acknowledged, and that the log verifies.
func TestCrashKeepsAcknowledgedEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs a child process")
	}
	dir := filepath.Join(t.TempDir(), "log")
	for round := range 2 { // crash twice: the second time, on a reopened log
		acked := crashOnce(t, dir, 1500*(round+1))
		if len(acked) == 0 {
			t.Fatal("the child acknowledged nothing")
		}

		l, err := Open(context.Background(), dir, testOptions())
		if err != nil {
			t.Fatalf("reopen after SIGKILL: %v", err)
		}
		var maxIdx uint64
		for idx := range acked {
			maxIdx = max(maxIdx, idx)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := l.Receipt(ctx, maxIdx)
		cancel()
		if err != nil {
			t.Fatalf("receipt for the last acknowledged index %d: %v", maxIdx, err)
		}
		cp, err := ParseCheckpoint([]byte(r.Checkpoint), l.Verifier(), "")
		if err != nil {
			t.Fatal(err)
		}
		for idx, hash := range acked {
			leaf, err := readEntry(context.Background(), l.Source(), idx, cp.Size)
			if err != nil {
				t.Fatalf("acknowledged index %d lost: %v", idx, err)
			}
			e, err := ParseEntry(leaf)
			if err != nil {
				t.Fatalf("entry %d: %v", idx, err)
			}
			if e.RecordHash != hash {
				t.Fatalf("entry %d holds record %s, the child was acknowledged %s", idx, e.RecordHash, hash)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		src, err := OpenSource(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		vcp, err := Verify(context.Background(), src, l.Verifier(), "", VerifyOptions{CheckEntries: true})
		if err != nil {
			t.Fatalf("verify after crash: %v", err)
		}
		t.Logf("round %d: %d acknowledged, max index %d, log verified at size %d", round, len(acked), maxIdx, vcp.Size)
	}
}

// crashOnce runs the child on dir until it has acknowledged at least n
// appends, kills it with SIGKILL, and returns the acknowledged indexes with
// their record hashes.
func crashOnce(t *testing.T, dir string, n int) map[uint64]string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]string{}
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(30 * time.Second)
	killed := false
	for sc.Scan() {
		idx, hash, ok := strings.Cut(sc.Text(), " ")
		if !ok || len(hash) != 64 {
			continue // a line cut by the kill: not an acknowledgement we saw whole
		}
		i, err := strconv.ParseUint(idx, 10, 64)
		if err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
		if prev, dup := acked[i]; dup {
			t.Fatalf("index %d acknowledged twice (%s, %s)", i, prev, hash)
		}
		acked[i] = hash
		if !killed && (len(acked) >= n || time.Now().After(deadline)) {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited on its own: %v\n%s", err, stderr.String())
	}
	return acked
}
