package jsonstrict

// Closest returns the name among known nearest to name by edit distance
// (insertions, deletions, substitutions and swaps of adjacent letters),
// for an error to suggest it: "unknown field; did you mean ...". It
// returns "" when nothing is near enough to be a likely typing slip (more
// than a third of the longer name differs), so that no suggestion is
// better than a misleading one. Ties go to the first in known.
func Closest(name string, known []string) string {
	best, bestD := "", -1
	for _, k := range known {
		d := editDistance(name, k)
		limit := max(len(name), len(k)) / 3
		if limit < 1 {
			limit = 1
		}
		if d > limit || d == 0 && name != k {
			continue
		}
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance between a and b,
// over bytes (field names are ASCII).
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
