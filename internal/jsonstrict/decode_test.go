package jsonstrict

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/locale"
)

type inner struct {
	Kind  string `json:"kind"`
	Count int32  `json:"count,omitempty"`
}

type doc struct {
	ID     string           `json:"id"`
	Small  int8             `json:"small,omitempty"`
	Big    uint16           `json:"big,omitempty"`
	Share  float32          `json:"share,omitempty"`
	At     time.Time        `json:"at,omitzero"`
	Tags   []string         `json:"tags,omitempty"`
	List   []string         `json:"list"`
	Counts map[string]int64 `json:"counts,omitempty"`
	Inner  *inner           `json:"inner,omitempty"`
	Flag   bool             `json:"flag,omitempty"`
}

var testSchema = MustSchema(Rules{
	reflect.TypeFor[doc](): {
		"id": {Required: true, Val: Check{Kind: CheckFunc, Func: func(s string) error {
			if s == "" {
				return errors.New("must not be empty")
			}
			return nil
		}}},
		"tags":   {Val: Check{Kind: CheckLookup}},
		"counts": {Keys: []Check{Enum([]string{"FR", "CN"})}, Val: Check{Kind: CheckNonNegative}},
		"share":  {Val: Check{Kind: CheckPercent}},
	},
	reflect.TypeFor[inner](): {"kind": {Required: true, Val: Enum([]string{"a", "b"})}},
}, reflect.TypeFor[doc]())

var lookupUpper = Lookup{Func: func(_ any, s string) error { return upper(s) }}

func upper(s string) error {
	if strings.ToUpper(s) == s {
		return nil
	}
	return errors.New("not upper case: " + QuoteShort(s))
}

func TestDecode(t *testing.T) {
	cases := []struct {
		name, in, want string // want: the error, "" for none
	}{
		{"minimal", `{"id":"x"}`, ""},
		{"everything", `{"id":"x","small":-128,"big":65535,"share":12.5,"at":"2026-11-22T10:00:00Z","tags":["A"],"list":null,"counts":{"FR":1},"inner":{"kind":"a","count":3},"flag":true}`, ""},
		{"empty", ``, "empty input, expected a JSON object"},
		{"top level array", `[1]`, "line 1, column 1: expected a JSON object at the top level, got array"},
		{"syntax", "{\"id\":\"x\",\n\"list\":[1,]}", "list[1]: line 2, column 11: invalid character ']' looking for beginning of value"},
		{"trailing", `{"id":"x"} 1`, "line 1, column 12: unexpected data after the top-level object"},
		{"missing", `{}`, "id: missing required field"},
		{"check func", `{"id":""}`, "id: must not be empty"},
		{"unknown", `{"id":"x","tag":[]}`, `tag: unknown field; did you mean "tags"?`},
		{"case", `{"ID":"x"}`, `ID: unknown field`},
		{"duplicate", `{"id":"x","id":"y"}`, "id: duplicate key"},
		{"int8 range", `{"id":"x","small":128}`, "small: integer 128 out of range"},
		{"uint16 range", `{"id":"x","big":65536}`, "big: integer 65536 out of range"},
		{"uint negative", `{"id":"x","big":-1}`, "big: must not be negative, got -1"},
		{"float for int", `{"id":"x","small":1.5}`, "small: expected integer, got number"},
		{"percent", `{"id":"x","share":101}`, "share: must be between 0 and 100, got 101"},
		{"time", `{"id":"x","at":"2026-11-22 10:00"}`, `at: expected an RFC 3339 date-time such as "2026-11-22T10:00:00Z", got "2026-11-22 10:00"`},
		{"lookup", `{"id":"x","tags":["A","b"]}`, `tags[1]: not upper case: "b"`},
		{"map key", `{"id":"x","counts":{"DE":1}}`, `counts.DE: unknown value "DE" (one of FR, CN)`},
		{"map value", `{"id":"x","counts":{"FR":-1}}`, "counts.FR: must not be negative, got -1"},
		{"map duplicate", `{"id":"x","counts":{"FR":1,"FR":2}}`, "counts.FR: duplicate key"},
		{"null omitempty list", `{"id":"x","tags":null}`, "tags: expected array, got null"},
		{"null string", `{"id":null}`, "id: expected string, got null"},
		{"nested required", `{"id":"x","inner":{}}`, "inner.kind: missing required field"},
		{"nested enum", `{"id":"x","inner":{"kind":"c"}}`, `inner.kind: unknown value "c" (one of a, b)`},
		{"odd name", `{"id":"x","a b":1}`, `["a b"]: unknown field`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d doc
			err := testSchema.Decode([]byte(c.in), &d, lookupUpper)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("error %v (%T), want an *Error", err, err)
			}
			if err.Error() != c.want {
				t.Fatalf("error\n got %s\nwant %s", err, c.want)
			}
			if c.in != "" && (je.Line < 1 || je.Column < 1 || je.Offset < 0 || je.Offset > len(c.in)) {
				t.Errorf("position %d (line %d, column %d) out of the input", je.Offset, je.Line, je.Column)
			}
		})
	}
}

