package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// TestOneDecisionRepresentation: POST /v1/decisions answers the
// representation GET /v1/decisions/{id} answers (less the receipt, which
// comes once a checkpoint covers the entry), on each store.
func TestOneDecisionRepresentation(t *testing.T) {
	for storeName, open := range stores {
		t.Run(storeName, func(t *testing.T) {
			w := newBindingWorld(t, open(t))
			tok := w.token("fbi")
			st, hdr, d, posted := w.post(tok, "", thresholdCases[2].body)
			if st != http.StatusCreated || d.ID == "" || hdr.Get("Location") != "/v1/decisions/"+d.ID {
				t.Fatalf("POST: %d %s", st, posted)
			}
			req, _ := http.NewRequest("GET", w.srv.URL+hdr.Get("Location")+"?wait=0s", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET: %d %s", resp.StatusCode, got)
			}
			var a, b map[string]json.RawMessage
			if err := json.Unmarshal([]byte(posted), &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(got, &b); err != nil {
				t.Fatal(err)
			}
			// GET adds what is fetched from the log and the store: the
			// receipt, and the private record a custodian checks.
			delete(b, "receipt")
			delete(b, "private")
			for _, k := range []string{"decision", "request"} {
				if !jsonEqual(a[k], b[k]) {
					t.Errorf("%s differs:\nPOST %s\nGET  %s", k, a[k], b[k])
				}
			}
			if len(a) != len(b) {
				t.Errorf("members: POST %d, GET %d", len(a), len(b))
			}
		})
	}
}

// jsonEqual compares two JSON values ignoring formatting.
func jsonEqual(x, y json.RawMessage) bool {
	var a, b bytes.Buffer
	if json.Compact(&a, x) != nil || json.Compact(&b, y) != nil {
		return false
	}
	var va, vb any
	_ = json.Unmarshal(a.Bytes(), &va)
	_ = json.Unmarshal(b.Bytes(), &vb)
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
