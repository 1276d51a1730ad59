package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
,r.txt,
,sec/op,CI
EndToEnd/accord/allow/10-2,1e-06,∞
EndToEnd/opa/allow/10-2,5e-05,∞
geomean,1e-05,

,r.txt,
,allocs/op,CI
EndToEnd/accord/allow/10-2,3,∞
EndToEnd/opa/allow/10-2,278,∞
`

func TestTable(t *testing.T) {
	rows, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	got := table(rows)
	for _, want := range []string{"| EndToEnd | allow | 10 | 1.0 µs (1.00) | 3 | 50.0 µs (50.00) | 278 | – | – |"} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}

func TestParseRejectsEmpty(t *testing.T) {
	if _, err := parse(strings.NewReader("not,csv\n")); err == nil {
		t.Fatal("parse accepted input without benchmark rows")
	}
}

func TestSplice(t *testing.T) {
	out, err := splice([]byte("a\n"+beginMarker+"\nold\n"+endMarker+"\nz\n"), "new\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\n" + beginMarker + "\nnew\n" + endMarker + "\nz\n"; string(out) != want {
		t.Fatalf("got %q, want %q", out, want)
	}
	if _, err := splice([]byte("no markers"), "x"); err == nil {
		t.Fatal("splice accepted a file without markers")
	}
}
