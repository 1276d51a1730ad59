package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/accord-dev/accord/internal/locale"
)

// duplicateKey finds the first member of a JSON object, at any depth, whose
// key repeats an earlier key of the same object (encoding/json would keep
// the last one silently, so a reviewer and the server could read two
// different requests). Keys are compared decoded and folded, as
// encoding/json matches them to struct fields: "a", "\u0061" and "A" are
// the same key, and so are two invalid UTF-8 bytes (both U+FFFD). It returns the member's path (data.subjects.FR, items[2].id)
// and the byte offset of its key. data must be valid JSON (json.Valid);
// anything else finds nothing.
func duplicateKey(data []byte) (path string, offset int, found bool) {
	d := scanDuplicates(data)
	return d.path, d.offset, d.found
}

// scanDuplicates runs the scanner over data (valid JSON); a panic, which
// only invalid JSON could cause, finds nothing.
func scanDuplicates(data []byte) (d dupScanner) {
	defer func() {
		if recover() != nil {
			d = dupScanner{}
		}
	}()
	d = dupScanner{data: data}
	d.value()
	return d
}

// dupScanner walks valid JSON once, without building values. The path to
// the current member is kept as a stack of segments and spelled out only
// for the duplicate.
type dupScanner struct {
	data   []byte
	i      int
	stack  []segment
	found  bool
	path   string
	offset int
	// caseOnly: the duplicate differs from the earlier key in letter case
	// only (known for objects of up to 16 keys).
	caseOnly bool
}

// foldKey folds a key as encoding/json does when it matches names:
// foldKey(x) == foldKey(y) exactly when bytes.EqualFold(x, y).
func foldKey(in []byte) []byte {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return out
}

// segment is one step of a path: an object key, or an array index when
// key is nil.
type segment struct {
	key   []byte
	index int
}

func (d *dupScanner) spell() string {
	var b []byte
	for _, s := range d.stack {
		if s.key == nil {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(s.index), 10)
			b = append(b, ']')
			continue
		}
		if len(b) > 0 {
			b = append(b, '.')
		}
		b = append(b, s.key...)
	}
	return string(b)
}

func (d *dupScanner) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value skips one value starting at d.i (after whitespace), looking into
// objects and arrays; it stops early once a duplicate is found.
func (d *dupScanner) value() {
	d.ws()
	switch d.data[d.i] {
	case '{':
		d.object()
	case '[':
		d.i++
		for n := 0; !d.found; n++ {
			d.ws()
			if d.data[d.i] == ']' {
				d.i++
				return
			}
			d.stack = append(d.stack, segment{index: n})
			d.value()
			d.stack = d.stack[:len(d.stack)-1]
			d.ws()
			if d.data[d.i] == ',' {
				d.i++
			}
		}
	case '"':
		d.str()
	default:
		for d.i < len(d.data) {
			switch d.data[d.i] {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				return
			}
			d.i++
		}
	}
}

// str skips a string at d.i and returns its raw contents (between the
// quotes) and whether it holds an escape.
func (d *dupScanner) str() (raw []byte, escaped bool) {
	d.i++ // opening quote
	start := d.i
	for {
		switch d.data[d.i] {
		case '\\':
			escaped = true
			d.i += 2
			continue
		case '"':
			raw = d.data[start:d.i]
			d.i++
			return raw, escaped
		}
		d.i++
	}
}

func (d *dupScanner) object() {
	d.i++ // {
	var small [16][]byte
	keys := small[:0]
	var set map[string]struct{} // once an object has many keys
	for !d.found {
		d.ws()
		if d.data[d.i] == '}' {
			d.i++
			return
		}
		at := d.i
		raw, escaped := d.str()
		key := raw
		if escaped || !utf8.Valid(raw) { // decoded as encoding/json will (U+FFFD for bad bytes)
			var s string
			_ = json.Unmarshal(d.data[at:d.i], &s)
			key = []byte(s)
		}
		// Keys equal but for letter case are duplicates too: encoding/json
		// matches struct fields case-insensitively (bytes.EqualFold), so
		// {"location":"US","Location":"FR"} would quietly mean FR.
		var dup []byte
		if set != nil {
			f := string(foldKey(key))
			if _, seen := set[f]; seen {
				dup = key
			}
			set[f] = struct{}{}
		} else {
			for _, k := range keys {
				if bytes.EqualFold(k, key) {
					dup = k
					break
				}
			}
			if len(keys) < len(small) {
				keys = append(keys, key)
			} else {
				set = make(map[string]struct{}, 2*len(keys)+1)
				for _, k := range keys {
					set[string(foldKey(k))] = struct{}{}
				}
				set[string(foldKey(key))] = struct{}{}
			}
		}
		d.stack = append(d.stack, segment{key: key})
		if dup != nil {
			d.found, d.path, d.offset, d.caseOnly = true, d.spell(), at, !bytes.Equal(dup, key)
			return
		}
		d.ws()
		d.i++ // :
		d.value()
		d.stack = d.stack[:len(d.stack)-1]
		d.ws()
		if d.i < len(d.data) && d.data[d.i] == ',' {
			d.i++
		}
	}
}

// duplicateKeyProblem is the 400 for a body with a duplicate key, naming
// the member and its byte offset; nil when there is none (or the body is
// not valid JSON, which the endpoint's decoder reports with its position).
func duplicateKeyProblem(body []byte) *Problem {
	if !json.Valid(body) {
		return nil
	}
	d := scanDuplicates(body)
	if !d.found {
		return nil
	}
	if d.caseOnly {
		return fieldProblem(http.StatusBadRequest, d.path, locale.Errorf("duplicate key at byte %s; each member may appear once (keys that differ only in letter case are the same member)", strconv.Itoa(d.offset)))
	}
	return fieldProblem(http.StatusBadRequest, d.path, locale.Errorf("duplicate key at byte %s; each member may appear once", strconv.Itoa(d.offset)))
}
