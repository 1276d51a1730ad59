package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
	"github.com/accord-dev/accord/internal/store/storetest"
)

func TestApprovals(t *testing.T) {
	storetest.RunApprovals(t, func(t *testing.T) store.Approvals {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "accord.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
