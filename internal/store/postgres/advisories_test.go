package postgres_test

import (
	"testing"

	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/storetest"
)

func TestAdvisories(t *testing.T) {
	dsnForTest(t)
	storetest.RunAdvisories(t, func(t *testing.T) store.Advisories { return open(t, schemaDSN(t)) })
}
