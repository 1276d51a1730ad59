package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/accord-dev/accord/internal/ledger"
)

// witnessModule is the transparency-dev witness, at a pinned version (it
// has no tags; this is the pseudo-version of its main branch of 20 July
// 2026). TestWitnessInterop builds its omniwitness and generate_keys
// commands through the Go module proxy.
const witnessModule = "github.com/transparency-dev/witness"
const witnessVersion = "v0.0.0-20260720115447-2e1c6971d19e"

// buildWitness installs the witness's commands into a temporary directory
// and returns it. Without network access to the module proxy the test is
// skipped, saying so, unless ACCORD_TEST_WITNESS=require (as in CI).
func buildWitness(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: TestWitnessInterop builds " + witnessModule)
	}
	bin := t.TempDir()
	cmd := exec.Command("go", "install",
		witnessModule+"/cmd/omniwitness@"+witnessVersion,
		witnessModule+"/cmd/generate_keys@"+witnessVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot build %s@%s with go install: %v\n%s", witnessModule, witnessVersion, err, out)
		if os.Getenv("ACCORD_TEST_WITNESS") == "require" {
			t.Fatal(msg)
		}
		t.Skip(msg + "(set ACCORD_TEST_WITNESS=require to make this a failure)")
	}
	return bin
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestWitnessInterop runs a witness no one here wrote — the
// transparency-dev omniwitness, with a key made by its own generate_keys —
// against an Accord log: accord serve --witness-policy publishes only
// checkpoints the witness cosigned, the cosignature satisfies the policy,
// and a split view (another checkpoint of the same size, properly signed
// by the log's key) is refused by the witness.
func TestWitnessInterop(t *testing.T) {
	bin := buildWitness(t)
	work := t.TempDir()

	// The witness's key, in the signed-note format, by the witness's tool.
	wkey, wpub := filepath.Join(work, "witness.key"), filepath.Join(work, "witness.pub")
	if out, err := exec.Command(filepath.Join(bin, "generate_keys"), "--origin", "witness.test.example",
		"--out_priv", wkey, "--out_pub", wpub).CombinedOutput(); err != nil {
		t.Fatalf("generate_keys: %v\n%s", err, out)
	}
	wvkey, err := os.ReadFile(wpub)
	if err != nil {
		t.Fatal(err)
	}

	// The Accord log: a first start makes it and its key.
	dir := t.TempDir()
	startDemo(t, dir).stop()
	vkeyRaw, err := os.ReadFile(filepath.Join(dir, "keys", "log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	vkey := strings.TrimSpace(string(vkeyRaw))
	origin, _, _ := strings.Cut(vkey, "+")

	// The witness follows this one log (no feeder: the log pushes to it).
	logs := fmt.Sprintf("Logs:\n  - Origin: %s\n    URL: https://accord.example/log/\n    PublicKey: %s\n    Feeder: none\n", origin, vkey)
	logsFile := filepath.Join(work, "logs.yaml")
	if err := os.WriteFile(logsFile, []byte(logs), 0o644); err != nil {
		t.Fatal(err)
	}
	waddr := freeAddr(t)
	var wlog bytes.Buffer
	wcmd := exec.Command(filepath.Join(bin, "omniwitness"), "--listen", waddr, "--metrics_listen", "",
		"--private_key_path", wkey, "--additional_logs", logsFile, "--db_file", filepath.Join(work, "witness.db"))
	wcmd.Stdout, wcmd.Stderr = &wlog, &wlog
	if err := wcmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wcmd.Process.Kill(); _ = wcmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", waddr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the witness did not listen on %s:\n%s", waddr, wlog.String())
		}
	}
	witnessURL := "http://" + waddr

	// The operator's policy: this witness must cosign.
	policy := fmt.Sprintf("witness w1 %s %s\nquorum w1\n", strings.TrimSpace(string(wvkey)), witnessURL)
	policyFile := filepath.Join(work, "witnesses.txt")
	if err := os.WriteFile(policyFile, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	wg, err := ledger.ParseWitnessPolicy([]byte(policy))
	if err != nil {
		t.Fatal(err)
	}

	s := startDemo(t, dir, "--witness-policy", policyFile)
	var posted struct {
		Decision struct {
			ID string `json:"id"`
		} `json:"decision"`
	}
	if st := s.call(t, "POST", "/v1/decisions", "REQUESTER",
		`{"action":"transfer","data":{"dataset":"crm-eu"},"destination":"US","purpose":"commercial","basis":{"kind":"contract","measures":["scc"]}}`, &posted); st != http.StatusCreated {
		t.Fatalf("decision: %d\n%s", st, s.stderr.String())
	}
	var rec struct {
		Receipt *ledger.Receipt `json:"receipt"`
	}
	d := posted.Decision
	if st := s.call(t, "GET", "/v1/decisions/"+d.ID+"?wait=20s", "AUDITOR", "", &rec); st != http.StatusOK || rec.Receipt == nil {
		t.Fatalf("no receipt: the log published no checkpoint covering the decision (status %d)\nserver:\n%s\nwitness:\n%s", st, s.stderr.String(), wlog.String())
	}
	cp := []byte(rec.Receipt.Checkpoint)
	if !wg.Satisfied(cp) {
		t.Fatalf("the published checkpoint does not satisfy the witness policy:\n%s", cp)
	}
	// A control: the same checkpoint with only the log's signature does
	// not satisfy it, so Satisfied is not vacuous.
	logOnly := onlySignaturesOf(t, cp, origin)
	if wg.Satisfied(logOnly) {
		t.Fatalf("a checkpoint without the witness's line satisfies the policy:\n%s", logOnly)
	}
	// The receipt with its cosigned checkpoint still verifies offline.
	v, err := ledger.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.ParseCheckpoint(cp, v, ""); err != nil {
		t.Fatalf("the cosigned checkpoint does not verify with the log key: %v", err)
	}
	s.stop()

	// Split view: the log's key signs another tree of the size the witness
	// holds. The witness refuses it (422: same size, different root).
	status, body := addCheckpoint(t, witnessURL, 0, logOnly) // ask the witness which size it holds
	if status != http.StatusConflict {
		t.Fatalf("add-checkpoint with old 0: status %d %q, want 409 naming the size the witness holds", status, body)
	}
	var held uint64
	if _, err := fmt.Sscanf(string(body), "%d", &held); err != nil || held == 0 {
		t.Fatalf("the witness holds size %q", body)
	}
	forged := forgeCheckpoint(t, dir, origin, held)
	status, body = addCheckpoint(t, witnessURL, held, forged)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("a second checkpoint of size %d: status %d %q, want 422 (root mismatch)\n%s", held, status, body, forged)
	}
	// Nor does the forged checkpoint satisfy the policy anywhere.
	if wg.Satisfied(forged) {
		t.Fatal("a checkpoint the witness never cosigned satisfies the policy")
	}
}

