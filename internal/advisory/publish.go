package advisory

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ossf/osv-schema/bindings/go/osvschema"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/accord-dev/accord/internal/store"
)

// Files is a set of published files by path (relative, slash-separated).
type Files map[string][]byte

// OSVExport builds the OSV export of published advisories, as OSV mirrors
// read it: one <id>.json per advisory (an OSV publication as published; a
// CSAF one converted, its losses kept in the losses.json beside it) and
// modified_id.csv, "<modified>,<id>" lines newest first.
func OSVExport(recs []store.AdvisoryRecord) (Files, error) {
	files := Files{}
	type mod struct {
		t  time.Time
		id string
	}
	var mods []mod
	losses := map[string][]string{}
	for _, rec := range recs {
		var doc []byte
		switch rec.Format {
		case FormatOSV:
			doc = rec.Document
		case FormatCSAF:
			c, err := Convert(rec.Document, Publisher{})
			if err != nil {
				return nil, fmt.Errorf("osv export of %s: %w", rec.Key, err)
			}
			doc = c.Document
			losses[rec.Key] = c.Losses
		default:
			continue
		}
		var v osvschema.Vulnerability
		if err := (protojson.UnmarshalOptions{}).Unmarshal(doc, &v); err != nil {
			return nil, fmt.Errorf("osv export of %s: %w", rec.Key, err)
		}
		id := v.GetId()
		if strings.ContainsAny(id, "/\\") || id == "" {
			return nil, fmt.Errorf("osv export of %s: id %q cannot name a file", rec.Key, id)
		}
		if _, dup := files[id+".json"]; dup {
			continue // two vendors with the same id: the first published stays
		}
		files[id+".json"] = doc
		mods = append(mods, mod{v.GetModified().AsTime(), id})
	}
	sort.Slice(mods, func(i, j int) bool {
		if !mods[i].t.Equal(mods[j].t) {
			return mods[i].t.After(mods[j].t)
		}
		return mods[i].id < mods[j].id
	})
	var csv strings.Builder
	for _, m := range mods {
		fmt.Fprintf(&csv, "%s,%s\n", m.t.UTC().Format(time.RFC3339), m.id)
	}
	files["modified_id.csv"] = []byte(csv.String())
	if len(losses) > 0 {
		b, _ := json.MarshalIndent(losses, "", "  ")
		files["losses.json"] = b
	}
	return files, nil
}

// Provider describes the CSAF provider Accord runs (CSAF 2.0 section 7).
type Provider struct {
	// BaseURL is the server's public https URL, without a trailing slash.
	BaseURL string
	// Publisher is the provider's own publisher entry.
	Publisher Publisher
	// Key, when set, signs every advisory (requirement 19: a .asc beside
	// it) and is published in provider-metadata.json (requirement 20).
	Key *ProviderKey
}

// CSAFFilename is the file name CSAF 2.0 (section 5.1) gives a document
// with tracking id id: lower case, every character outside [+\-a-z0-9]
// replaced by "_", and ".json".
func CSAFFilename(id string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(id) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String() + ".json"
}

