package advisory

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gocsaf/csaf/v3/csaf"

	"github.com/accord-dev/accord/internal/store"
)

func publishedRecs(t *testing.T) []store.AdvisoryRecord {
	var recs []store.AdvisoryRecord
	for _, f := range []string{"testdata/csaf/acme-2026-001.json", "testdata/csaf/acme-2026-002-forced-upgrade.json", "testdata/osv/GO-2026-0001.json", "testdata/osv/GHSA-forced-major.json"} {
		b := read(t, f)
		a, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, store.AdvisoryRecord{Key: "acme/" + a.ID, Vendor: "acme", ID: a.ID, Format: a.Format, Document: b})
	}
	return recs
}

func TestOSVExport(t *testing.T) {
	files, err := OSVExport(publishedRecs(t))
	if err != nil {
		t.Fatal(err)
	}
	want := "2026-02-22T00:00:00Z,GHSA-xxxx-yyyy-zzzz\n2026-02-21T00:00:00Z,GO-2026-0001\n2026-02-20T09:00:00Z,x_ACME-2026-001\n2026-02-20T09:00:00Z,x_ACME-2026-002\n"
	if got := string(files["modified_id.csv"]); got != want {
		t.Errorf("modified_id.csv:\n%s\nwant\n%s", got, want)
	}
	for name, b := range files {
		if !strings.HasSuffix(name, ".json") || name == "losses.json" {
			continue
		}
		if _, _, err := ParseOSV(b); err != nil {
			t.Errorf("%s does not validate: %v", name, err)
		}
	}
	var losses map[string][]string
	if err := json.Unmarshal(files["losses.json"], &losses); err != nil || len(losses["acme/ACME-2026-001"]) == 0 {
		t.Errorf("the losses of converted CSAF advisories are not published: %v %s", err, files["losses.json"])
	}
}

// checkProviderMetadata fails t unless the distribution's
// provider-metadata.json passes gocsaf's schema validation.
func checkProviderMetadata(t *testing.T, files Files) {
	t.Helper()
	var meta any
	if err := json.Unmarshal(files["provider-metadata.json"], &meta); err != nil {
		t.Fatal(err)
	}
	if errs, err := csaf.ValidateProviderMetadata(meta); err != nil || len(errs) > 0 {
		t.Fatalf("gocsaf rejects the provider metadata: %v %v", err, errs)
	}
}

func TestCSAFDistribution(t *testing.T) {
	p := Provider{BaseURL: "https://accord.example", Publisher: Publisher{Name: "Accord demo provider", Namespace: "https://accord.example"}}
	files, err := CSAFDistribution(p, publishedRecs(t), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	checkProviderMetadata(t, files)
	if got := string(files["white/index.txt"]); got != "2026/acme-2026-001.json\n2026/acme-2026-002.json\n" {
		t.Errorf("index.txt: %q", got)
	}
	if got := string(files["white/changes.csv"]); !strings.HasPrefix(got, `"2026/acme-2026-001.json","2026-02-20T09:00:00Z"`) {
		t.Errorf("changes.csv: %q", got)
	}
	doc := files["white/2026/acme-2026-001.json"]
	sum := sha256.Sum256(doc)
	if !strings.HasPrefix(string(files["white/2026/acme-2026-001.json.sha256"]), hex.EncodeToString(sum[:])+"  acme-2026-001.json") {
		t.Error("sha256 file does not match")
	}
	if CSAFFilename("ACME/2026:001 b") != "acme_2026_001_b.json" {
		t.Error(CSAFFilename("ACME/2026:001 b"))
	}
}
