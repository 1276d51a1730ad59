package ledger

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
)

// TestTesseraClientAgainstHandler fetches the log over HTTP with Tessera's
// own client package, which knows nothing of Accord: it verifies the
// checkpoint, builds an inclusion proof from the tiles, and checks that the
// entry bundle holds the leaf proven.
func TestTesseraClientAgainstHandler(t *testing.T) {
	l, _ := openTest(t, testOptions())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var idx uint64
	for i := range 300 {
		j, err := l.Append(ctx, mustDecisionEntry(t, i))
		if err != nil {
			t.Fatal(err)
		}
		if i == 270 {
			idx = j
		}
	}
	r, err := l.Receipt(ctx, 299) // wait until a checkpoint covers everything
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/log", l.Handler()))
	defer srv.Close()
	u, err := url.Parse(srv.URL + "/log/")
	if err != nil {
		t.Fatal(err)
	}
	f, err := client.NewHTTPFetcher(u, srv.Client())
	if err != nil {
		t.Fatal(err)
	}

	cp, _, _, err := client.FetchCheckpoint(ctx, f.ReadCheckpoint, l.Verifier(), l.Origin())
	if err != nil {
		t.Fatalf("FetchCheckpoint: %v", err)
	}
	if cp.Size < 300 {
		t.Fatalf("checkpoint size %d, want at least 300", cp.Size)
	}
	pb, err := client.NewProofBuilder(ctx, cp.Size, f.ReadTile)
	if err != nil {
		t.Fatal(err)
	}
	ip, err := pb.InclusionProof(ctx, idx)
	if err != nil {
		t.Fatalf("InclusionProof: %v", err)
	}
	bundle, err := client.GetEntryBundle(ctx, f.ReadEntryBundle, idx/layout.EntryBundleWidth, cp.Size)
	if err != nil {
		t.Fatalf("GetEntryBundle: %v", err)
	}
	leaf := bundle.Entries[idx%layout.EntryBundleWidth]
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, idx, cp.Size, rfc6962.DefaultHasher.HashLeaf(leaf), ip, cp.Hash); err != nil {
		t.Fatalf("VerifyInclusion: %v", err)
	}
	if _, err := ParseEntry(leaf); err != nil {
		t.Fatalf("leaf is not an Accord entry: %v", err)
	}

	// An Accord receipt and the whole-log audit work over HTTP too.
	if err := VerifyReceipt(r, l.Verifier(), ""); err != nil {
		t.Fatal(err)
	}
	src, err := OpenSource(u.String(), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, src, l.Verifier(), "", VerifyOptions{CheckEntries: true}); err != nil {
		t.Fatalf("Verify over HTTP: %v", err)
	}
	hr, err := ReceiptFrom(ctx, src, l.Verifier(), "", idx)
	if err != nil {
		t.Fatalf("ReceiptFrom over HTTP: %v", err)
	}
	if !bytes.Equal(hr.LeafHash, rfc6962.DefaultHasher.HashLeaf(leaf)) {
		t.Fatal("receipt over HTTP is for another leaf")
	}
}

func TestHandlerPathsAndHeaders(t *testing.T) {
	f := newFixture(t, 300)
	h := NewHandler(f.dir)
	tests := []struct {
		method, path string
		status       int
		cache        string
	}{
		{"GET", "/checkpoint", 200, cacheCheckpoint},
		{"HEAD", "/checkpoint", 200, cacheCheckpoint},
		{"GET", "/tile/0/000", 200, cacheFull},
		{"GET", "/tile/0/001.p/44", 200, cachePartial},
		{"GET", "/tile/1/000.p/1", 200, cachePartial},
		{"GET", "/tile/entries/000", 200, cacheFull},
		{"GET", "/tile/entries/001.p/44", 200, cachePartial},
		{"GET", "/tile/entries/002", 404, ""},
		{"GET", "/tile/0/0", 404, ""},           // not canonical
		{"GET", "/tile/0/x000/000", 404, ""},    // not canonical
		{"GET", "/tile/0/000.p/0", 404, ""},     // width out of range
		{"GET", "/tile/64/000", 404, ""},        // level out of range
		{"GET", "/.state/treeState", 404, ""},   // private state
		{"GET", "/../keys/log.key", 404, ""},    // outside the log
		{"GET", "/tile/../checkpoint", 404, ""}, // traversal
		{"GET", "/", 404, ""},
		{"POST", "/checkpoint", 405, ""},
		{"PUT", "/tile/0/000", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://log.example"+tt.path, nil)
			req.URL.Path = tt.path // keep ".." as sent by a hostile client
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tt.status, strings.TrimSpace(w.Body.String()))
			}
			if got := w.Header().Get("Cache-Control"); tt.cache != "" && got != tt.cache {
				t.Fatalf("Cache-Control %q, want %q", got, tt.cache)
			}
		})
	}
}