// CSAFDistribution builds a directory-based CSAF distribution (CSAF 2.0
// section 7.1.1 requirements 11–14) of the CSAF advisories published, all
// TLP:WHITE: white/<year>/<file>.json with its .sha256 and .sha512,
// white/index.txt and white/changes.csv, and provider-metadata.json.
// With p.Key, each advisory also has its OpenPGP signature (<file>.asc,
// requirement 19), and the public key is published as
// openpgp/<fingerprint>.asc and named, with its fingerprint, in
// provider-metadata.json public_openpgp_keys (requirement 20).
func CSAFDistribution(p Provider, recs []store.AdvisoryRecord, now time.Time) (Files, error) {
	files := Files{}
	type change struct {
		path string
		t    time.Time
	}
	var changes []change
	for _, rec := range recs {
		if rec.Format != FormatCSAF {
			continue
		}
		a, _, err := ParseCSAF(rec.Document)
		if err != nil {
			return nil, fmt.Errorf("csaf distribution of %s: %w", rec.Key, err)
		}
		path := fmt.Sprintf("white/%d/%s", a.Published.UTC().Year(), CSAFFilename(a.ID))
		if _, dup := files[path]; dup {
			continue
		}
		files[path] = rec.Document
		s256 := sha256.Sum256(rec.Document)
		s512 := sha512.Sum512(rec.Document)
		name := path[strings.LastIndexByte(path, '/')+1:]
		files[path+".sha256"] = []byte(hex.EncodeToString(s256[:]) + "  " + name + "\n")
		files[path+".sha512"] = []byte(hex.EncodeToString(s512[:]) + "  " + name + "\n")
		if p.Key != nil {
			sig, err := p.Key.Sign(rec.Document, rec.Published)
			if err != nil {
				return nil, fmt.Errorf("csaf distribution of %s: %w", rec.Key, err)
			}
			files[path+".asc"] = sig
		}
		changes = append(changes, change{strings.TrimPrefix(path, "white/"), a.Modified})
	}
	sort.Slice(changes, func(i, j int) bool {
		if !changes[i].t.Equal(changes[j].t) {
			return changes[i].t.After(changes[j].t)
		}
		return changes[i].path < changes[j].path
	})
	var index, csv strings.Builder
	paths := make([]string, 0, len(changes))
	for _, c := range changes {
		paths = append(paths, c.path)
		fmt.Fprintf(&csv, "%q,%q\n", c.path, c.t.UTC().Format(time.RFC3339))
	}
	sort.Strings(paths)
	for _, p := range paths {
		index.WriteString(p + "\n")
	}
	files["white/index.txt"] = []byte(index.String())
	// Directory listings (requirement 14): white/ and each year folder.
	listing := func(dir string, names []string) {
		var b strings.Builder
		b.WriteString("<!DOCTYPE html>\n<html><head><title>Index of " + dir + "</title></head><body><ul>\n")
		for _, n := range names {
			fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", n, n)
		}
		b.WriteString("</ul></body></html>\n")
		files[dir] = []byte(b.String())
	}
	years := map[string][]string{}
	for _, path := range paths {
		y, f, _ := strings.Cut(path, "/")
		years[y] = append(years[y], f, f+".sha256", f+".sha512")
		if p.Key != nil {
			years[y] = append(years[y], f+".asc")
		}
	}
	top := []string{"changes.csv", "index.txt"}
	for y, fs := range years {
		listing("white/"+y+"/", fs)
		top = append(top, y+"/")
	}
	sort.Strings(top)
	listing("white/", top)
	files["white/changes.csv"] = []byte(csv.String())
	last := now.UTC()
	if len(changes) > 0 {
		last = changes[0].t.UTC()
	}
	meta := map[string]any{
		"canonical_url":              p.BaseURL + "/.well-known/csaf/provider-metadata.json",
		"distributions":              []any{map[string]any{"directory_url": p.BaseURL + "/.well-known/csaf/white/"}},
		"last_updated":               last.Format(time.RFC3339),
		"list_on_CSAF_aggregators":   true,
		"metadata_version":           "2.0",
		"mirror_on_CSAF_aggregators": true,
		"publisher":                  map[string]any{"category": "coordinator", "name": p.Publisher.Name, "namespace": p.Publisher.Namespace},
		"role":                       "csaf_provider",
	}
	if p.Key != nil {
		fpr := p.Key.Fingerprint()
		meta["public_openpgp_keys"] = []any{map[string]any{"fingerprint": fpr, "url": p.BaseURL + "/.well-known/csaf/openpgp/" + fpr + ".asc"}}
		files["openpgp/"+fpr+".asc"] = p.Key.PublicArmored()
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return nil, err
	}
	files["provider-metadata.json"] = b
	// security.txt (RFC 9116) names the provider metadata (requirement 8).
	files["security.txt"] = []byte("Contact: " + p.BaseURL + "/\nExpires: " + now.UTC().AddDate(1, 0, 0).Truncate(24*time.Hour).Format(time.RFC3339) +
		"\nCSAF: " + p.BaseURL + "/.well-known/csaf/provider-metadata.json\n")
	return files, nil
}
