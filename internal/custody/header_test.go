package custody

import (
	"bytes"
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"testing"
)

// withHeader rebuilds a sealed file's prefix around header bytes hdr.
func withHeader(hdr []byte) []byte {
	out := []byte(Magic)
	out = binary.BigEndian.AppendUint32(out, uint32(len(hdr)))
	return append(out, hdr...)
}

func TestParseHeaderErrors(t *testing.T) {
	golden, err := os.ReadFile("testdata/golden.sealed")
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(golden)
	if err != nil {
		t.Fatal(err)
	}
	raw := string(h.Raw())
	off := len(Magic) + 4
	for name, c := range map[string]struct {
		in   []byte
		want string
	}{
		"empty":          {nil, "byte 0"},
		"not sealed":     {[]byte("hello, this is a plain text file"), "not an Accord sealed file"},
		"huge length":    {append([]byte(Magic), 0xff, 0xff, 0xff, 0xff), "header length 4294967295"},
		"truncated":      {withHeader([]byte(raw))[:off+10], "header truncated (10 of"},
		"syntax":         {withHeader([]byte(`{"v":1,,}`)), "byte " + strconv.Itoa(off+7)},
		"type":           {withHeader([]byte(`{"v":"one"}`)), "header field v: byte"},
		"unknown field":  {withHeader([]byte(strings.Replace(raw, `{"v":1,`, `{"extra":1,"v":1,`, 1))), "unknown field"},
		"trailing":       {withHeader([]byte(raw + " {}")), "data after the header"},
		"version":        {withHeader([]byte(strings.Replace(raw, `"v":1`, `"v":2`, 1))), "header field v: version 2"},
		"k above n":      {withHeader([]byte(strings.Replace(raw, `"k":2`, `"k":4`, 1))), "header field k: 4"},
		"group":          {withHeader([]byte(strings.Replace(raw, GroupName, "p256", 1))), "header field group"},
		"labels spaced":  {withHeader([]byte(strings.Replace(raw, `"labels":{"categories"`, `"labels":{ "categories"`, 1))), "header field labels: not canonical"},
		"dataset spaces": {withHeader([]byte(strings.Replace(raw, `"health-fr"`, `"health fr"`, 1))), "header field dataset: byte 6"},
		"indented":       {withHeader([]byte(strings.Replace(raw, `{"v":1,`, "{\"v\": 1,", 1))), "not in Accord's encoding"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseHeader(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// FuzzParseHeader: any input either parses to a header that re-encodes to
// the same bytes, or is an error; never a panic.
func FuzzParseHeader(f *testing.F) {
	golden, err := os.ReadFile("testdata/golden.sealed")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(Magic))
	f.Add(withHeader([]byte(`{"v":1}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHeader(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var buf bytes.Buffer
		if _, err := h.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, buf.Bytes()) {
			t.Fatalf("parsed header does not re-encode to its bytes")
		}
		// Shares in a parsed header never panic the checks.
		for i := range h.Custodians {
			h.CheckShare(Share{Index: i, Value: make([]byte, shareSize)})
		}
	})
}
