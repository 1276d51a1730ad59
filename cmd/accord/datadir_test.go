package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/postgres"
	"github.com/accord-dev/accord/internal/store/sqlite"
	"github.com/accord-dev/accord/internal/store/storetest"
)

// helperArgsEnv carries the command line of a child accord process run by
// TestAccordHelperProcess (JSON array).
const helperArgsEnv = "ACCORD_TEST_HELPER_ARGS"

// TestAccordHelperProcess is not a test: it is the body of a child process
// that runs one accord command line, so that tests can run a real second
// process against a data directory.
func TestAccordHelperProcess(t *testing.T) {
	raw := os.Getenv(helperArgsEnv)
	if raw == "" {
		t.Skip("runs only as a child process of another test")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		os.Exit(99)
	}
	rootCmd.SetArgs(args)
	os.Exit(run())
}

// runChild runs accord with args in a new process and returns its combined
// output and exit code.
func runChild(t *testing.T, args ...string) (string, int) {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestAccordHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperArgsEnv+"="+string(raw), "ACCORD_LANG=en")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	}
	t.Fatalf("run child %v: %v", args, err)
	return "", 0
}

// runAccordCtx is runAccord with a context: serve returns once ctx is done.
func runAccordCtx(t *testing.T, ctx context.Context, args ...string) (string, int) {
	t.Helper()
	var out syncBuffer
	prev := routeTesseraLogs
	routeTesseraLogs = func(*slog.Logger) {}
	defer func() { routeTesseraLogs = prev }()
	resetFlags(rootCmd)
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	rootCmd.SetArgs(args)
	defer rootCmd.SetArgs(nil)
	err := rootCmd.ExecuteContext(ctx)
	if err == nil {
		return out.String(), exitOK
	}
	var ec *exitCodeError
	if errors.As(err, &ec) {
		return out.String() + err.Error(), ec.code
	}
	return out.String() + err.Error(), exitError
}

// serveOnce starts serve on dir and stops it as soon as it serves (or
// returns what it said when it refused to start): a first start, or a
// restart.
func serveOnce(t *testing.T, dir string, extra ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	prev := routeTesseraLogs
	routeTesseraLogs = func(*slog.Logger) {}
	defer func() { routeTesseraLogs = prev }()
	resetFlags(rootCmd)
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	rootCmd.SetArgs(append(append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--drain", "1s"}, firstStartOrigin(dir)...), extra...))
	defer rootCmd.SetArgs(nil)
	done := make(chan error, 1)
	go func() { done <- rootCmd.ExecuteContext(ctx) }()
	var err error
	select {
	case err = <-done:
	case <-waitServing(&out):
		cancel()
		err = <-done
	case <-time.After(30 * time.Second):
		t.Fatalf("serve neither served nor ended:\n%s", out.String())
	}
	if err == nil {
		return out.String(), exitOK
	}
	var ec *exitCodeError
	if errors.As(err, &ec) {
		return out.String() + err.Error(), ec.code
	}
	return out.String() + err.Error(), exitError
}

// waitServing closes its channel once out shows the "accord serving" line.
func waitServing(out *syncBuffer) <-chan struct{} {
	c := make(chan struct{})
	go func() {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if strings.Contains(out.String(), `"msg":"accord serving"`) {
				close(c)
				return
			}
		}
	}()
	return c
}

// TestDataLockInProcess: a second lock on a locked directory fails at once,
// naming the holder's PID and what to do; released, it can be taken again.
func TestDataLockInProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	l, err := lockData(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, lockFileName))
	if err != nil || strings.TrimSpace(string(raw)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("LOCK holds %q (%v), want this PID %d", raw, err, os.Getpid())
	}
	start := time.Now()
	_, err = lockData(dir)
	if !errors.Is(err, errDataInUse) {
		t.Fatalf("second lock: %v, want errDataInUse", err)
	}
	for _, want := range []string{"process " + strconv.Itoa(os.Getpid()), "stop it, or use a different --data", dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second lock: %q does not say %q", err, want)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("second lock waited %s; it must fail at once", d)
	}
	// Another spelling of the same directory is the same lock.
	link := filepath.Join(t.TempDir(), "alias")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for _, alias := range []string{link, dir + "/", dir + "/../data"} {
		if _, err := lockData(alias); !errors.Is(err, errDataInUse) {
			t.Errorf("lock through %s: %v, want errDataInUse", alias, err)
		}
	}
	l.release()
	l2, err := lockData(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.release()
}

