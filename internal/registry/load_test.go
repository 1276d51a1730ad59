package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// embeddedLine returns the 1-based line of the first line of the embedded
// file that equals text, so that expected errors can name it exactly.
func embeddedLine(t *testing.T, file, text string) int {
	t.Helper()
	data, err := fs.ReadFile(embedded, file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if l == text {
			return i + 1
		}
	}
	t.Fatalf("%s has no line %q", file, text)
	return 0
}

// writeFiles writes name -> content into a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadOverridesValid(t *testing.T) {
	key := "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" // 32 bytes
	dir := writeFiles(t, map[string]string{
		"10-add.yaml": `version: "local-1"
jurisdictions:
  - code: XK
    names: {en: Kosovo, fr: Kosovo}
blocs:
  - id: NORDIC
    name: Nordic Council
    members: [DK, FI, IS, NO, SE]
    checked: 2026-01-15
    source: https://www.norden.org
authorities:
  - id: xk-police
    name: Kosovo Police
    kind: state-authority
    role: law-enforcement
    jurisdiction: XK
    source: https://www.kosovopolice.com
    public_key: ` + key + `
agreements:
  - id: nordic-mla
    title: Nordic arrangement (test)
    kind: convention
    parties_bloc: NORDIC
    purposes: [law-enforcement]
    valid_from: 2026-01-01
    valid_to: 2027-01-01
    citation: test
    source: https://example.org
`,
		"20-replace.yaml": `version: "local-2"
agreements:
  - id: cn-fr-mla-2005
    override: true
    title: France-China MLA, with an end date for the test
    kind: mlat
    parties: [CN, FR]
    purposes: [law-enforcement]
    valid_from: 2007-09-20
    valid_to: 2030-01-01
    citation: test
    source: https://example.org
authorities:
  - id: fr-cnil
    override: true
    name: CNIL
    kind: state-authority
    role: data-protection
    jurisdiction: FR
    source: https://www.cnil.fr
    public_key: ` + key + `
`,
		"README.md":           "not yaml: [ignored",
		"notes.yml":           "also ignored: [",
		"30-empty-lists.yaml": "version: \"3\"\nblocs:\nagreements: []\n",
	})
	r := mustLoad(t, dir)
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"added jurisdiction known", r.KnownJurisdiction("XK"), true},
		{"added bloc", r.InBloc("IS", "NORDIC"), true},
		{"added bloc excludes others", r.InBloc("DE", "NORDIC"), false},
		{"agreement through added bloc", r.AgreementCovers("nordic-mla", "DK", "SE", "law-enforcement", date("2026-06-01")), true},
		{"added agreement ends", r.AgreementCovers("nordic-mla", "DK", "SE", "law-enforcement", date("2027-01-01")), false},
		{"replaced agreement starts later", r.AgreementCovers("cn-fr-mla-2005", "FR", "CN", "law-enforcement", date("2006-01-01")), false},
		{"replaced agreement in force", r.AgreementCovers("cn-fr-mla-2005", "FR", "CN", "law-enforcement", date("2026-01-01")), true},
		{"replaced agreement ended", r.AgreementCovers("cn-fr-mla-2005", "FR", "CN", "law-enforcement", date("2030-01-01")), false},
		{"embedded data still there", r.InBloc("FR", "EU"), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	a, _ := r.Authority("fr-cnil")
	if a.PublicKey != key || a.Example {
		t.Errorf("fr-cnil after override = %+v, want the operator's key and example false", a)
	}
	if x, _ := r.Authority("xk-police"); x.Jurisdiction != "XK" {
		t.Errorf("xk-police = %+v", x)
	}
	files := r.Files()
	if n := len(files); n != 7 {
		t.Fatalf("Files() has %d entries, want 4 embedded + 3 overrides: %v", n, files)
	}
	if files[4].Version != "local-1" || files[5].Version != "local-2" || files[6].Version != "3" {
		t.Errorf("override versions = %v", files[4:])
	}
}

// TestLoadReferencesResolvedAcrossFiles: a file may refer to what a later
// file defines; references are checked once everything is loaded.
func TestLoadReferencesResolvedAcrossFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml": "version: \"1\"\nblocs:\n  - {id: TEST, name: Test, members: [FR, QQ], checked: 2026-01-01, source: x}\n",
		"b.yaml": "version: \"1\"\njurisdictions:\n  - {code: QQ, names: {en: Test land}}\n",
	})
	r := mustLoad(t, dir)
	if !r.InBloc("QQ", "TEST") {
		t.Error("QQ should be in TEST")
	}
}

