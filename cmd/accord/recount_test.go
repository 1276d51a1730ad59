package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// This file recounts a transparency report the way an outside party
// would: from the public log's read API alone (C2SP tlog-tiles entry
// bundles), without the report or ledger packages, and compares every
// figure, checkpoint included, with the report the server published.

// recountRow is a report row as the JSON report writes it.
type recountRow struct {
	State              string   `json:"state"`
	Channel            string   `json:"channel"`
	Requests           int      `json:"requests"`
	SubjectsRequested  int64    `json:"subjects_requested"`
	SubjectsDisclosed  int64    `json:"subjects_disclosed"`
	RecordsRequested   int64    `json:"records_requested"`
	Disclosed          int      `json:"disclosed"`
	Refused            int      `json:"refused"`
	Pending            int      `json:"pending"`
	ThirdStateExcluded int      `json:"third_state_excluded"`
	Indices            []uint64 `json:"indices"`
}

// publicEntry is the part of a public log entry the recount reads.
type publicEntry struct {
	Kind      string                        `json:"kind"`
	Basis     string                        `json:"basis"`
	Purpose   string                        `json:"purpose"`
	Outcome   string                        `json:"outcome"`
	Rules     []string                      `json:"rules"`
	Subjects  map[string]int64              `json:"subjects"`
	Excluded  map[string]int64              `json:"excluded"`
	Records   int64                         `json:"records"`
	Refers    *uint64                       `json:"refers"`
	Requester *struct{ Kind, State string } `json:"requester"`
	Behalf    *struct{ Kind, State string } `json:"on_behalf_of"`
}

// tileIndex is the C2SP tlog-tiles path of tile index n ("x001/x234/067").
func tileIndex(n uint64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/", n%1000) + s
	}
	return s
}

func fetch(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// recountIndependently checks the server's JSON transparency report for
// period=all against a recount from the public log.
func recountIndependently(t *testing.T, s *demoServer) {
	t.Helper()
	var rep struct {
		Rows       []recountRow `json:"rows"`
		Totals     recountRow   `json:"totals"`
		Voided     int          `json:"voided"`
		Checkpoint struct {
			Origin   string `json:"origin"`
			Size     uint64 `json:"size"`
			RootHash string `json:"root_hash"`
			Note     string `json:"signed_note"`
		} `json:"checkpoint"`
	}
	if st := s.call(t, "GET", "/v1/reports/transparency?period=all&format=json", "AUDITOR", "", &rep); st != 200 {
		t.Fatalf("report: %d", st)
	}
	note := string(fetch(t, s.base+"/log/checkpoint"))
	lines := strings.Split(note, "\n")
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || len(lines) < 4 {
		t.Fatalf("checkpoint %q", note)
	}
	if rep.Checkpoint.Origin != lines[0] || rep.Checkpoint.Size != size || rep.Checkpoint.RootHash != lines[2] || rep.Checkpoint.Note != note {
		t.Fatalf("the report's checkpoint %+v is not the log's:\n%s", rep.Checkpoint, note)
	}
	// Every entry below size, from the entry bundles.
	var entries []publicEntry
	for k := uint64(0); k*256 < size; k++ {
		path := s.base + "/log/tile/entries/" + tileIndex(k)
		if w := size - k*256; w < 256 {
			path += ".p/" + strconv.FormatUint(w, 10)
		}
		b := fetch(t, path)
		for len(b) > 0 {
			n := int(binary.BigEndian.Uint16(b))
			var e publicEntry
			if err := json.Unmarshal(b[2:2+n], &e); err != nil {
				t.Fatalf("entry %d: %v", len(entries), err)
			}
			entries = append(entries, e)
			b = b[2+n:]
		}
	}
	if uint64(len(entries)) != size {
		t.Fatalf("%d entries in the bundles, checkpoint says %d", len(entries), size)
	}
	voided := map[uint64]bool{}
	for _, e := range entries {
		if e.Kind == "void" && e.Refers != nil {
			voided[*e.Refers] = true
		}
	}
	rows := map[[2]string]*recountRow{}
	total := recountRow{State: "*", Channel: "*", Indices: []uint64{}}
	nVoided := 0
	for i, e := range entries {
		if e.Kind != "decision" {
			continue
		}
		state := ""
		switch {
		case e.Requester != nil && e.Requester.Kind == "state-authority":
			state = e.Requester.State
		case e.Behalf != nil && e.Behalf.Kind == "state-authority":
			state = e.Behalf.State
		default:
			continue
		}
		if voided[uint64(i)] {
			nVoided++
			continue
		}
		channel := "direct"
		switch {
		case e.Basis == "mla":
			channel = "mla"
		case e.Basis == "agreement":
			channel = "agreement"
		case e.Basis == "emergency" || e.Purpose == "emergency":
			channel = "emergency"
		}
		key := [2]string{state, channel}
		r := rows[key]
		if r == nil {
			r = &recountRow{State: state, Channel: channel}
			rows[key] = r
		}
		var requested, excluded int64
		for _, n := range e.Subjects {
			requested += n
		}
		for _, n := range e.Excluded {
			excluded += n
		}
		for _, x := range []*recountRow{r, &total} {
			x.Requests++
			x.SubjectsRequested += requested
			x.RecordsRequested += e.Records
			switch e.Outcome {
			case "allow":
				x.Disclosed++
				x.SubjectsDisclosed += max(requested-excluded, 0)
			case "deny":
				x.Refused++
			default:
				x.Pending++
			}
			for _, id := range e.Rules {
				if strings.Contains(id, "third-state") {
					x.ThirdStateExcluded++
					break
				}
			}
			x.Indices = append(x.Indices, uint64(i))
		}
	}
	var want []recountRow
	for _, r := range rows {
		want = append(want, *r)
	}
	sort.Slice(want, func(i, j int) bool {
		if want[i].State != want[j].State {
			return want[i].State < want[j].State
		}
		return want[i].Channel < want[j].Channel
	})
	if want == nil {
		want = []recountRow{}
	}
	if !reflect.DeepEqual(rep.Rows, want) || !reflect.DeepEqual(rep.Totals, total) || rep.Voided != nVoided {
		t.Errorf("the report does not match an independent recount of the log:\nreport  %+v totals %+v voided %d\nrecount %+v totals %+v voided %d",
			rep.Rows, rep.Totals, rep.Voided, want, total, nVoided)
	}
}
