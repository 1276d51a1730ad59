package postgres_test

import (
	"testing"

	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/storetest"
)

func TestApprovals(t *testing.T) {
	dsnForTest(t)
	storetest.RunApprovals(t, func(t *testing.T) store.Approvals { return open(t, schemaDSN(t)) })
}
