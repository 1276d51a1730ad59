package registry

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// embedded holds the default registry data.
//
//go:embed data/*.yaml
var embedded embed.FS

// Error is a problem at a place in a registry data file. Load returns one
// per problem, joined with locale.Join.
type Error struct {
	// File is the file's path: "data/blocs.yaml" for embedded data, the
	// path on disk for an override.
	File string
	// Line is the 1-based line of the offending entry or field; 0 when
	// the problem concerns the whole file.
	Line int
	// Msg says what is wrong, in English.
	Msg string
	// msg is Msg as a catalog message, for Text; nil for an *Error made
	// elsewhere or holding a YAML parser's message, which print Msg.
	msg error
}

// Error returns "file:line: message" in English ("file: message" for a
// problem of the whole file).
func (e *Error) Error() string { return e.where() + e.Msg }

// Text returns the position, unchanged, and the message in p's language.
func (e *Error) Text(p *locale.Printer) string {
	if e.msg == nil {
		return e.Error()
	}
	return e.where() + locale.Text(p, e.msg)
}

// Unwrap returns the catalog message, and what it wraps, if any.
func (e *Error) Unwrap() error { return e.msg }

// where returns the position and its separator.
func (e *Error) where() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": "
	}
	return e.File + ": "
}

// Load builds a registry from the embedded data and then from every *.yaml
// file of each override directory, directories in the order given and files
// in name order.
//
// An override file has the same shape as the embedded ones: a top-level
// `version:` and any of the lists `jurisdictions`, `blocs`, `authorities`,
// `agreements`. An entry whose id is new is added. An entry whose id
// already exists replaces the earlier one only if it says `override: true`;
// otherwise it is a conflict. References (bloc members, agreement parties
// and parties_bloc, authority jurisdictions) are checked once everything is
// loaded. Every problem is reported as an *Error naming file and line, and
// no registry is returned.
func Load(overrideDirs ...string) (*Registry, error) {
	base, err := embeddedDocs()
	if err != nil {
		return nil, locale.Errorf("load embedded registry: %v", err)
	}
	docs := slices.Clone(base)
	var errs []error
	for _, dir := range overrideDirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, locale.Errorf("load registry overrides: %v", err)
		}
		for _, e := range entries {
			if e.IsDir() || filepath.Ext(e.Name()) != ".yaml" {
				continue
			}
			name := filepath.Join(dir, e.Name())
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, locale.Errorf("load registry overrides: %v", err)
			}
			doc, perrs := parseFile(name, data)
			errs = append(errs, perrs...)
			if doc != nil {
				docs = append(docs, doc)
			}
		}
	}
	if len(errs) > 0 {
		return nil, locale.Join(errs...)
	}
	return build(docs)
}

// embeddedDocs parses the embedded files once; the parsed documents are
// never modified afterwards.
var embeddedDocs = sync.OnceValues(func() ([]*document, error) {
	names, err := fs.Glob(embedded, "data/*.yaml")
	if err != nil {
		return nil, err
	}
	var docs []*document
	var errs []error
	for _, name := range names {
		data, err := fs.ReadFile(embedded, name)
		if err != nil {
			return nil, err
		}
		doc, perrs := parseFile(name, data)
		errs = append(errs, perrs...)
		if doc != nil {
			docs = append(docs, doc)
		}
	}
	return docs, locale.Join(errs...)
})

// pos is a place in a file.
type pos struct {
	file string
	line int
}

// err returns msg, a catalog message, as an *Error at p.
func (p pos) err(msg error) error {
	return &Error{File: p.file, Line: p.line, Msg: msg.Error(), msg: msg}
}

func (p pos) String() string { return fmt.Sprintf("%s:%d", p.file, p.line) }

// document is one parsed data file.
type document struct {
	file          string
	version       string
	jurisdictions []*jurisdictionItem
	blocs         []*blocItem
	authorities   []*authorityItem
	agreements    []*agreementItem
}

type jurisdictionItem struct {
	Jurisdiction
	override bool
	at       pos
}

type blocItem struct {
	Bloc
	override bool
	at       pos
	memberAt []pos // parallel to Members as written
}

type authorityItem struct {
	Authority
	override bool
	at       pos
	jurAt    pos
}

type agreementItem struct {
	Agreement // Parties holds only the parties listed one by one
	override  bool
	at        pos
	partyAt   []pos // parallel to Parties
	blocAt    pos
}

