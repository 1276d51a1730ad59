// Package cputime measures the CPU time a benchmark uses. On a machine
// shared with other jobs, CPU time per operation varies much less than
// the wall time ns/op, which also counts the waits for a CPU.
package cputime

import (
	"syscall"
	"testing"
)

// Process returns the CPU time this process has used so far, user and
// system, all threads (the garbage collector's included), in nanoseconds;
// 0 when the system does not say.
func Process() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// Report starts counting the process's CPU time and returns the function
// that reports it per op as the metric cpu-ns/op; call it when b's loop
// ends.
func Report(b *testing.B) func() {
	start := Process()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(Process()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
