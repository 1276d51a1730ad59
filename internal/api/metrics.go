package api

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accord-dev/accord/internal/model"
)

// Metrics are the Prometheus metrics Accord serves at /metrics. They hold
// no personal data: outcomes, pack names, latencies and sizes only.
type Metrics struct {
	reg           *prometheus.Registry
	decisions     *prometheus.CounterVec
	packs         *prometheus.CounterVec
	failures      *prometheus.CounterVec
	decideSeconds *prometheus.HistogramVec
	evalSeconds   prometheus.Histogram
	appendSeconds prometheus.Histogram
	logSize       prometheus.Gauge

	mu   sync.Mutex
	size uint64
}

// NewMetrics makes a fresh set of metrics in its own registry, with the Go
// runtime and process collectors.
func NewMetrics() *Metrics {
	buckets := prometheus.ExponentialBuckets(0.0001, 2, 16) // 100µs .. ~3.3s
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_decisions_total", Help: "Binding decisions made, by outcome.",
		}, []string{"outcome"}),
		packs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_pack_decisions_total", Help: "Each pack's own outcome in binding decisions, by pack and outcome.",
		}, []string{"pack", "outcome"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_decision_failures_total", Help: "Decisions and checks that ended in an error, by endpoint and HTTP status.",
		}, []string{"endpoint", "status"}),
		decideSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "accord_decision_seconds", Help: "Time to answer a decision (decide: evaluate, log, store) or a dry run (check).", Buckets: buckets,
		}, []string{"endpoint"}),
		evalSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "accord_evaluation_seconds", Help: "Time to evaluate the policy packs for one request.", Buckets: buckets,
		}),
		appendSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "accord_log_append_seconds", Help: "Time from handing an entry to the log to its index being durable.", Buckets: buckets,
		}),
		logSize: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "accord_log_size", Help: "Entries in the transparency log, as last seen by this process.",
		}),
	}
	m.reg.MustRegister(m.decisions, m.packs, m.failures, m.decideSeconds, m.evalSeconds, m.appendSeconds, m.logSize,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveEvaluation records how long one policy evaluation took.
func (m *Metrics) ObserveEvaluation(d time.Duration) { m.evalSeconds.Observe(d.Seconds()) }

// ObserveAppend records how long one log append took and, when it
// succeeded, that the log holds at least index+1 entries.
func (m *Metrics) ObserveAppend(d time.Duration, index uint64, ok bool) {
	m.appendSeconds.Observe(d.Seconds())
	if ok {
		m.SetLogSize(index + 1)
	}
}

// SetLogSize records the log's size when it grew.
func (m *Metrics) SetLogSize(n uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n > m.size {
		m.size = n
		m.logSize.Set(float64(n)) // exact up to 2^53 entries
	}
}

func (m *Metrics) observeDecision(d *model.Decision) {
	m.decisions.WithLabelValues(string(d.Outcome)).Inc()
	for _, p := range d.Packs {
		m.packs.WithLabelValues(p.Pack, string(p.Outcome)).Inc()
	}
}
