package advisory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// SBOM formats.
const (
	FormatCycloneDX = "cyclonedx"
	FormatSPDX      = "spdx"
)

// MaxSBOM bounds an SBOM document; an API answers 413 above it.
const MaxSBOM = 16 << 20

// MaxComponents bounds the components of one SBOM.
const MaxComponents = 100000

// SBOMInfo is what ParseSBOM read.
type SBOMInfo struct {
	// Format is cyclonedx or spdx.
	Format string
	// Digest is the hex SHA-256 of the document.
	Digest string
	// Components lists the components with a purl or a CPE, by purl then
	// CPE, without duplicates. Deployment is left empty.
	Components []store.Component
	// Skipped counts components with neither purl nor CPE: they cannot be
	// matched and are reported, not kept.
	Skipped int
}

// ParseSBOM reads a CycloneDX JSON or SPDX 2.3 JSON document (the format is
// told by its bomFormat or spdxVersion member). A bad purl is an
// *InputError naming the component.
func ParseSBOM(data []byte) (*SBOMInfo, error) {
	if len(data) > MaxSBOM {
		return nil, atOffset(MaxSBOM, locale.Errorf("SBOM is larger than %s bytes", strconv.Itoa(MaxSBOM)))
	}
	var head struct {
		BOMFormat   string `json:"bomFormat"`
		SPDXVersion string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonErr(data, err)
	}
	sum := sha256.Sum256(data)
	info := &SBOMInfo{Digest: hex.EncodeToString(sum[:])}
	var err error
	switch {
	case head.BOMFormat == "CycloneDX":
		info.Format = FormatCycloneDX
		err = readCycloneDX(data, info)
	case head.SPDXVersion == "SPDX-2.3":
		info.Format = FormatSPDX
		err = readSPDX(data, info)
	case head.SPDXVersion != "":
		return nil, inputErr("/spdxVersion", locale.Errorf("is %q; only SPDX-2.3 is read", head.SPDXVersion))
	default:
		return nil, inputErr("", locale.Errorf("neither a CycloneDX JSON document (bomFormat \"CycloneDX\") nor an SPDX 2.3 JSON document (spdxVersion \"SPDX-2.3\")"))
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(info.Components, func(i, j int) bool {
		a, b := info.Components[i], info.Components[j]
		if a.PURL != b.PURL {
			return a.PURL < b.PURL
		}
		return a.CPE < b.CPE
	})
	out := info.Components[:0]
	for i, c := range info.Components {
		if i > 0 && c.PURL == out[len(out)-1].PURL && c.CPE == out[len(out)-1].CPE {
			continue
		}
		out = append(out, c)
	}
	info.Components = out
	if len(out) > MaxComponents {
		return nil, inputErr("", locale.Errorf("%s components is more than %s", strconv.Itoa(len(out)), strconv.Itoa(MaxComponents)))
	}
	return info, nil
}

// component builds one component from what an SBOM says of it; path names
// it for errors.
func component(path, name, purl, cpe string) (store.Component, bool, error) {
	purl, cpe = strings.TrimSpace(purl), strings.TrimSpace(cpe)
	if purl == "" && cpe == "" {
		return store.Component{}, false, nil
	}
	c := store.Component{Name: name, CPE: cpe}
	if len(name) > 512 || len(purl) > 2048 || len(cpe) > 512 {
		return c, false, inputErr(path, locale.Errorf("name, purl or cpe is too long"))
	}
	if purl != "" {
		p, err := ParsePURL(purl)
		if err != nil {
			return c, false, inputErr(path, err)
		}
		c.PURL, c.Key, c.Version = purl, p.Key(), p.Version
	}
	return c, true, nil
}

func readCycloneDX(data []byte, info *SBOMInfo) error {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return jsonErr(data, err)
	}
	var walk func(path string, comps *[]cdx.Component) error
	walk = func(path string, comps *[]cdx.Component) error {
		if comps == nil {
			return nil
		}
		for i := range *comps {
			c := &(*comps)[i]
			p := fmt.Sprintf("%s/%d", path, i)
			comp, ok, err := component(p, c.Name, c.PackageURL, c.CPE)
			if err != nil {
				return err
			}
			if ok {
				info.Components = append(info.Components, comp)
			} else {
				info.Skipped++
			}
			if len(info.Components) > MaxComponents {
				return inputErr(p, locale.Errorf("more than %s components", strconv.Itoa(MaxComponents)))
			}
			if err := walk(p+"/components", c.Components); err != nil {
				return err
			}
		}
		return nil
	}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		one := []cdx.Component{*bom.Metadata.Component}
		if err := walk("/metadata/component", &one); err != nil {
			return err
		}
	}
	return walk("/components", bom.Components)
}

func readSPDX(data []byte, info *SBOMInfo) error {
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		return inputErr("", locale.Errorf("SPDX 2.3: %v", err))
	}
	for i, p := range doc.Packages {
		if p == nil {
			continue
		}
		var purl, cpe string
		for _, r := range p.PackageExternalReferences {
			if r == nil {
				continue
			}
			switch r.RefType {
			case "purl":
				if purl == "" {
					purl = r.Locator
				}
			case "cpe23Type", "cpe22Type":
				if cpe == "" {
					cpe = r.Locator
				}
			}
		}
		comp, ok, err := component(fmt.Sprintf("/packages/%d", i), p.PackageName, purl, cpe)
		if err != nil {
			return err
		}
		if ok {
			info.Components = append(info.Components, comp)
		} else {
			info.Skipped++
		}
	}
	return nil
}
