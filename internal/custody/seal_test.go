package custody

import (
	"bytes"
	"crypto/hpke"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
)

var update = flag.Bool("update", false, "rewrite the golden sealed file under testdata/")

const testLabels = `{"location":"FR","origin":["FR"],"categories":["personal.health"],"classification":"general"}`

// testCustodians returns n fresh custodian keys.
func testCustodians(t testing.TB, n int) ([]hpke.PrivateKey, []CustodianKey) {
	t.Helper()
	ids := []string{"fr", "cn", "ch", "de", "us"}
	var privs []hpke.PrivateKey
	var keys []CustodianKey
	for i := range n {
		k, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		privs = append(privs, k)
		keys = append(keys, CustodianKey{ID: ids[i], PublicKey: k.PublicKey()})
	}
	return privs, keys
}

func sealBytes(t testing.TB, plain []byte, keys []CustodianKey, k int) ([]byte, *Header) {
	t.Helper()
	var buf bytes.Buffer
	h, err := Seal(&buf, bytes.NewReader(plain), SealOptions{Dataset: "health-fr", Labels: []byte(testLabels), Custodians: keys, K: k, SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), h
}

func openBytes(sealed []byte, shares []Share) ([]byte, error) {
	r := bytes.NewReader(sealed)
	h, err := ReadHeader(r)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	err = Open(&out, r, h, shares)
	return out.Bytes(), err
}

func TestSealOpenAnyKOfN(t *testing.T) {
	privs, keys := testCustodians(t, 3)
	plain := make([]byte, 3*4096+17)
	rand.Read(plain)
	sealed, h := sealBytes(t, plain, keys, 2)
	if bytes.Contains(sealed, plain[:64]) {
		t.Fatal("plaintext visible in the sealed file")
	}
	var shares []Share
	for i, p := range privs {
		s, err := h.OpenShare(p, i)
		if err != nil {
			t.Fatalf("custodian %d: %v", i, err)
		}
		shares = append(shares, s)
	}
	for _, pair := range [][2]int{{0, 1}, {0, 2}, {1, 2}, {2, 0}} {
		got, err := openBytes(sealed, []Share{shares[pair[0]], shares[pair[1]]})
		if err != nil {
			t.Fatalf("shares %v: %v", pair, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("shares %v: plaintext differs", pair)
		}
	}
	// One share is not enough, nor one share twice.
	for _, ss := range [][]Share{{shares[0]}, {shares[1], shares[1]}, nil} {
		if _, err := openBytes(sealed, ss); !errors.Is(err, ErrTooFewShares) {
			t.Fatalf("%d shares: err %v, want ErrTooFewShares", len(ss), err)
		}
	}
}

func TestOpenRefusesBadShares(t *testing.T) {
	privs, keys := testCustodians(t, 3)
	sealed, h := sealBytes(t, []byte("secret rows"), keys, 2)
	s0, _ := h.OpenShare(privs[0], 0)
	s1, _ := h.OpenShare(privs[1], 1)
	flipped := Share{Index: 1, Value: bytes.Clone(s1.Value)}
	flipped.Value[40] ^= 1
	moved := Share{Index: 2, Value: s1.Value} // share 1 presented as custodian 2's
	for name, c := range map[string]struct {
		shares []Share
		want   string
	}{
		"altered value":  {[]Share{s0, flipped}, `share of "cn": `},
		"wrong position": {[]Share{s0, moved}, `share of "ch": it is the share of another position`},
		"short":          {[]Share{s0, {Index: 1, Value: s1.Value[:10]}}, `share of "cn": 10 bytes`},
		"out of range":   {[]Share{s0, {Index: 7, Value: s1.Value}}, "share index 7"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := openBytes(sealed, c.shares)
			if !errors.Is(err, ErrTooFewShares) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want ErrTooFewShares naming %q", err, c.want)
			}
		})
	}
	// A custodian cannot open another's share, nor its own at another position.
	if _, err := h.OpenShare(privs[0], 1); err == nil {
		t.Fatal("custodian 0 opened share 1")
	}
}