// The raw entry shapes, as written in YAML. Every field is a scalar, a list
// of scalars or a map of scalars; dates are strings parsed by hand so that
// errors can name the field.
type rawJurisdiction struct {
	Code     string            `yaml:"code"`
	Names    map[string]string `yaml:"names"`
	Override bool              `yaml:"override"`
}

type rawBloc struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Members  []string `yaml:"members"`
	Checked  string   `yaml:"checked"`
	Source   string   `yaml:"source"`
	Note     string   `yaml:"note"`
	Override bool     `yaml:"override"`
}

type rawAuthority struct {
	ID           string `yaml:"id"`
	Name         string `yaml:"name"`
	Kind         string `yaml:"kind"`
	Role         string `yaml:"role"`
	Jurisdiction string `yaml:"jurisdiction"`
	Example      bool   `yaml:"example"`
	PublicKey    string `yaml:"public_key"`
	Source       string `yaml:"source"`
	Note         string `yaml:"note"`
	Override     bool   `yaml:"override"`
}

type rawAgreement struct {
	ID          string   `yaml:"id"`
	Title       string   `yaml:"title"`
	Kind        string   `yaml:"kind"`
	Parties     []string `yaml:"parties"`
	PartiesBloc string   `yaml:"parties_bloc"`
	Purposes    []string `yaml:"purposes"`
	Categories  []string `yaml:"categories"`
	Conditions  []string `yaml:"conditions"`
	Signed      string   `yaml:"signed"`
	ValidFrom   string   `yaml:"valid_from"`
	ValidTo     string   `yaml:"valid_to"`
	Citation    string   `yaml:"citation"`
	Source      string   `yaml:"source"`
	Note        string   `yaml:"note"`
	Override    bool     `yaml:"override"`
}

