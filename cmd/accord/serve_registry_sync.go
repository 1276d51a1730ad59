package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/store"
)

// registrySyncInterval is how often a replica sharing its database with
// others reads the stored registry overrides, so that a change another
// replica logged and stored takes effect here too within this bound.
const registrySyncInterval = 2 * time.Second

// overridesFingerprint identifies a set of stored overrides, whatever the
// order the store lists them in.
func overridesFingerprint(list []store.Override) string {
	keys := make([]string, 0, len(list))
	for _, o := range list {
		keys = append(keys, o.Kind+"\x00"+o.ID+"\x00"+string(o.Body))
	}
	slices.Sort(keys)
	h := sha256.Sum256([]byte(strings.Join(keys, "\x01")))
	return hex.EncodeToString(h[:])
}

// syncRegistry keeps l in step with the overrides stored in st by other
// replicas (PostgreSQL shared by several servers): every interval it reads
// them and, when they differ from those the current generation was built
// from, builds a new generation and swaps it in, unless a change made
// through this replica's API was put in effect meanwhile (then the next
// round looks again). A stored override was logged before it was stored,
// so nothing takes effect here before it is on the log. The generation
// built at start has no fingerprint, so the first round rebuilds it once
// (it cannot know what changed between start and then). A set that does
// not build is logged and left out; the current generation stays.
func syncRegistry(ctx context.Context, l *liveRegistry, st store.Store, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		old := l.current()
		list, err := st.ListOverrides(ctx, "")
		if err != nil {
			if ctx.Err() == nil {
				logger.Warn("read stored registry overrides", slog.String("error", err.Error()))
			}
			continue
		}
		fp := overridesFingerprint(list)
		if fp == old.overrides {
			continue
		}
		tmp, err := os.MkdirTemp("", "accord-registry-sync-")
		if err != nil {
			logger.Warn("registry sync", slog.String("error", err.Error()))
			continue
		}
		var s *serving
		if err = writeOverrides(tmp, list); err == nil {
			s, err = l.build(tmp)
		}
		os.RemoveAll(tmp)
		if err != nil {
			logger.Error("stored registry overrides do not build here; keeping the current registry", slog.String("error", err.Error()))
			continue
		}
		s.overrides = fp
		if l.cur.CompareAndSwap(old, s) {
			logger.Info("registry changes stored by another replica are in effect", slog.Int("overrides", len(list)))
		}
	}
}

// syncRevocations puts in effect, every interval, the revocations other
// replicas lodged (stored after they were logged). seen holds the digests
// already in effect; it is this goroutine's alone once started. A
// revocation lodged through this replica is in effect at once and added
// again here, which changes nothing.
func syncRevocations(ctx context.Context, st store.Store, revs *api.Revocations, seen map[string]bool, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := loadNewRevocations(ctx, st, revs, seen, logger); err != nil && ctx.Err() == nil {
			logger.Warn("read lodged revocations", slog.String("error", err.Error()))
		}
	}
}
