package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/store/postgres"
	"github.com/accord-dev/accord/internal/store/storetest"
	"github.com/jackc/pgx/v5"
)

func openLeaseStore(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestLeaseOneHolderMovesOnDeath: two holders on one schema; only one holds
// the lease; when its session dies (its backend terminated, as when its
// process is killed) the other takes it at its next try, and the first,
// back, does not; a lease of the same name on another schema is separate.
func TestLeaseOneHolderMovesOnDeath(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	a := openLeaseStore(t, dsn)
	b := openLeaseStore(t, dsn)
	ctx := context.Background()
	la, lb := a.Lease("periodic", 100*time.Millisecond), b.Lease("periodic", 100*time.Millisecond)

	if held, err := la.Held(ctx); !held || err != nil {
		t.Fatalf("first holder: held %v, %v", held, err)
	}
	for range 3 { // and stays held on each check
		if held, err := la.Held(ctx); !held || err != nil {
			t.Fatalf("first holder, checked again: held %v, %v", held, err)
		}
	}
	if held, err := lb.Held(ctx); held || err != nil {
		t.Fatalf("second holder while the first holds it: held %v, %v", held, err)
	}
	holder, pid, err := a.LeaseHolder(ctx, "periodic")
	if err != nil || !strings.Contains(holder, "accord lease periodic") {
		t.Fatalf("LeaseHolder = %q, %v", holder, err)
	}

	// The first holder's session dies.
	conn, err := pgx.Connect(ctx, storetest.PostgresServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		held, _ := lb.Held(ctx)
		if held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease did not move to the second holder")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The first learns it lost the lease, and cannot take it back.
	for range 3 {
		if held, _ := la.Held(ctx); held {
			t.Fatal("the first holder still holds the lease after its session died")
		}
	}
	if held, err := lb.Held(ctx); !held || err != nil {
		t.Fatalf("second holder: held %v, %v", held, err)
	}

	// Another schema has its own lease of the same name.
	c := openLeaseStore(t, storetest.PostgresDSN(t))
	lc := c.Lease("periodic", 0)
	if held, err := lc.Held(ctx); !held || err != nil {
		t.Fatalf("lease on another schema: held %v, %v", held, err)
	}
	// Another name on the same schema too.
	if held, err := a.Lease("other", 0).Held(ctx); !held || err != nil {
		t.Fatalf("lease of another name: held %v, %v", held, err)
	}
}

// TestLeaseRunReportsChanges: Run takes a free lease and reports it, and
// gives it up when its context ends, so that another Run takes it.
func TestLeaseRunReportsChanges(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	a := openLeaseStore(t, dsn)
	b := openLeaseStore(t, dsn)
	ctxA, cancelA := context.WithCancel(context.Background())
	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	events := make(chan string, 10)
	doneA := make(chan struct{})
	go func() {
		a.Lease("periodic", 50*time.Millisecond).Run(ctxA, func(held bool, _ error) {
			if held {
				events <- "a"
			}
		})
		close(doneA)
	}()
	if got := <-events; got != "a" {
		t.Fatalf("first event %q", got)
	}
	go b.Lease("periodic", 50*time.Millisecond).Run(ctxB, func(held bool, _ error) {
		if held {
			events <- "b"
		}
	})
	select {
	case got := <-events:
		t.Fatalf("%s took the lease while a held it", got)
	case <-time.After(300 * time.Millisecond):
	}
	cancelA()
	<-doneA
	select {
	case got := <-events:
		if got != "b" {
			t.Fatalf("event %q, want b", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("b did not take the lease after a gave it up")
	}
}
