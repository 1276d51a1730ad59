package ledger

import (
	"log/slog"

	"k8s.io/klog/v2"
)

// RouteTesseraLogs sends the log messages of Tessera (which logs through
// klog, to standard error by default) to logger instead. Call it once at
// start, before the first Open: it affects the whole process, and klog's
// logger is not synchronised, so replacing it while a log is open (or its
// background goroutines are still winding down) is a data race. A command-line tool that
// wants a quiet standard error passes a logger whose handler drops levels
// below Warn; nil restores klog's default output.
func RouteTesseraLogs(logger *slog.Logger) {
	if logger == nil {
		klog.ClearLogger()
		return
	}
	klog.SetSlogLogger(logger)
}
