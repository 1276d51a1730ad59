package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
	"github.com/accord-dev/accord/internal/store/storetest"
)

func TestAdvisories(t *testing.T) {
	storetest.RunAdvisories(t, func(t *testing.T) store.Advisories {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "accord.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
