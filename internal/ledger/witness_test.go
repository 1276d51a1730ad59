package ledger

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	f_note "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// fakeWitness is a minimal C2SP tlog-witness: it cosigns every checkpoint
// posted to /add-checkpoint (it does not check consistency, which a real
// witness does).
type fakeWitness struct {
	srv      *httptest.Server
	vkey     string // cosignature/v1 verifier key, for the policy
	verifier note.Verifier
	calls    atomic.Int64
	fail     bool
}

func newFakeWitness(t *testing.T, name string, fail bool) *fakeWitness {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := f_note.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	cvkey, err := f_note.VKeyToCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	w := &fakeWitness{vkey: cvkey, verifier: signer.Verifier(), fail: fail}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.calls.Add(1)
		if r.URL.Path != "/add-checkpoint" || r.Method != http.MethodPost {
			http.NotFound(rw, r)
			return
		}
		if w.fail {
			http.Error(rw, "witness down", http.StatusInternalServerError)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		// Body: "old N\n", proof lines, a blank line, then the signed checkpoint.
		_, cp, ok := bytes.Cut(body, []byte("\n\n"))
		if !ok {
			http.Error(rw, "no checkpoint", http.StatusBadRequest)
			return
		}
		text, _, ok := bytes.Cut(cp, []byte("\n\n"))
		if !ok {
			http.Error(rw, "checkpoint has no signatures", http.StatusBadRequest)
			return
		}
		signed, err := note.Sign(&note.Note{Text: string(text) + "\n"}, signer)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		rw.Write(signed[len(text)+2:]) // just the signature line
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func TestWitnessCosignsCheckpoints(t *testing.T) {
	w1 := newFakeWitness(t, "witness.de.example", false)
	w2 := newFakeWitness(t, "witness.za.example", false)
	policy := fmt.Sprintf("# two states witness the French log\nwitness de %s %s\nwitness za %s %s\ngroup both all de za\nquorum both\n",
		w1.vkey, w1.srv.URL, w2.vkey, w2.srv.URL)
	o := testOptions()
	o.WitnessPolicy = []byte(policy)
	l, _ := openTest(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	idx, err := l.Append(ctx, mustDecisionEntry(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Receipt(ctx, idx)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyReceipt(r, l.Verifier(), ""); err != nil {
		t.Fatalf("a cosigned checkpoint must still verify with the log key alone: %v", err)
	}
	n, err := note.Open([]byte(r.Checkpoint), note.VerifierList(l.Verifier(), w1.verifier, w2.verifier))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Sigs) != 3 {
		t.Fatalf("checkpoint has %d verified signatures, want the log's and two witnesses'", len(n.Sigs))
	}
	if w1.calls.Load() == 0 || w2.calls.Load() == 0 {
		t.Fatal("a witness was never asked")
	}
}

func TestWitnessDownBlocksPublication(t *testing.T) {
	down := newFakeWitness(t, "witness.down.example", true)
	o := testOptions()
	o.WitnessPolicy = []byte(fmt.Sprintf("witness w %s %s\nquorum w\n", down.vkey, down.srv.URL))
	o.WitnessTimeout = 500 * time.Millisecond
	dir := filepath.Join(t.TempDir(), "log")
	l, err := Open(context.Background(), dir, o)
	if err == nil {
		l.Close()
		t.Fatal("a new log published its first checkpoint although its only witness refused to cosign")
	}
	if !strings.Contains(err.Error(), "witness") && !strings.Contains(err.Error(), "policy") {
		t.Fatalf("error does not say the witness failed: %v", err)
	}
}

func TestParseWitnessPolicy(t *testing.T) {
	w := newFakeWitness(t, "witness.example", false)
	tests := []struct {
		name, policy, want string
	}{
		{"one witness", fmt.Sprintf("witness w1 %s https://w1.example/\nquorum w1\n", w.vkey), ""},
		{"group of two", fmt.Sprintf("witness a %s https://a.example\nwitness b %s https://b.example\ngroup g 1 a b\nquorum g\n", w.vkey, w.vkey), ""},
		{"log line ignored", fmt.Sprintf("log %s\nwitness a %s https://a.example\nquorum a\n", w.vkey, w.vkey), ""},
		{"quorum none", "quorum none\n", ""},
		{"no quorum", fmt.Sprintf("witness w1 %s https://w1.example/\n", w.vkey), "quorum"},
		{"unknown member", "group g all nobody\nquorum g\n", "unknown component"},
		{"bad key", "witness w1 not-a-key https://w1.example/\nquorum w1\n", "invalid witness config"},
		{"threshold too high", fmt.Sprintf("witness a %s https://a.example\ngroup g 2 a\nquorum g\n", w.vkey), "threshold"},
		{"unknown keyword", "trust everyone\n", "unknown keyword"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWitnessPolicy([]byte(tt.policy))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ParseWitnessPolicy: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseWitnessPolicy: %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}