// onlySignaturesOf returns the note cp with only the signature lines of
// the key named name.
func onlySignaturesOf(t *testing.T, cp []byte, name string) []byte {
	t.Helper()
	text, sigs, ok := bytes.Cut(cp, []byte("\n\n"))
	if !ok {
		t.Fatalf("not a signed note:\n%s", cp)
	}
	var out bytes.Buffer
	out.Write(text)
	out.WriteString("\n\n")
	for _, line := range strings.SplitAfter(string(sigs), "\n") {
		if strings.HasPrefix(line, "— "+name+" ") {
			out.WriteString(line)
		}
	}
	return out.Bytes()
}

// forgeCheckpoint signs, with the log's own key, a checkpoint of size with
// a root no honest log of that size has: what an operator showing a split
// view would send.
func forgeCheckpoint(t *testing.T, dir, origin string, size uint64) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "keys", "log.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	root := sha256.Sum256([]byte("a different tree"))
	msg, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// addCheckpoint sends a C2SP tlog-witness add-checkpoint request with an
// empty consistency proof.
func addCheckpoint(t *testing.T, witnessURL string, old uint64, cp []byte) (int, []byte) {
	t.Helper()
	body := fmt.Sprintf("old %d\n\n%s", old, cp)
	resp, err := http.Post(witnessURL+"/add-checkpoint", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
