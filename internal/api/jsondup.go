package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// duplicateKey finds the first member of a JSON object, at any depth, whose
// key repeats an earlier key of the same object (encoding/json would keep
// the last one silently, so a reviewer and the server could read two
// different requests). Keys are compared decoded, as encoding/json decodes
// them: "a" and "\u0061" are the same key, and so are two invalid UTF-8
// bytes (both U+FFFD). It returns the member's path (data.subjects.FR, items[2].id)
// and the byte offset of its key. data must be valid JSON (json.Valid);
// anything else finds nothing.
func duplicateKey(data []byte) (path string, offset int, found bool) {
	d := dupScanner{data: data}
	defer func() {
		if recover() != nil { // only on invalid JSON, which callers exclude
			path, offset, found = "", 0, false
		}
	}()
	d.value()
	return d.path, d.offset, d.found
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
		dup := false
		if set != nil {
			_, dup = set[string(key)]
			set[string(key)] = struct{}{}
		} else {
			for _, k := range keys {
				if bytes.Equal(k, key) {
					dup = true
					break
				}
			}
			if len(keys) < len(small) {
				keys = append(keys, key)
			} else {
				set = make(map[string]struct{}, 2*len(keys)+1)
				for _, k := range keys {
					set[string(k)] = struct{}{}
				}
				set[string(key)] = struct{}{}
			}
		}
		d.stack = append(d.stack, segment{key: key})
		if dup {
			d.found, d.path, d.offset = true, d.spell(), at
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
	path, off, found := duplicateKey(body)
	if !found {
		return nil
	}
	return fieldProblem(http.StatusBadRequest, path, fmt.Sprintf("duplicate key at byte %d; each member may appear once", off))
}
