package locale

import (
	"fmt"
	"testing"
	"time"
)

// The peer of a Printer is fmt.Sprintf: what each message costs for being
// translated, pluralized and its numbers grouped.
func BenchmarkFmtSprintf(b *testing.B) {
	for b.Loop() {
		_ = fmt.Sprintf("%d log entries read.", 50000)
	}
}

func BenchmarkPrinterPlural(b *testing.B) {
	p := For("ru")
	for b.Loop() {
		_ = p.Sprintf("%d log entries read.", 50000)
	}
}

func BenchmarkPrinterDuration(b *testing.B) {
	p := For("fr")
	for b.Loop() {
		_ = p.Duration(26*time.Hour + 3*time.Minute)
	}
}

func BenchmarkPrinterDate(b *testing.B) {
	p := For("ar")
	t := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		_ = p.Date(t)
	}
}
