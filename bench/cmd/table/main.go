// Command table turns benchstat's CSV output (benchstat -format csv) into a
// markdown table comparing the engines, with Accord's time as 1.0, and
// writes it into a file between the markers
//
//	<!-- bench:begin -->
//	<!-- bench:end -->
//
// Usage:
//
//	go run golang.org/x/perf/cmd/benchstat@latest -format csv results.txt > results.csv
//	go run ./cmd/table -in results.csv -readme README.md
//
// Benchmark names must be Phase/engine/scenario/size[-GOMAXPROCS], engines
// accord, opa and cedar.
package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
)

var engines = []string{"accord", "opa", "cedar"}

// row is one phase/scenario/size with each engine's figures by unit.
type row struct {
	key    string
	values map[string]map[string]float64 // engine -> unit -> value
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads benchstat CSV: sections that start with a header row
// ",<unit>,CI" followed by "name,value,CI" rows.
func parse(r io.Reader) ([]*row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var rows []*row
	byKey := map[string]*row{}
	unit := ""
	line := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if len(rec) < 2 {
			continue
		}
		if rec[0] == "" {
			if strings.Contains(rec[1], "/op") || strings.HasSuffix(rec[1], "/s") {
				unit = rec[1]
			}
			continue
		}
		if unit == "" || rec[0] == "geomean" {
			continue
		}
		parts := strings.Split(procSuffix.ReplaceAllString(rec[0], ""), "/")
		if len(parts) != 4 {
			continue
		}
		v, err := strconv.ParseFloat(rec[1], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: value %q: %w", line, rec[1], err)
		}
		phase, eng, scen, size := parts[0], parts[1], parts[2], parts[3]
		key := phase + " | " + scen + " | " + size
		rw, ok := byKey[key]
		if !ok {
			rw = &row{key: key, values: map[string]map[string]float64{}}
			byKey[key] = rw
			rows = append(rows, rw)
		}
		if rw.values[eng] == nil {
			rw.values[eng] = map[string]float64{}
		}
		rw.values[eng][unit] = v
	}
	if len(rows) == 0 {
		return nil, errors.New("no benchmark rows (is it benchstat -format csv output?)")
	}
	return rows, nil
}

// duration formats seconds per op for people.
func duration(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.2f ms", s*1e3)
	case s >= 1e-6:
		return fmt.Sprintf("%.1f µs", s*1e6)
	}
	return fmt.Sprintf("%.0f ns", s*1e9)
}

// table renders rows as markdown: time per op (ratio to Accord) and
// allocations per op, for every engine.
func table(rows []*row) string {
	var b strings.Builder
	b.WriteString("| phase | scenario | rules |")
	for _, e := range engines {
		fmt.Fprintf(&b, " %s time/op (×Accord) | %s allocs/op |", e, e)
	}
	b.WriteString("\n|---|---|---:|")
	for range engines {
		b.WriteString("---:|---:|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s |", r.key)
		base := r.values["accord"]["sec/op"]
		for _, e := range engines {
			v, ok := r.values[e]["sec/op"]
			if !ok {
				b.WriteString(" – | – |")
				continue
			}
			ratio := "–"
			if base > 0 {
				ratio = fmt.Sprintf("%.2f", v/base)
			}
			fmt.Fprintf(&b, " %s (%s) | %.0f |", duration(v), ratio, r.values[e]["allocs/op"])
		}
		b.WriteString("\n")
	}
	return b.String()
}

// splice replaces what lies between the markers of doc with text.
func splice(doc []byte, text string) ([]byte, error) {
	i := bytes.Index(doc, []byte(beginMarker))
	j := bytes.Index(doc, []byte(endMarker))
	if i < 0 || j < i {
		return nil, fmt.Errorf("markers %s … %s not found in order", beginMarker, endMarker)
	}
	var out bytes.Buffer
	out.Write(doc[:i+len(beginMarker)])
	out.WriteString("\n" + text)
	out.Write(doc[j:])
	return out.Bytes(), nil
}

func run() error {
	in := flag.String("in", "results.csv", "benchstat -format csv output")
	readme := flag.String("readme", "", "file to write the table into, between the markers (empty: print)")
	flag.Parse()
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	t := table(rows)
	if *readme == "" {
		fmt.Print(t)
		return nil
	}
	doc, err := os.ReadFile(*readme)
	if err != nil {
		return err
	}
	out, err := splice(doc, t)
	if err != nil {
		return fmt.Errorf("%s: %w", *readme, err)
	}
	return os.WriteFile(*readme, out, 0o644)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
}