func TestOpenDetectsTampering(t *testing.T) {
	privs, keys := testCustodians(t, 3)
	plain := bytes.Repeat([]byte("row\n"), 5000)
	sealed, h := sealBytes(t, plain, keys, 2)
	s0, _ := h.OpenShare(privs[0], 0)
	s1, _ := h.OpenShare(privs[1], 1)
	shares := []Share{s0, s1}
	hdrEnd := len(Magic) + 4 + len(h.Raw())

	t.Run("labels changed", func(t *testing.T) {
		// Same length, so the file still parses: FR becomes US.
		bad := bytes.Replace(sealed, []byte(`"location":"FR"`), []byte(`"location":"US"`), 1)
		_, err := openBytes(bad, shares)
		if !errors.Is(err, ErrBinding) {
			t.Fatalf("err %v, want ErrBinding", err)
		}
	})
	t.Run("dataset changed", func(t *testing.T) {
		bad := bytes.Replace(sealed, []byte(`"dataset":"health-fr"`), []byte(`"dataset":"health-cn"`), 1)
		_, err := openBytes(bad, shares)
		if !errors.Is(err, ErrBinding) {
			t.Fatalf("err %v, want ErrBinding", err)
		}
	})
	t.Run("ciphertext byte flipped", func(t *testing.T) {
		bad := bytes.Clone(sealed)
		bad[hdrEnd+5000] ^= 1
		if _, err := openBytes(bad, shares); err == nil || !strings.Contains(err.Error(), "decrypt") {
			t.Fatalf("err %v, want a decrypt error", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		if _, err := openBytes(sealed[:len(sealed)-100], shares); err == nil {
			t.Fatal("truncated file opened")
		}
	})
	t.Run("segment size changed", func(t *testing.T) {
		bad := bytes.Replace(sealed, []byte(`"segment_size":4096`), []byte(`"segment_size":8192`), 1)
		if _, err := openBytes(bad, shares); err == nil {
			t.Fatal("opened with a changed header")
		}
	})
}

func TestSealRefuses(t *testing.T) {
	_, keys := testCustodians(t, 3)
	for name, c := range map[string]struct {
		opts SealOptions
		want string
	}{
		"no labels":     {SealOptions{Dataset: "d", Labels: []byte(`{}`), Custodians: keys, K: 2}, "non-empty JSON object"},
		"labels array":  {SealOptions{Dataset: "d", Labels: []byte(`[1]`), Custodians: keys, K: 2}, "non-empty JSON object"},
		"k too large":   {SealOptions{Dataset: "d", Labels: []byte(testLabels), Custodians: keys, K: 4}, "k=4"},
		"k zero":        {SealOptions{Dataset: "d", Labels: []byte(testLabels), Custodians: keys, K: 0}, "k=0"},
		"no custodians": {SealOptions{Dataset: "d", Labels: []byte(testLabels), K: 1}, "no custodians"},
		"dataset text":  {SealOptions{Dataset: "Patients of Dr X", Labels: []byte(testLabels), Custodians: keys, K: 2}, "header field dataset"},
		"twice":         {SealOptions{Dataset: "d", Labels: []byte(testLabels), Custodians: []CustodianKey{keys[0], keys[0]}, K: 2}, "named twice"},
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Seal(&buf, strings.NewReader("x"), c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

// TestGoldenSealed opens a file sealed by an earlier build: the format is
// a contract, and a file sealed today must open tomorrow.
func TestGoldenSealed(t *testing.T) {
	dir := "testdata"
	plain := []byte("golden dataset: 3 rows\nFR,1\nFR,2\nFR,3\n")
	if *update {
		privs, keys := testCustodians(t, 3)
		var buf bytes.Buffer
		if _, err := Seal(&buf, bytes.NewReader(plain), SealOptions{Dataset: "health-fr", Labels: []byte(testLabels), Custodians: keys, K: 2, SegmentSize: 4096}); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "golden.sealed"), buf.Bytes(), 0o644)
		for i, p := range privs {
			s, _ := EncodePrivateKey(p)
			os.WriteFile(filepath.Join(dir, "golden-"+keys[i].ID+".key"), []byte(s), 0o644)
		}
	}
	sealed, err := os.ReadFile(filepath.Join(dir, "golden.sealed"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if h.Dataset != "health-fr" || h.K != 2 || len(h.Custodians) != 3 || string(h.Labels) != `{"categories":["personal.health"],"classification":"general","location":"FR","origin":["FR"]}` {
		t.Fatalf("golden header: %s", h.Raw())
	}
	var shares []Share
	for _, i := range []int{2, 0} {
		k, err := ReadPrivateKey(filepath.Join(dir, "golden-"+h.Custodians[i].ID+".key"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := h.OpenShare(k, i)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, s)
	}
	got, err := openBytes(sealed, shares)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("golden open: %q, %v", got, err)
	}
}

// TestVetoHolder: a veto holder's part is needed whatever the others
// release; with it, any k open.
func TestVetoHolder(t *testing.T) {
	privs, keys := testCustodians(t, 3)
	plain := []byte("rows located in FR")
	var buf bytes.Buffer
	h, err := Seal(&buf, bytes.NewReader(plain), SealOptions{Dataset: "health-fr", Labels: []byte(testLabels), Custodians: keys, K: 2, Vetoes: []string{"fr"}})
	if err != nil {
		t.Fatal(err)
	}
	sealed := buf.Bytes()
	if h.Custodians[0].Veto == nil || h.Custodians[1].Veto != nil {
		t.Fatalf("veto commitments: %+v", h.Custodians)
	}
	var shares []Share
	for i, p := range privs {
		s, err := h.OpenShare(p, i)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, s)
	}
	if _, err := openBytes(sealed, []Share{shares[1], shares[2]}); !errors.Is(err, ErrVetoMissing) || !strings.Contains(err.Error(), `"fr"`) {
		t.Fatalf("cn+ch without fr: %v, want ErrVetoMissing naming fr", err)
	}
	for _, pair := range [][2]int{{0, 1}, {2, 0}} {
		got, err := openBytes(sealed, []Share{shares[pair[0]], shares[pair[1]]})
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%v: %v", pair, err)
		}
	}
	// A veto part altered is refused, not used.
	bad := Share{Index: 0, Value: bytes.Clone(shares[0].Value)}
	bad.Value[70] ^= 1
	if _, err := openBytes(sealed, []Share{bad, shares[1], shares[2]}); !errors.Is(err, ErrVetoMissing) || !strings.Contains(err.Error(), "veto part") {
		t.Fatalf("altered veto part: %v", err)
	}
	// The veto holder must be a custodian.
	if _, err := Seal(&bytes.Buffer{}, bytes.NewReader(plain), SealOptions{Dataset: "d", Labels: []byte(testLabels), Custodians: keys, K: 2, Vetoes: []string{"us"}}); err == nil {
		t.Fatal("sealed with an unknown veto holder")
	}
}

func TestSealEntry(t *testing.T) {
	_, keys := testCustodians(t, 3)
	_, h := sealBytes(t, []byte("x"), keys, 2)
	e, p, err := SealEntry(h, time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.VerifyPrivate(e, p); err != nil {
		t.Fatal(err)
	}
	if e.Kind != ledger.KindSeal || e.Subject != "health-fr" || e.Threshold != 2 || strings.Join(e.Custodians, ",") != "fr,cn,ch" || len(e.Digest) != 64 {
		t.Fatalf("seal entry: %s", raw)
	}
	// No key material, key id or share in the public entry.
	for _, secret := range [][]byte{[]byte(h.KeyID), h.Custodians[0].Share[:16], h.Binding[:16], h.Commitments[0][:16]} {
		if bytes.Contains(raw, secret) || strings.Contains(string(raw), fmt.Sprintf("%x", secret)) {
			t.Fatalf("seal entry shows %x: %s", secret, raw)
		}
	}
}