func TestLoadErrors(t *testing.T) {
	euLine := embeddedLine(t, "data/blocs.yaml", "  - id: EU")
	cnilLine := embeddedLine(t, "data/authorities.yaml", "  - id: fr-cnil")
	agreement := func(extra string) string {
		return `version: "1"
agreements:
  - id: test-mla
    title: Test
    kind: mlat
    citation: test
    source: https://example.org
` + extra
	}
	tests := []struct {
		name  string
		files map[string]string
		want  []string // each line of the error, {dir} standing for the directory
	}{
		{
			name:  "conflict with embedded entry",
			files: map[string]string{"a.yaml": "version: \"1\"\nblocs:\n  - id: EU\n    name: EU\n    members: [FR]\n    checked: 2026-01-01\n    source: x\n"},
			want:  []string{fmt.Sprintf(`{dir}/a.yaml:3: bloc "EU" already defined at data/blocs.yaml:%d; set override: true to replace it`, euLine)},
		},
		{
			name:  "conflict between override files",
			files: map[string]string{"a.yaml": agreement("    parties: [FR, DE]\n    purposes: [law-enforcement]\n    valid_from: 2020-01-01\n"), "b.yaml": "version: \"2\"\n\n" + strings.TrimPrefix(agreement("    parties: [FR, DE]\n    purposes: [law-enforcement]\n    valid_from: 2020-01-01\n"), "version: \"1\"\n")},
			want:  []string{`{dir}/b.yaml:4: agreement "test-mla" already defined at {dir}/a.yaml:3; set override: true to replace it`},
		},
		{
			name:  "conflict within one file",
			files: map[string]string{"a.yaml": "version: \"1\"\njurisdictions:\n  - {code: QQ, names: {en: A}}\n  - {code: QQ, names: {en: B}}\n"},
			want:  []string{`{dir}/a.yaml:4: jurisdiction "QQ" already defined at {dir}/a.yaml:3; set override: true to replace it`},
		},
		{
			name:  "authority conflict names the embedded line",
			files: map[string]string{"a.yaml": "version: \"1\"\nauthorities:\n  - {id: fr-cnil, name: CNIL, kind: state-authority, role: data-protection, jurisdiction: FR, source: x}\n"},
			want:  []string{fmt.Sprintf(`{dir}/a.yaml:3: authority "fr-cnil" already defined at data/authorities.yaml:%d; set override: true to replace it`, cnilLine)},
		},
		{
			name:  "override with nothing to replace",
			files: map[string]string{"a.yaml": "version: \"1\"\nblocs:\n  - {id: NEWBLOC, override: true, name: N, members: [FR], checked: 2026-01-01, source: x}\n"},
			want:  []string{`{dir}/a.yaml:3: bloc "NEWBLOC" has override: true but nothing earlier defines it`},
		},
		{
			name:  "dangling party",
			files: map[string]string{"a.yaml": agreement("    parties:\n      - FR\n      - QQ\n    purposes: [law-enforcement]\n    valid_from: 2020-01-01\n")},
			want:  []string{`{dir}/a.yaml:10: agreement test-mla: unknown jurisdiction "QQ" in parties`},
		},
		{
			name:  "dangling bloc",
			files: map[string]string{"a.yaml": agreement("    parties: [FR]\n    parties_bloc: NOPE\n    purposes: [law-enforcement]\n    valid_from: 2020-01-01\n")},
			want: []string{
				`{dir}/a.yaml:3: agreement test-mla: a mlat needs at least two parties`,
				`{dir}/a.yaml:9: agreement test-mla: unknown bloc "NOPE" in parties_bloc`,
			},
		},
		{
			name:  "dangling authority jurisdiction",
			files: map[string]string{"a.yaml": "version: \"1\"\nauthorities:\n  - id: qq-police\n    name: Police\n    kind: state-authority\n    role: law-enforcement\n    jurisdiction: QQ\n    source: x\n"},
			want:  []string{`{dir}/a.yaml:7: authority qq-police: unknown jurisdiction "QQ"`},
		},
		{
			name:  "dangling bloc member",
			files: map[string]string{"a.yaml": "version: \"1\"\nblocs:\n  - id: TEST\n    name: Test\n    members: [FR,\n      QQ]\n    checked: 2026-01-01\n    source: x\n"},
			want:  []string{`{dir}/a.yaml:6: bloc TEST: unknown jurisdiction "QQ"`},
		},
		{
			name:  "override bloc with a dangling member",
			files: map[string]string{"a.yaml": "version: \"1\"\nblocs:\n  - {id: EU, override: true, name: EU, members: [FR, DE, QQ], checked: 2026-01-01, source: x}\n"},
			want:  []string{`{dir}/a.yaml:3: bloc EU: unknown jurisdiction "QQ"`},
		},
		{
			name:  "unknown top-level field",
			files: map[string]string{"a.yaml": "version: \"1\"\nstates: []\n"},
			want:  []string{`{dir}/a.yaml:2: unknown field "states" (want one of version, source, jurisdictions, blocs, authorities, agreements)`},
		},
		{
			name:  "unknown entry field",
			files: map[string]string{"a.yaml": "version: \"1\"\nblocs:\n  - id: TEST\n    name: Test\n    member: [FR]\n"},
			want:  []string{`{dir}/a.yaml:5: unknown field "member" (want one of id, name, members, checked, source, note, override)`},
		},
		{
			name:  "repeated field",
			files: map[string]string{"a.yaml": "version: \"1\"\njurisdictions:\n  - code: QQ\n    code: QR\n    names: {en: A}\n"},
			want:  []string{`{dir}/a.yaml:4: field "code" repeated (first at line 3)`},
		},
		{
			name:  "wrong type",
			files: map[string]string{"a.yaml": "version: \"1\"\nblocs:\n  - id: TEST\n    name: Test\n    members: FR\n    checked: 2026-01-01\n    source: x\n"},
			want:  []string{"{dir}/a.yaml:5: cannot unmarshal !!str `FR` into []string"},
		},
		{
			name:  "missing version",
			files: map[string]string{"a.yaml": "blocs: []\n"},
			want:  []string{`{dir}/a.yaml:1: missing version: every registry file says which version of its data it holds`},
		},
		{
			name:  "empty file",
			files: map[string]string{"a.yaml": ""},
			want:  []string{`{dir}/a.yaml: empty file: want a mapping with version and entries`},
		},
		{
			name:  "not a mapping",
			files: map[string]string{"a.yaml": "- 1\n- 2\n"},
			want:  []string{`{dir}/a.yaml:1: top level must be a mapping with version and entries`},
		},
		{
			name:  "two documents",
			files: map[string]string{"a.yaml": "version: \"1\"\n---\nversion: \"2\"\n"},
			want:  []string{`{dir}/a.yaml:2: more than one YAML document; put one mapping per file`},
		},
		{
			name:  "syntax error",
			files: map[string]string{"a.yaml": "version: \"1\"\nblocs: [\n"},
			want:  []string{`{dir}/a.yaml:2: did not find expected node content`},
		},
		{
			name:  "section not a list",
			files: map[string]string{"a.yaml": "version: \"1\"\nblocs: {id: X}\n"},
			want:  []string{`{dir}/a.yaml:2: blocs must be a list`},
		},
		{
			name: "field checks",
			files: map[string]string{"a.yaml": agreement(
				"    parties: [FR, fr, FR]\n    purposes: [law-enforcement, spying]\n    categories: [personal.nope]\n    valid_from: 2020-13-01\n    valid_to: 2019-01-01\n")},
			want: []string{
				`{dir}/a.yaml:8: parties: "fr" is not an ISO 3166-1 alpha-2 code (two upper-case letters)`,
				`{dir}/a.yaml:8: parties: FR listed twice`,
				`{dir}/a.yaml:9: purposes: "spying" is not a purpose (want one of commercial, research, law-enforcement, national-security, repatriation, maintenance, employment, emergency, litigation)`,
				`{dir}/a.yaml:10: categories: "personal.nope" is not a known category`,
				`{dir}/a.yaml:11: valid_from: "2020-13-01" is not a date YYYY-MM-DD`,
			},
		},
		{
			name:  "valid_to before valid_from",
			files: map[string]string{"a.yaml": agreement("    parties: [FR, DE]\n    purposes: [law-enforcement]\n    valid_from: 2020-01-01\n    valid_to: 2020-01-01\n")},
			want:  []string{`{dir}/a.yaml:11: valid_to 2020-01-01 is not after valid_from 2020-01-01`},
		},
		{
			name:  "missing purposes and dates",
			files: map[string]string{"a.yaml": agreement("    parties: [FR, DE]\n")},
			want: []string{
				`{dir}/a.yaml:3: purposes: a mlat must list the purposes it covers`,
				`{dir}/a.yaml:3: valid_from is required (YYYY-MM-DD)`,
			},
		},
		{
			name:  "authority checks",
			files: map[string]string{"a.yaml": "version: \"1\"\nauthorities:\n  - id: Bad_ID\n    name: X\n    kind: government\n    role: spy\n    jurisdiction: FR\n    public_key: AAAA\n    source: x\n"},
			want: []string{
				`{dir}/a.yaml:3: id: "Bad_ID" is not an id (lower-case words joined by -)`,
				`{dir}/a.yaml:5: kind: "government" is not one of state-authority, company, individual, organization`,
				`{dir}/a.yaml:6: role: "spy" is not one of law-enforcement, intelligence, judicial, central-authority, data-protection, regulator, cybersecurity`,
				`{dir}/a.yaml:8: public_key: want a 32-byte Ed25519 public key in standard base64`,
			},
		},
		{
			name:  "jurisdiction checks",
			files: map[string]string{"a.yaml": "version: \"1\"\njurisdictions:\n  - code: Q1\n    names:\n      fr: Quelque part\n"},
			want: []string{
				`{dir}/a.yaml:3: code: "Q1" is not an ISO 3166-1 alpha-2 code (two upper-case letters)`,
				`{dir}/a.yaml:5: names.en is required`,
			},
		},
		{
			name: "errors from several files, in file order",
			files: map[string]string{
				"b.yaml": "version: \"1\"\nblocs:\n  - {id: B, name: B, members: [QQ], checked: 2026-01-01, source: x}\n",
				"a.yaml": "version: \"1\"\nblocs:\n  - {id: A, name: A, members: [QR], checked: 2026-01-01, source: x}\n",
			},
			want: []string{
				`{dir}/a.yaml:3: bloc A: unknown jurisdiction "QR"`,
				`{dir}/b.yaml:3: bloc B: unknown jurisdiction "QQ"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			r, err := Load(dir)
			if err == nil {
				t.Fatalf("Load succeeded, want errors:\n%s", strings.Join(tt.want, "\n"))
			}
			if r != nil {
				t.Error("Load returned a registry with an error")
			}
			want := strings.ReplaceAll(strings.Join(tt.want, "\n"), "{dir}", dir)
			if got := err.Error(); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			var le *Error
			if !errors.As(err, &le) || le.File == "" {
				t.Errorf("error %v is not an *Error naming a file", err)
			}
		})
	}
}

func TestLoadMissingDirectory(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope"))
	if err == nil || !strings.Contains(err.Error(), "load registry overrides") {
		t.Errorf("Load(missing dir) error = %v", err)
	}
}

// FuzzLoad feeds arbitrary bytes as an override file. Loading must either
// fail with errors that name the file, or succeed with the embedded data
// intact; it must never panic.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"version: \"1\"\n",
		"version: \"1\"\nblocs:\n  - {id: EU, override: true, name: EU, members: [FR, DE], checked: 2026-01-01, source: x}\n",
		"version: \"1\"\njurisdictions:\n  - {code: QQ, names: {en: Q}}\nagreements:\n  - {id: q, title: Q, kind: mlat, parties: [FR, QQ], purposes: [law-enforcement], valid_from: 2020-01-01, citation: c, source: s}\n",
		"version: \"1\"\nauthorities:\n  - {id: a, name: A, kind: state-authority, role: judicial, jurisdiction: FR, source: s, public_key: AAAA}\n",
		"version: 1\nblocs: [&a {id: X}, *a]\n",
		"- a\n- b\n",
		"version: \"1\"\n---\n",
		"{",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	base, err := embeddedDocs()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		doc, errs := parseFile(name, data)
		if doc == nil {
			if len(errs) == 0 {
				t.Fatal("no document and no error")
			}
			for _, err := range errs {
				var le *Error
				if !errors.As(err, &le) || le.File != name {
					t.Fatalf("error %v does not name %s", err, name)
				}
			}
			return
		}
		if len(errs) > 0 {
			t.Fatalf("document returned with errors %v", errs)
		}
		docs := append(append([]*document(nil), base...), doc)
		r, err := build(docs)
		if err != nil {
			if r != nil {
				t.Fatal("registry returned with an error")
			}
			return
		}
		if !r.KnownJurisdiction("FR") || len(r.Jurisdictions()) < 249 {
			t.Fatal("embedded jurisdictions lost")
		}
	})
}
