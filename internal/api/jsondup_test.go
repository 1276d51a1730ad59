package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// refDuplicate is the slow, obvious duplicate finder: encoding/json's
// tokenizer, a set of decoded keys per object.
func refDuplicate(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func(path string) (string, bool)
	walk = func(path string) (string, bool) {
		t, _ := dec.Token()
		switch t {
		case json.Delim('{'):
			var seen []string // compared as encoding/json matches names
			for dec.More() {
				kt, _ := dec.Token()
				k := kt.(string)
				member := join(path, k)
				for _, s := range seen {
					if bytes.EqualFold([]byte(s), []byte(k)) {
						return member, true
					}
				}
				seen = append(seen, k)
				if p, found := walk(member); found {
					return p, true
				}
			}
			dec.Token()
		case json.Delim('['):
			for n := 0; dec.More(); n++ {
				if p, found := walk(path + "[" + strconv.Itoa(n) + "]"); found {
					return p, true
				}
			}
			dec.Token()
		}
		return "", false
	}
	return walk("")
}

func TestDuplicateKey(t *testing.T) {
	for _, c := range []struct {
		in, path string
		off      int
	}{
		{`{"a":1,"b":2}`, "", -1},
		{`{"a":1,"a":2}`, "a", 7},
		{` { "a" : 1 , "a" : 2 } `, "a", 13},
		{`{"a":{"b":[1,{"c":1,"c":2}]}}`, "a.b[1].c", 20},
		{`{"a":"\"a","b":{"a":1}}`, "", -1},
		{`{"\u0061":1,"a":2}`, "a", 12},
		{"{\"\xbe\":1,\"\xcf\":2}", "\ufffd", 7},
		{`[{"x":1},{"x":1,"x":2}]`, "[1].x", 16},
		{`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"a":19}`, "a", 118},
		{`"{\"a\":1,\"a\":2}"`, "", -1},
		{`{}`, "", -1},
		{`{"location":"US","Location":"FR"}`, "Location", 17},
		{`{"k":1,"K":2}`, "K", 7},
		{`{"subjects":{"FR":1,"fr":2}}`, "subjects.fr", 20},
		{`12`, "", -1},
	} {
		path, off, found := duplicateKey([]byte(c.in))
		if found != (c.off >= 0) || path != c.path || (found && off != c.off) {
			t.Errorf("%s: %q at %d (%v), want %q at %d", c.in, path, off, found, c.path, c.off)
		}
	}
}

// FuzzDuplicateKey: on any valid JSON, the one-pass scanner finds the same
// duplicate as encoding/json's tokenizer would, at a key's opening quote,
// and never panics.
func FuzzDuplicateKey(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":[1,{"c":1,"c":2}]}}`, `{"\u0061":1,"a":2}`, `[{"x":[]},{"x":{},"y":"\\"}]`, `{"a":"}","b":"{"}`, `{"Ab":1,"aB":2}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data := []byte(s)
		if !json.Valid(data) {
			return
		}
		d := dupScanner{data: data}
		d.value() // no recover: a panic fails the fuzz
		want, wantFound := refDuplicate(data)
		if d.found != wantFound || d.path != want {
			t.Fatalf("%s: scanner %q (%v), reference %q (%v)", s, d.path, d.found, want, wantFound)
		}
		if d.found && data[d.offset] != '"' {
			t.Fatalf("%s: offset %d is not a key", s, d.offset)
		}
	})
}

// benchBody is a decision request of typical size.
const benchBody = `{"action":"transfer","requester":{"id":"acme","kind":"company","jurisdiction":"FR"},"data":{"location":"FR","origin":["FR","BE"],"categories":["personal.contact","personal.health"],"subjects":{"FR":9000,"BE":120},"records":9120,"classification":"important"},"destination":"US","purpose":"commercial","selectors":{"kind":"bulk","count":9120},"basis":{"kind":"contract","ref":"C-2026-17"}}`

// BenchmarkDuplicateKeyProblem is the cost readBody adds to every body;
// BenchmarkDecodePeer is the decoding every handler does anyway, its peer.
func BenchmarkDuplicateKeyProblem(b *testing.B) {
	data := []byte(benchBody)
	b.ReportAllocs()
	for b.Loop() {
		if duplicateKeyProblem(data) != nil {
			b.Fatal("duplicate")
		}
	}
}

func BenchmarkDecodePeer(b *testing.B) {
	data := []byte(benchBody)
	b.ReportAllocs()
	for b.Loop() {
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}
