package authz

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestParseStatementValid(t *testing.T) {
	for _, name := range []string{"authorization.json", "revocation.json"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			st, err := ParseStatement(data)
			if err != nil {
				t.Fatalf("ParseStatement: %v", err)
			}
			if st.IssuerJurisdiction != "FR" || st.Issuer != "fr-mj" {
				t.Errorf("issuer = %s/%s, want fr-mj/FR", st.Issuer, st.IssuerJurisdiction)
			}
		})
	}
	data, _ := os.ReadFile("testdata/authorization.json")
	st, err := ParseStatement(data)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if !st.ValidTo.Equal(want) || st.Scope.MaxSubjects != 100 || st.Scope.Selectors.Count != 5 {
		t.Errorf("decoded %+v / %+v", st, st.Scope)
	}
}

// TestParseStatementInvalid reads testdata/invalid/*.json and compares the
// error with the .err file beside it (go test -update rewrites them).
func TestParseStatementInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			st, err := ParseStatement(data)
			if err == nil {
				t.Fatalf("ParseStatement accepted %s: %+v", f, st)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error is %T, want *ParseError", err)
			}
			golden := strings.TrimSuffix(f, ".json") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(err.Error()+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err2 := os.ReadFile(golden)
			if err2 != nil {
				t.Fatal(err2)
			}
			if got := err.Error(); got != strings.TrimSpace(string(want)) {
				t.Errorf("error\n got: %s\nwant: %s", got, strings.TrimSpace(string(want)))
			}
		})
	}
}

func TestParseErrorPosition(t *testing.T) {
	data := []byte("{\n  \"id\": \"A-1\",\n  \"type\": 7\n}")
	_, err := ParseStatement(data)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *ParseError", err)
	}
	if pe.Path != "type" || pe.Line != 3 {
		t.Errorf("got path %q line %d, want type on line 3 (%v)", pe.Path, pe.Line, err)
	}
}

func TestParseStatementTooLarge(t *testing.T) {
	data := []byte(`{"id":"` + strings.Repeat("a", maxDocument) + `"}`)
	if _, err := ParseStatement(data); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("error = %v, want the size limit", err)
	}
}

func TestParseStatementDeep(t *testing.T) {
	data := []byte(`{"scope":{"purposes":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}`)
	if _, err := ParseStatement(data); err == nil {
		t.Error("accepted deeply nested input")
	}
}

func FuzzParseStatement(f *testing.F) {
	for _, p := range []string{"testdata/authorization.json", "testdata/revocation.json"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	files, _ := filepath.Glob("testdata/invalid/*.json")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseStatement(data)
		if err != nil {
			if st != nil {
				t.Fatal("statement returned with an error")
			}
			return
		}
		// What parses must validate and survive a round trip.
		if err := st.Validate(); err != nil {
			t.Fatalf("parsed statement does not validate: %v", err)
		}
	})
}
