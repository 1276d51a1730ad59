package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/advisory"
	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/store"
)

// serveAdvisories turns on the advisory endpoints when the store keeps
// advisories, and starts the outbox deliverer: it runs every interval,
// and at once when the API queues notices (Kick). It returns nil (the
// endpoints answer 404) when the store has no advisory tables.
//
// With csafURL set, the server is also a CSAF provider under that base URL.
func serveAdvisories(ctx context.Context, st store.Store, log api.Appender, logger *slog.Logger, interval time.Duration, csafURL string) *api.Advisories {
	as, ok := st.(store.Advisories)
	if !ok {
		return nil
	}
	kick := make(chan struct{}, 1)
	d := &advisory.Deliverer{Store: as, Log: log, Logger: logger}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if _, err := d.RunOnce(ctx); err != nil {
				logger.Warn("advisory outbox", slog.String("error", err.Error()))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-kick:
			}
		}
	}()
	a := &api.Advisories{Store: as, Log: log, Kick: func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}}
	if csafURL != "" {
		base := strings.TrimSuffix(csafURL, "/")
		a.Provider = &advisory.Provider{BaseURL: base, Publisher: advisory.Publisher{Name: "Accord provider " + base, Namespace: base}}
	}
	return a
}
