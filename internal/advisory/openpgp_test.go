package advisory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/gopenpgp/v2/crypto"
	"github.com/gocsaf/csaf/v3/csaf"

	"github.com/accord-dev/accord/internal/ledger"
)

// TestCSAFDistributionSigned: with a provider key, every advisory has a
// .asc that verifies, as csaf_checker verifies it (gopenpgp, the key
// fetched from public_openpgp_keys and its fingerprint compared), and a
// tampered document does not; signatures do not change between builds.
func TestCSAFDistributionSigned(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	key, priv, err := NewProviderKey("https://accord.example", created)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(priv, []byte("BEGIN PGP PRIVATE KEY BLOCK")) || len(key.Fingerprint()) != 40 {
		t.Fatalf("key: %s %s", key.Fingerprint(), priv)
	}
	p := Provider{BaseURL: "https://accord.example", Publisher: Publisher{Name: "Accord demo provider", Namespace: "https://accord.example"}, Key: key}
	recs := publishedRecs(t)
	for i := range recs {
		recs[i].Published = created.Add(time.Duration(i+1) * time.Hour)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	files, err := CSAFDistribution(p, recs, now)
	if err != nil {
		t.Fatal(err)
	}
	checkProviderMetadata(t, files)
	var pm csaf.ProviderMetadata
	json.Unmarshal(files["provider-metadata.json"], &pm)
	if len(pm.PGPKeys) != 1 || pm.PGPKeys[0].URL == nil {
		t.Fatalf("public_openpgp_keys: %s", files["provider-metadata.json"])
	}
	url := *pm.PGPKeys[0].URL
	const prefix = "https://accord.example/.well-known/csaf/"
	if !strings.HasPrefix(url, prefix) {
		t.Fatalf("key URL %s is not under the provider", url)
	}
	pub, err := crypto.NewKeyFromArmored(string(files[strings.TrimPrefix(url, prefix)]))
	if err != nil {
		t.Fatalf("gopenpgp reads the published key: %v", err)
	}
	if !strings.EqualFold(pub.GetFingerprint(), string(pm.PGPKeys[0].Fingerprint)) || !strings.EqualFold(pub.GetFingerprint(), key.Fingerprint()) {
		t.Fatalf("fingerprints: published %s, key %s, metadata %s", pub.GetFingerprint(), key.Fingerprint(), pm.PGPKeys[0].Fingerprint)
	}
	ring, err := crypto.NewKeyRing(pub)
	if err != nil {
		t.Fatal(err)
	}
	signed := 0
	for name, doc := range files {
		if !strings.HasPrefix(name, "white/2") || !strings.HasSuffix(name, ".json") {
			continue
		}
		asc, ok := files[name+".asc"]
		if !ok {
			t.Errorf("%s has no .asc", name)
			continue
		}
		sig, err := crypto.NewPGPSignatureFromArmored(string(asc))
		if err != nil {
			t.Fatalf("%s.asc: %v", name, err)
		}
		if err := ring.VerifyDetached(crypto.NewPlainMessage(doc), sig, crypto.GetUnixTime()); err != nil {
			t.Errorf("%s: signature does not verify: %v", name, err)
		}
		tampered := bytes.Replace(doc, []byte("ACME"), []byte("ACMF"), 1)
		if err := ring.VerifyDetached(crypto.NewPlainMessage(tampered), sig, crypto.GetUnixTime()); err == nil {
			t.Errorf("%s: a tampered document verifies", name)
		}
		year := name[:strings.LastIndexByte(name, '/')+1]
		if !strings.Contains(string(files[year]), ">"+name[len(year):]+".asc<") {
			t.Errorf("the listing of %s does not name %s.asc", year, name)
		}
		signed++
	}
	if signed != 2 {
		t.Errorf("%d signed advisories, want 2", signed)
	}
	again, err := CSAFDistribution(p, recs, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again["white/2026/acme-2026-001.json.asc"], files["white/2026/acme-2026-001.json.asc"]) {
		t.Error("a document's signature changed between two builds")
	}
	// The key file reads back as the same key.
	back, err := ReadProviderKey(priv)
	if err != nil || back.Fingerprint() != key.Fingerprint() || !back.Created().Equal(created) {
		t.Fatalf("read back: %v %s", err, back.Fingerprint())
	}
}

// TestReadProviderKeyRefuses: a key file that cannot sign is an error
// that says why, never a provider without signatures.
func TestReadProviderKeyRefuses(t *testing.T) {
	key, priv, err := NewProviderKey("https://accord.example", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, priv2, _ := NewProviderKey("https://other.example", time.Now())
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "OpenPGP key file"},
		{"not armored", []byte("hello"), "OpenPGP key file"},
		{"public key only", key.PublicArmored(), "public key"},
		{"two keys", append(append([]byte{}, priv...), priv2...), "2 armored blocks"},
		{"too large", bytes.Repeat([]byte("x"), maxProviderKey+1), "larger than"},
		{"truncated", priv[:len(priv)/2], "OpenPGP key file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadProviderKey(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestProviderKeyEntry: the key is tied to the log by its OpenPGP
// fingerprint and the SHA-256 of the public key file as published.
func TestProviderKeyEntry(t *testing.T) {
	key, _, err := NewProviderKey("https://accord.example", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	e, err := ProviderKeyEntry(key, at)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(key.PublicArmored())
	if e.Kind != ledger.KindAdvisory || e.Action != "provider-key" || e.Subject != "csaf-provider" || e.KeyFingerprint != key.Fingerprint() ||
		e.Digest != hex.EncodeToString(sum[:]) || !e.Time.Equal(at) {
		t.Errorf("entry: %+v", e)
	}
}