func TestDecodeKnownAndOffset(t *testing.T) {
	in := "{\"id\":\"x\",\n  \"inner\": {\"kynd\": \"a\"}}"
	err := testSchema.Decode([]byte(in), new(doc), Lookup{})
	var je *Error
	if !errors.As(err, &je) {
		t.Fatal(err)
	}
	if je.Path != "inner.kynd" || je.Line != 2 || je.Column != 13 || in[je.Offset:je.Offset+6] != `"kynd"` {
		t.Errorf("got %+v, want inner.kynd at line 2, column 13", je)
	}
	if strings.Join(je.Known, ",") != "kind,count" {
		t.Errorf("Known = %v, want the members of inner", je.Known)
	}
}

func TestDecodeMisuse(t *testing.T) {
	if err := testSchema.Decode([]byte(`{}`), doc{}, Lookup{}); err == nil {
		t.Error("a non-pointer was accepted")
	}
	if err := testSchema.Decode([]byte(`{}`), new(inner), Lookup{}); err == nil {
		t.Error("a type that is not a root was accepted")
	}
	if _, err := NewSchema(Rules{reflect.TypeFor[inner](): {"nope": {}}}, reflect.TypeFor[doc]()); err == nil {
		t.Error("a rule for an unknown member was accepted")
	}
}

// FuzzDecode: no input panics; every error is an *Error located inside
// the input; what is accepted survives a round trip through encoding/json.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"id":"x","small":-128,"big":65535,"share":12.5,"at":"2026-11-22T10:00:00Z","tags":["A"],"list":null,"counts":{"FR":1},"inner":{"kind":"a","count":3},"flag":true}`))
	f.Add([]byte(`{"id":"x","inner":{"kind":"c"}}`))
	f.Add([]byte("{\"id\":\"x\",\n\"list\":[1,]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d doc
		err := testSchema.Decode(data, &d, lookupUpper)
		if err != nil {
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			if je.Offset < 0 || je.Offset > len(data) {
				t.Fatalf("offset %d outside the input of %d bytes", je.Offset, len(data))
			}
			if got := je.Text(locale.For("en")); got != je.Error() {
				t.Fatalf("English Text %q differs from Error %q", got, je.Error())
			}
			if fr := locale.For("fr"); je.Text(fr) == "" || len(fr.Missing()) > 0 {
				t.Fatalf("%s: French lacks %q", je, fr.Missing())
			}
			return
		}
		out, err := json.Marshal(&d)
		if err != nil {
			t.Fatal(err)
		}
		var again doc
		if err := testSchema.Decode(out, &again, lookupUpper); err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", out, err)
		}
		if !reflect.DeepEqual(d, again) {
			t.Fatalf("round trip changed the value:\n%+v\n%+v", d, again)
		}
	})
}
