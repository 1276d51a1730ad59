package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
)

// TestPin: a pinned report names its checkpoint in JSON and HTML.
func TestPin(t *testing.T) {
	p, _ := ParsePeriod("2026-H2")
	r := Build(p, fixture())
	note := "accord.example/demo\n19\nq83vEjRWeJ0=\n\n— accord.example/demo AbCd\n"
	r.Pin(&ledger.Checkpoint{Origin: "accord.example/demo", Size: 19, Hash: []byte{0xab, 0xcd, 0xef, 0x12, 0x34, 0x56, 0x78, 0x9d}, Raw: []byte(note)})
	var buf bytes.Buffer
	if err := Write(&buf, r, "json", locale.For("en")); err != nil {
		t.Fatal(err)
	}
	var got struct{ Checkpoint Checkpoint }
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := Checkpoint{Origin: "accord.example/demo", Size: 19, RootHash: "q83vEjRWeJ0=", Note: note}
	if got.Checkpoint != want {
		t.Errorf("checkpoint %+v, want %+v", got.Checkpoint, want)
	}
	buf.Reset()
	if err := Write(&buf, r, "html", locale.For("fr")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "point de contrôle de 19 entrées, hachage racine q83vEjRWeJ0=") || !strings.Contains(buf.String(), "— accord.example/demo AbCd") {
		t.Errorf("the HTML report does not name its checkpoint:\n%s", buf.String())
	}
	unpinned := Build(p, fixture())
	buf.Reset()
	_ = Write(&buf, unpinned, "json", locale.For("en"))
	if strings.Contains(buf.String(), "checkpoint") {
		t.Error("an unpinned report names a checkpoint")
	}
}