var (
	codeRE      = regexp.MustCompile(`^[A-Z]{2}$`)
	blocIDRE    = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,31}$`)
	entryIDRE   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	langRE      = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	yamlLineRE  = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	topLevelKey = []string{"version", "source", "jurisdictions", "blocs", "authorities", "agreements"}
)

// parseFile parses one data file. It returns every problem it finds; the
// document is nil when there is any.
func parseFile(file string, data []byte) (*document, []error) {
	whole := pos{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []error{whole.err(locale.Errorf("empty file: want a mapping with version and entries"))}
		}
		return nil, []error{yamlError(file, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, []error{yamlError(file, err)}
		}
		return nil, []error{pos{file, extra.Line}.err(locale.Errorf("more than one YAML document; put one mapping per file"))}
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	if top.Kind != yaml.MappingNode {
		return nil, []error{pos{file, top.Line}.err(locale.Errorf("top level must be a mapping with version and entries"))}
	}
	doc := &document{file: file}
	var errs []error
	seen := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		at := pos{file, k.Line}
		if prev, dup := seen[k.Value]; dup {
			errs = append(errs, at.err(locale.Errorf("field %q repeated (first at line %s)", k.Value, strconv.Itoa(prev))))
			continue
		}
		seen[k.Value] = k.Line
		if !slices.Contains(topLevelKey, k.Value) {
			errs = append(errs, at.err(locale.Errorf("unknown field %q (want one of %s)", k.Value, strings.Join(topLevelKey, ", "))))
			continue
		}
		switch k.Value {
		case "version", "source":
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
				errs = append(errs, pos{file, v.Line}.err(locale.Errorf("%s must be a non-empty string", k.Value)))
				continue
			}
			if k.Value == "version" {
				doc.version = v.Value
			}
		default:
			if v.Kind != yaml.SequenceNode {
				if v.Tag == "!!null" {
					continue // an empty list
				}
				errs = append(errs, pos{file, v.Line}.err(locale.Errorf("%s must be a list", k.Value)))
				continue
			}
			for _, item := range v.Content {
				errs = append(errs, parseItem(doc, k.Value, item)...)
			}
		}
	}
	if _, ok := seen["version"]; !ok {
		errs = append(errs, pos{file, top.Line}.err(locale.Errorf("missing version: every registry file says which version of its data it holds")))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return doc, nil
}

// parseItem decodes and checks one entry of a section and appends it to doc.
func parseItem(doc *document, section string, n *yaml.Node) []error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	at := pos{doc.file, n.Line}
	if n.Kind != yaml.MappingNode {
		return []error{at.err(locale.Errorf("%s: each entry must be a mapping", section))}
	}
	switch section {
	case "jurisdictions":
		var r rawJurisdiction
		if errs := decodeStrict(doc.file, n, &r); len(errs) > 0 {
			return errs
		}
		it, errs := checkJurisdiction(at, n, &r)
		if it != nil {
			doc.jurisdictions = append(doc.jurisdictions, it)
		}
		return errs
	case "blocs":
		var r rawBloc
		if errs := decodeStrict(doc.file, n, &r); len(errs) > 0 {
			return errs
		}
		it, errs := checkBloc(at, n, &r)
		if it != nil {
			doc.blocs = append(doc.blocs, it)
		}
		return errs
	case "authorities":
		var r rawAuthority
		if errs := decodeStrict(doc.file, n, &r); len(errs) > 0 {
			return errs
		}
		it, errs := checkAuthority(at, n, &r)
		if it != nil {
			doc.authorities = append(doc.authorities, it)
		}
		return errs
	default: // agreements
		var r rawAgreement
		if errs := decodeStrict(doc.file, n, &r); len(errs) > 0 {
			return errs
		}
		it, errs := checkAgreement(at, n, &r)
		if it != nil {
			doc.agreements = append(doc.agreements, it)
		}
		return errs
	}
}

// fieldSets caches, per raw type, the YAML field names it accepts.
var fieldSets sync.Map // reflect.Type -> []string

func yamlFields(t reflect.Type) []string {
	if v, ok := fieldSets.Load(t); ok {
		return v.([]string)
	}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		names = append(names, name)
	}
	fieldSets.Store(t, names)
	return names
}

// decodeStrict decodes mapping n into out (a pointer to a raw struct),
// rejecting unknown and repeated fields and type mismatches, each with its
// line.
func decodeStrict(file string, n *yaml.Node, out any) []error {
	known := yamlFields(reflect.TypeOf(out).Elem())
	var errs []error
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		at := pos{file, k.Line}
		if prev, dup := seen[k.Value]; dup {
			errs = append(errs, at.err(locale.Errorf("field %q repeated (first at line %s)", k.Value, strconv.Itoa(prev))))
			continue
		}
		seen[k.Value] = k.Line
		if !slices.Contains(known, k.Value) {
			errs = append(errs, at.err(locale.Errorf("unknown field %q (want one of %s)", k.Value, strings.Join(known, ", "))))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if err := n.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				errs = append(errs, yamlError(file, errors.New(msg)))
			}
			return errs
		}
		return []error{yamlError(file, err)}
	}
	return nil
}

// yamlError turns a yaml.v3 message ("yaml: line 3: ...") into an *Error.
func yamlError(file string, err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: m[2]}
	}
	return &Error{File: file, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// valueNode returns the value of key in mapping n, or nil.
func valueNode(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// fieldPos is the position of key's value in entry n, or of the entry when
// the key is absent.
func fieldPos(at pos, n *yaml.Node, key string) pos {
	if v := valueNode(n, key); v != nil {
		return pos{at.file, v.Line}
	}
	return at
}

// listPos returns the position of each element of list key in entry n.
func listPos(at pos, n *yaml.Node, key string, count int) []pos {
	out := make([]pos, count)
	v := valueNode(n, key)
	for i := range out {
		out[i] = at
		if v != nil && v.Kind == yaml.SequenceNode && i < len(v.Content) {
			out[i] = pos{at.file, v.Content[i].Line}
		}
	}
	return out
}

func required(at pos, n *yaml.Node, key, value string) error {
	if strings.TrimSpace(value) == "" {
		return fieldPos(at, n, key).err(locale.Errorf("%s is required", key))
	}
	return nil
}

func parseDate(at pos, n *yaml.Node, key, value string, needed bool) (time.Time, error) {
	if value == "" {
		if needed {
			return time.Time{}, fieldPos(at, n, key).err(locale.Errorf("%s is required (YYYY-MM-DD)", key))
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, value)
	if err != nil {
		return time.Time{}, fieldPos(at, n, key).err(locale.Errorf("%s: %q is not a date YYYY-MM-DD", key, value))
	}
	return t, nil
}

// checkCodes checks a list of jurisdiction codes for form and repeats.
func checkCodes(at pos, n *yaml.Node, key string, codes []string) ([]pos, []error) {
	where := listPos(at, n, key, len(codes))
	var errs []error
	seen := map[string]bool{}
	for i, c := range codes {
		switch {
		case !codeRE.MatchString(c):
			errs = append(errs, where[i].err(locale.Errorf("%s: %q is not an ISO 3166-1 alpha-2 code (two upper-case letters)", key, c)))
		case seen[c]:
			errs = append(errs, where[i].err(locale.Errorf("%s: %s listed twice", key, c)))
		}
		seen[c] = true
	}
	return where, errs
}

func checkJurisdiction(at pos, n *yaml.Node, r *rawJurisdiction) (*jurisdictionItem, []error) {
	var errs []error
	if !codeRE.MatchString(r.Code) {
		errs = append(errs, fieldPos(at, n, "code").err(locale.Errorf("code: %q is not an ISO 3166-1 alpha-2 code (two upper-case letters)", r.Code)))
	}
	if strings.TrimSpace(r.Names["en"]) == "" {
		errs = append(errs, fieldPos(at, n, "names").err(locale.Errorf("names.en is required")))
	}
	for _, lang := range sortedKeys(r.Names) {
		if !langRE.MatchString(lang) {
			errs = append(errs, fieldPos(at, n, "names").err(locale.Errorf("names: %q is not a language tag", lang)))
		} else if strings.TrimSpace(r.Names[lang]) == "" {
			errs = append(errs, fieldPos(at, n, "names").err(locale.Errorf("names.%s is empty", lang)))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &jurisdictionItem{Jurisdiction: Jurisdiction{Code: r.Code, Names: r.Names}, override: r.Override, at: at}, nil
}

func checkBloc(at pos, n *yaml.Node, r *rawBloc) (*blocItem, []error) {
	var errs []error
	if !blocIDRE.MatchString(r.ID) {
		errs = append(errs, fieldPos(at, n, "id").err(locale.Errorf("id: %q is not a bloc id (upper case letters, digits, _)", r.ID)))
	}
	errs = appendErr(errs, required(at, n, "name", r.Name))
	errs = appendErr(errs, required(at, n, "source", r.Source))
	if len(r.Members) == 0 {
		errs = append(errs, fieldPos(at, n, "members").err(locale.Errorf("members: a bloc needs at least one member")))
	}
	memberAt, cerrs := checkCodes(at, n, "members", r.Members)
	errs = append(errs, cerrs...)
	checked, err := parseDate(at, n, "checked", r.Checked, true)
	errs = appendErr(errs, err)
	if len(errs) > 0 {
		return nil, errs
	}
	return &blocItem{
		Bloc:     Bloc{ID: r.ID, Name: r.Name, Members: r.Members, Checked: checked, Source: r.Source, Note: r.Note},
		override: r.Override, at: at, memberAt: memberAt,
	}, nil
}

func checkAuthority(at pos, n *yaml.Node, r *rawAuthority) (*authorityItem, []error) {
	var errs []error
	if !entryIDRE.MatchString(r.ID) {
		errs = append(errs, fieldPos(at, n, "id").err(locale.Errorf("id: %q is not an id (lower-case words joined by -)", r.ID)))
	}
	errs = appendErr(errs, required(at, n, "name", r.Name))
	errs = appendErr(errs, required(at, n, "source", r.Source))
	if !slices.Contains(model.PrincipalKinds, r.Kind) {
		errs = append(errs, fieldPos(at, n, "kind").err(locale.Errorf("kind: %q is not one of %s", r.Kind, strings.Join(model.PrincipalKinds, ", "))))
	}
	if !slices.Contains(AuthorityRoles, r.Role) {
		errs = append(errs, fieldPos(at, n, "role").err(locale.Errorf("role: %q is not one of %s", r.Role, strings.Join(AuthorityRoles, ", "))))
	}
	if !codeRE.MatchString(r.Jurisdiction) {
		errs = append(errs, fieldPos(at, n, "jurisdiction").err(locale.Errorf("jurisdiction: %q is not an ISO 3166-1 alpha-2 code", r.Jurisdiction)))
	}
	if r.PublicKey != "" {
		key, err := base64.StdEncoding.DecodeString(r.PublicKey)
		if err != nil || len(key) != 32 {
			errs = append(errs, fieldPos(at, n, "public_key").err(locale.Errorf("public_key: want a 32-byte Ed25519 public key in standard base64")))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &authorityItem{
		Authority: Authority{ID: r.ID, Name: r.Name, Kind: r.Kind, Role: r.Role, Jurisdiction: r.Jurisdiction,
			Example: r.Example, PublicKey: r.PublicKey, Source: r.Source, Note: r.Note},
		override: r.Override, at: at, jurAt: fieldPos(at, n, "jurisdiction"),
	}, nil
}

func checkAgreement(at pos, n *yaml.Node, r *rawAgreement) (*agreementItem, []error) {
	var errs []error
	if !entryIDRE.MatchString(r.ID) {
		errs = append(errs, fieldPos(at, n, "id").err(locale.Errorf("id: %q is not an id (lower-case words joined by -)", r.ID)))
	}
	errs = appendErr(errs, required(at, n, "title", r.Title))
	errs = appendErr(errs, required(at, n, "citation", r.Citation))
	errs = appendErr(errs, required(at, n, "source", r.Source))
	if !slices.Contains(AgreementKinds, r.Kind) {
		errs = append(errs, fieldPos(at, n, "kind").err(locale.Errorf("kind: %q is not one of %s", r.Kind, strings.Join(AgreementKinds, ", "))))
	}
	partyAt, cerrs := checkCodes(at, n, "parties", r.Parties)
	errs = append(errs, cerrs...)
	if len(r.Parties) == 0 && r.PartiesBloc == "" {
		errs = append(errs, fieldPos(at, n, "parties").err(locale.Errorf("parties: list the parties, or name a bloc in parties_bloc")))
	}
	if r.PartiesBloc != "" && !blocIDRE.MatchString(r.PartiesBloc) {
		errs = append(errs, fieldPos(at, n, "parties_bloc").err(locale.Errorf("parties_bloc: %q is not a bloc id", r.PartiesBloc)))
	}
	purposeAt := listPos(at, n, "purposes", len(r.Purposes))
	for i, p := range r.Purposes {
		if !slices.Contains(model.Purposes, model.Purpose(p)) {
			errs = append(errs, purposeAt[i].err(locale.Errorf("purposes: %q is not a purpose (want one of %s)", p, joinPurposes())))
		}
	}
	if len(r.Purposes) == 0 && r.Kind != KindCommitment {
		errs = append(errs, fieldPos(at, n, "purposes").err(locale.Errorf("purposes: a %s must list the purposes it covers", r.Kind)))
	}
	categoryAt := listPos(at, n, "categories", len(r.Categories))
	for i, c := range r.Categories {
		if !model.KnownCategory(c) {
			errs = append(errs, categoryAt[i].err(locale.Errorf("categories: %q is not a known category", c)))
		}
	}
	conditionAt := listPos(at, n, "conditions", len(r.Conditions))
	for i, c := range r.Conditions {
		if strings.TrimSpace(c) == "" {
			errs = append(errs, conditionAt[i].err(locale.Errorf("conditions: empty condition")))
		}
	}
	signed, err := parseDate(at, n, "signed", r.Signed, false)
	errs = appendErr(errs, err)
	from, err := parseDate(at, n, "valid_from", r.ValidFrom, true)
	errs = appendErr(errs, err)
	to, err := parseDate(at, n, "valid_to", r.ValidTo, false)
	errs = appendErr(errs, err)
	if err == nil && !to.IsZero() && !from.IsZero() && !to.After(from) {
		errs = append(errs, fieldPos(at, n, "valid_to").err(locale.Errorf("valid_to %s is not after valid_from %s", r.ValidTo, r.ValidFrom)))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &agreementItem{
		Agreement: Agreement{ID: r.ID, Title: r.Title, Kind: r.Kind, Parties: r.Parties, PartiesBloc: r.PartiesBloc,
			Purposes: r.Purposes, Categories: r.Categories, Conditions: r.Conditions,
			Signed: signed, ValidFrom: from, ValidTo: to, Citation: r.Citation, Source: r.Source, Note: r.Note},
		override: r.Override, at: at, partyAt: partyAt, blocAt: fieldPos(at, n, "parties_bloc"),
	}, nil
}

func joinPurposes() string {
	s := make([]string, len(model.Purposes))
	for i, p := range model.Purposes {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

// place adds or replaces an entry by id in m, enforcing the override rule.
// what names the kind of entry, as a catalog message (locale.Errorf("bloc")).
func place[T any](m map[string]T, what error, id string, it T, override bool, at, prev func(T) pos) error {
	old, exists := m[id]
	switch {
	case exists && !override:
		return at(it).err(locale.Errorf("%s %q already defined at %s; set override: true to replace it", what, id, prev(old)))
	case !exists && override:
		return at(it).err(locale.Errorf("%s %q has override: true but nothing earlier defines it", what, id))
	}
	m[id] = it
	return nil
}

// build applies the documents in order and checks references.
func build(docs []*document) (*Registry, error) {
	jur := map[string]*jurisdictionItem{}
	blocs := map[string]*blocItem{}
	auths := map[string]*authorityItem{}
	agrs := map[string]*agreementItem{}
	var errs []error
	var files []FileVersion
	for _, d := range docs {
		files = append(files, FileVersion{File: d.file, Version: d.version})
		for _, it := range d.jurisdictions {
			errs = appendErr(errs, place(jur, locale.Errorf("jurisdiction"), it.Code, it, it.override,
				func(x *jurisdictionItem) pos { return x.at }, func(x *jurisdictionItem) pos { return x.at }))
		}
		for _, it := range d.blocs {
			errs = appendErr(errs, place(blocs, locale.Errorf("bloc"), it.ID, it, it.override,
				func(x *blocItem) pos { return x.at }, func(x *blocItem) pos { return x.at }))
		}
		for _, it := range d.authorities {
			errs = appendErr(errs, place(auths, locale.Errorf("authority"), it.ID, it, it.override,
				func(x *authorityItem) pos { return x.at }, func(x *authorityItem) pos { return x.at }))
		}
		for _, it := range d.agreements {
			errs = appendErr(errs, place(agrs, locale.Errorf("agreement"), it.ID, it, it.override,
				func(x *agreementItem) pos { return x.at }, func(x *agreementItem) pos { return x.at }))
		}
	}

	r := &Registry{
		jurisdictions: make(map[string]*Jurisdiction, len(jur)),
		blocs:         make(map[string]*blocEntry, len(blocs)),
		agreements:    make(map[string]*agreementEntry, len(agrs)),
		authorities:   make(map[string]*Authority, len(auths)),
		files:         files,
	}
	for code, it := range jur {
		j := it.Jurisdiction
		r.jurisdictions[code] = &j
	}
	for _, id := range sortedKeys(blocs) {
		it := blocs[id]
		e := &blocEntry{Bloc: it.Bloc, members: make(map[string]struct{}, len(it.Members))}
		for i, m := range it.Members {
			if _, ok := jur[m]; !ok {
				errs = append(errs, it.memberAt[i].err(locale.Errorf("bloc %s: unknown jurisdiction %q", id, m)))
			}
			e.members[m] = struct{}{}
		}
		e.Members = slices.Sorted(maps.Keys(e.members))
		r.blocs[id] = e
	}
	for _, id := range sortedKeys(auths) {
		it := auths[id]
		if _, ok := jur[it.Jurisdiction]; !ok {
			errs = append(errs, it.jurAt.err(locale.Errorf("authority %s: unknown jurisdiction %q", id, it.Jurisdiction)))
		}
		a := it.Authority
		r.authorities[id] = &a
	}
	for _, id := range sortedKeys(agrs) {
		it := agrs[id]
		e := &agreementEntry{Agreement: it.Agreement, parties: map[string]struct{}{}, purposes: map[string]struct{}{}}
		for i, p := range it.Parties {
			if _, ok := jur[p]; !ok {
				errs = append(errs, it.partyAt[i].err(locale.Errorf("agreement %s: unknown jurisdiction %q in parties", id, p)))
			}
			e.parties[p] = struct{}{}
		}
		if it.PartiesBloc != "" {
			b, ok := blocs[it.PartiesBloc]
			if !ok {
				errs = append(errs, it.blocAt.err(locale.Errorf("agreement %s: unknown bloc %q in parties_bloc", id, it.PartiesBloc)))
			} else {
				for _, m := range b.Members {
					e.parties[m] = struct{}{}
				}
			}
		}
		if len(e.parties) < 2 && it.Kind != KindCommitment {
			errs = append(errs, it.at.err(locale.Errorf("agreement %s: a %s needs at least two parties", id, it.Kind)))
		}
		for _, p := range it.Purposes {
			e.purposes[p] = struct{}{}
		}
		e.Parties = slices.Sorted(maps.Keys(e.parties))
		e.Purposes = append([]string{}, it.Purposes...)
		r.agreements[id] = e
	}
	if len(errs) > 0 {
		sortErrors(errs, docs)
		return nil, locale.Join(errs...)
	}
	return r, nil
}

// sortErrors orders errors by file load order, then line.
func sortErrors(errs []error, docs []*document) {
	order := map[string]int{}
	for i, d := range docs {
		order[d.file] = i
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		var ea, eb *Error
		if !errors.As(a, &ea) || !errors.As(b, &eb) {
			return 0
		}
		return cmp.Or(cmp.Compare(order[ea.File], order[eb.File]), cmp.Compare(ea.Line, eb.Line))
	})
}