// TestSecondWriterRefused runs a server and tries every other writer
// against its --data, in this process and in a real second process: each
// exits non-zero naming the server's PID and changes nothing. Readers
// still work.
func TestSecondWriterRefused(t *testing.T) {
	dir := t.TempDir()
	srv := startDemo(t, dir)
	pid := strconv.Itoa(os.Getpid())
	// Let the demo's decision reach the log so that readers have something.
	if code := srv.call(t, "POST", "/v1/decisions", "REQUESTER", `{"action":"access","data":{"location":"FR","categories":["personal.contact"],"subjects":{"FR":1}},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`, nil); code != 201 {
		t.Fatalf("decision: %d", code)
	}
	logSize := func() uint64 {
		n, err := logSizeOnDisk(filepath.Join(dir, "log"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, func() bool { return logSize() >= 1 })
	before := logSize()

	writers := [][]string{
		{"serve", "--data", dir, "--addr", "127.0.0.1:0"},
		{"demo", "--data", dir},
		{"token", "create", "--data", dir, "--principal", "acme", "--api-role", "requester"},
		{"token", "revoke", "--data", dir, "tok-0123456789ab"},
		{"mla", "open", "MLA-1", "--data", dir, "--as", "fr-bepi", "--to", "CN", "--provider", "mailco-cn"},
		{"mla", "receive", "MLA-1", "--data", dir, "--as", "cn-moj"},
	}
	for _, args := range writers {
		name := strings.Join(args[:2], " ")
		t.Run("in-process "+name, func(t *testing.T) {
			out, code := runAccordCtx(t, context.Background(), args...)
			if code == exitOK || !strings.Contains(out, "held by process "+pid) || !strings.Contains(out, "stop it, or use a different --data") {
				t.Errorf("exit %d: %s\nwant a refusal naming PID %s", code, out, pid)
			}
		})
		t.Run("second process "+name, func(t *testing.T) {
			start := time.Now()
			out, code := runChild(t, args...)
			if code == exitOK || !strings.Contains(out, "held by process "+pid) {
				t.Errorf("exit %d: %s\nwant a refusal naming PID %s", code, out, pid)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("refusal took %s; it must be at once", d)
			}
		})
	}
	if got := logSize(); got != before {
		t.Errorf("the log grew from %d to %d under refused writers", before, got)
	}
	if _, err := os.Stat(filepath.Join(dir, "mla", "cases", "MLA-1.json")); err == nil {
		t.Error("a refused mla open stored its case")
	}

	// Readers take no lock.
	vkey, code := runChild(t, "log", "key", "--data", dir)
	if code != 0 {
		t.Fatalf("log key while serving: exit %d: %s", code, vkey)
	}
	readers := [][]string{
		{"token", "list", "--data", dir},
		{"log", "verify", filepath.Join(dir, "log"), "--key", strings.TrimSpace(vkey)},
		{"log", "checkpoint", "--data", dir},
		{"report", "transparency", "--period", "all", "--format", "json", "--data", dir},
		{"mla", "list", "--data", dir},
	}
	for _, args := range readers {
		if out, code := runChild(t, args...); code != 0 {
			t.Errorf("%v while serving: exit %d: %s", args, code, out)
		}
	}

	// Once the server stops, the lock is free.
	srv.stop()
	l, err := lockData(dir)
	if err != nil {
		t.Fatalf("lock after the server stopped: %v", err)
	}
	l.release()
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 10s")
}

// TestDataTypoRefused: every command but serve, demo and mla open refuses
// a --data that holds no Accord data, naming it, and creates nothing there;
// serve and demo start a new world in it.
func TestDataTypoRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "acord-dta")
	cmds := [][]string{
		{"token", "create", "--principal", "acme", "--api-role", "requester", "--kind", "company", "--jurisdiction", "FR"},
		{"token", "list"},
		{"token", "revoke", "tok-0123456789ab"},
		{"mla", "receive", "MLA-1", "--as", "cn-moj"},
		{"mla", "list"},
		{"mla", "show", "MLA-1"},
		{"log", "key"},
		{"log", "checkpoint"},
		{"log", "receipt", "--index", "0"},
		{"log", "serve", "--addr", "127.0.0.1:0"},
		{"report", "transparency", "--period", "all"},
	}
	for _, args := range cmds {
		out, code := runAccord(t, append(args, "--data", dir)...)
		if code != exitBadInput || !strings.Contains(out, "--data "+dir+" holds no Accord data") {
			t.Errorf("%v: exit %d %q, want 2 naming the directory", args, code, out)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%v created %s", args, dir)
		}
	}
	// First starts.
	if out, code := serveOnce(t, dir); code != exitOK {
		t.Fatalf("first start of serve: exit %d: %s", code, out)
	}
	if out, code := runAccord(t, "token", "list", "--data", dir); code != exitOK {
		t.Errorf("token list after serve created the world: exit %d: %s", code, out)
	}
	demo := filepath.Join(t.TempDir(), "demo")
	if out, code := runAccord(t, "demo", "--data", demo); code != exitOK {
		t.Errorf("demo in a new directory: exit %d: %s", code, out)
	}
}

