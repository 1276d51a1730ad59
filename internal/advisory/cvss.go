package advisory

import (
	"math"
	"strings"

	"github.com/accord-dev/accord/internal/locale"
)

// cvss3BaseScore computes the CVSS v3.0/v3.1 base score of a vector
// ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") by the formula of the
// FIRST specification (v3.1, section 7.1). Temporal and environmental
// metrics are ignored.
func cvss3BaseScore(vector string) (float64, error) {
	parts := strings.Split(vector, "/")
	if len(parts) < 9 || (parts[0] != "CVSS:3.1" && parts[0] != "CVSS:3.0") {
		return 0, locale.Errorf("CVSS vector %q: want CVSS:3.0/ or CVSS:3.1/ and the eight base metrics", vector)
	}
	weights := map[string]map[string]float64{
		"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
		"AC": {"L": 0.77, "H": 0.44},
		"PR": {"N": 0.85, "L": 0.62, "H": 0.27}, // L and H change with scope
		"UI": {"N": 0.85, "R": 0.62},
		"S":  {"U": 0, "C": 1},
		"C":  {"H": 0.56, "L": 0.22, "N": 0},
		"I":  {"H": 0.56, "L": 0.22, "N": 0},
		"A":  {"H": 0.56, "L": 0.22, "N": 0},
	}
	got := map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok {
			return 0, locale.Errorf("CVSS vector %q: bad metric %q", vector, p)
		}
		if _, base := weights[k]; !base {
			continue
		}
		if _, ok := weights[k][v]; !ok {
			return 0, locale.Errorf("CVSS vector %q: bad value %q for %s", vector, v, k)
		}
		if _, dup := got[k]; dup {
			return 0, locale.Errorf("CVSS vector %q: %s given twice", vector, k)
		}
		got[k] = v
	}
	if len(got) != len(weights) {
		return 0, locale.Errorf("CVSS vector %q: a base metric is missing", vector)
	}
	changed := got["S"] == "C"
	pr := weights["PR"][got["PR"]]
	if changed {
		switch got["PR"] {
		case "L":
			pr = 0.68
		case "H":
			pr = 0.5
		}
	}
	iss := 1 - (1-weights["C"][got["C"]])*(1-weights["I"][got["I"]])*(1-weights["A"][got["A"]])
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	expl := 8.22 * weights["AV"][got["AV"]] * weights["AC"][got["AC"]] * pr * weights["UI"][got["UI"]]
	if impact <= 0 {
		return 0, nil
	}
	if changed {
		return roundup(math.Min(1.08*(impact+expl), 10)), nil
	}
	return roundup(math.Min(impact+expl, 10)), nil
}

// roundup is CVSS v3.1's Roundup: the smallest number, to one decimal,
// equal to or higher than x.
func roundup(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return (math.Floor(float64(i)/10000) + 1) / 10
}
