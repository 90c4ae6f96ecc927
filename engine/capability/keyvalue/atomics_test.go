package keyvalue

import (
	"context"
	"sync"
	"testing"

	"github.com/spinoci/spinoci/test/servers"
)

func TestAtomics(t *testing.T) {
	ctx := context.Background()
	sq, err := OpenSQLite(ctx, t.TempDir(), DefaultLabel)
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	rd, err := OpenRedis(ctx, servers.Redis(t).RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for name, s := range map[string]interface {
		Store
		Atomic
	}{"sqlite": sq, "redis": rd} {
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Increment(ctx, "n", 2); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if n, err := s.Increment(ctx, "n", -1); err != nil || n != 15 {
				t.Errorf("Increment after 8 concurrent +2 and -1 = %d %v, want 15", n, err)
			}
			if err := s.Set(ctx, "word", []byte("abc")); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Increment(ctx, "word", 1); err == nil {
				t.Error("incrementing a non-integer succeeded")
			}
			if ok, err := s.CompareAndSwap(ctx, "word", []byte("old"), true, []byte("x")); err != nil || ok {
				t.Errorf("CAS with a stale value = %v %v, want not swapped", ok, err)
			}
			if ok, err := s.CompareAndSwap(ctx, "word", []byte("abc"), true, []byte("new")); err != nil || !ok {
				t.Errorf("CAS with the current value = %v %v, want swapped", ok, err)
			}
			if ok, err := s.CompareAndSwap(ctx, "fresh", nil, false, []byte("1")); err != nil || !ok {
				t.Errorf("CAS of a missing key = %v %v, want swapped", ok, err)
			}
			if ok, err := s.CompareAndSwap(ctx, "fresh", nil, false, []byte("2")); err != nil || ok {
				t.Errorf("CAS of a key expected missing but present = %v %v, want not swapped", ok, err)
			}
			for k, want := range map[string]string{"word": "new", "fresh": "1"} {
				if v, _, _ := s.Get(ctx, k); string(v) != want {
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
		})
	}
}