// TestDataHalvesRefused: a database without its log, a log without its
// database, and a log older than its database are refused at start by
// serve (and by the other writers), naming the missing half; a first start
// (both absent) and a restart (both present) are not.
func TestDataHalvesRefused(t *testing.T) {
	ctx := context.Background()
	// A world with one decision recorded at log index 0, as serve leaves it.
	world := func(t *testing.T) string {
		dir := newWorld(t)
		lg, err := ledger.Open(ctx, filepath.Join(dir, "log"), ledger.Options{CheckpointInterval: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		idx, err := lg.Append(ctx, ledger.Entry{Kind: ledger.KindDecision, Outcome: "allow", Time: time.Now().UTC().Truncate(time.Second), RecordHash: strings.Repeat("0", 64), Version: ledger.EntryVersion})
		if err != nil {
			t.Fatal(err)
		}
		if err := lg.Close(); err != nil {
			t.Fatal(err)
		}
		st, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.RecordDecision(ctx, store.DecisionRecord{ID: "dec-0123456789abcdef", LogIndex: idx, Principal: "acme", Outcome: model.Allow, Private: []byte("{}"), Salt: make([]byte, 16), Created: time.Now()}, nil); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	t.Run("restart", func(t *testing.T) {
		dir := world(t)
		if out, code := serveOnce(t, dir); code != exitOK {
			t.Fatalf("restart: exit %d: %s", code, out)
		}
	})
	t.Run("database without its log", func(t *testing.T) {
		dir := world(t)
		if err := os.RemoveAll(filepath.Join(dir, "log")); err != nil {
			t.Fatal(err)
		}
		out, code := serveOnce(t, dir)
		if code != exitBadInput || !strings.Contains(out, "but there is no log under "+dir) || !strings.Contains(out, "restored without its log") {
			t.Errorf("serve: exit %d: %s", code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "log")); err == nil {
			t.Error("serve created a new log beside the database")
		}
		out, code = runAccord(t, "token", "create", "--principal", "acme", "--api-role", "requester", "--data", dir)
		if code != exitBadInput || !strings.Contains(out, "but there is no log under") {
			t.Errorf("token create: exit %d: %s", code, out)
		}
		out, code = runAccord(t, "mla", "open", "MLA-1", "--as", "fr-bepi", "--to", "CN", "--provider", "mailco-cn", "--data", dir)
		if code != exitBadInput || !strings.Contains(out, "holds the database (accord.db) but no log (log/)") {
			t.Errorf("mla open: exit %d: %s", code, out)
		}
	})
	t.Run("database with nothing logged yet, no log", func(t *testing.T) {
		// As a token created before the first start of serve leaves it.
		dir := t.TempDir()
		st, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		if out, code := runAccord(t, "token", "create", "--principal", "acme", "--api-role", "requester", "--kind", "company", "--jurisdiction", "FR", "--data", dir); code != exitOK {
			t.Errorf("token create: exit %d: %s", code, out)
		}
		if out, code := serveOnce(t, dir); code != exitOK {
			t.Errorf("serve: exit %d: %s", code, out)
		}
	})
	t.Run("log without its database", func(t *testing.T) {
		dir := world(t)
		for _, f := range []string{"accord.db", "accord.db-wal", "accord.db-shm"} {
			os.Remove(filepath.Join(dir, f))
		}
		out, code := serveOnce(t, dir)
		if code != exitBadInput || !strings.Contains(out, "entries (log/) but no database (accord.db)") {
			t.Errorf("serve: exit %d: %s", code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "accord.db")); err == nil {
			t.Error("serve created an empty database beside the log")
		}
		out, code = runAccord(t, "token", "create", "--principal", "acme", "--api-role", "requester", "--data", dir)
		if code != exitBadInput || !strings.Contains(out, "but no database (accord.db)") {
			t.Errorf("token create: exit %d: %s", code, out)
		}
	})
	t.Run("log older than its database", func(t *testing.T) {
		dir := world(t)
		st, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
		if err != nil {
			t.Fatal(err)
		}
		err = st.RecordDecision(ctx, store.DecisionRecord{ID: "dec-fedcba9876543210", LogIndex: 1000, Principal: "acme", Outcome: model.Allow, Private: []byte("{}"), Salt: make([]byte, 16), Created: time.Now()}, nil)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		out, code := serveOnce(t, dir)
		if code != exitBadInput || !strings.Contains(out, "records log entries up to index 1000 but the log under "+dir+" holds only") {
			t.Errorf("serve: exit %d: %s", code, out)
		}
	})
}

// TestDataHalvesRefusedPostgres: with --db, the database half is the
// PostgreSQL one. A log of entries beside an empty database, and a
// database with decisions beside no log, are refused.
func TestDataHalvesRefusedPostgres(t *testing.T) {
	schemaDSN := storetest.PostgresDSN
	ctx := context.Background()

	t.Run("first start, then restart", func(t *testing.T) {
		db, dir := schemaDSN(t), t.TempDir()
		for i := 0; i < 2; i++ {
			if out, code := serveOnce(t, dir, "--db", db); code != exitOK {
				t.Fatalf("start %d: exit %d: %s", i, code, out)
			}
		}
	})
	t.Run("log beside an empty database", func(t *testing.T) {
		dir := t.TempDir()
		lg, err := ledger.Open(ctx, filepath.Join(dir, "log"), ledger.Options{CheckpointInterval: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lg.Append(ctx, ledger.Entry{Kind: ledger.KindDecision, Outcome: "allow", Time: time.Now().UTC().Truncate(time.Second), RecordHash: strings.Repeat("0", 64), Version: ledger.EntryVersion}); err != nil {
			t.Fatal(err)
		}
		lg.Close()
		out, code := serveOnce(t, dir, "--db", schemaDSN(t))
		if code != exitBadInput || !strings.Contains(out, "holds 1 entry but the PostgreSQL database (--db) is empty") {
			t.Errorf("serve: exit %d: %s", code, out)
		}
	})
	t.Run("database with decisions and no log", func(t *testing.T) {
		db, dir := schemaDSN(t), t.TempDir()
		st, err := postgres.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		err = st.RecordDecision(ctx, store.DecisionRecord{ID: "dec-0123456789abcdef", LogIndex: 4, Principal: "acme", Outcome: model.Allow, Private: []byte("{}"), Salt: make([]byte, 16), Created: time.Now()}, nil)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		out, code := serveOnce(t, dir, "--db", db)
		if code != exitBadInput || !strings.Contains(out, "the PostgreSQL database (--db) records log entries up to index 4 but there is no log") {
			t.Errorf("serve: exit %d: %s", code, out)
		}
	})
}

// newWorld returns a data directory as a first start of serve leaves it:
// an empty database and an empty log.
func newWorld(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, code := serveOnce(t, dir); code != exitOK {
		t.Fatalf("first start of serve: exit %d: %s", code, out)
	}
	return dir
}
