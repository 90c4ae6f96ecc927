package rdbms

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestABICasesAndLowering(t *testing.T) {
	v2, v3 := RDBMSTypes(), Postgres3()
	for _, c := range []struct {
		abi  ABI
		kind Kind
		want int
		ok   bool
	}{
		{v2, Boolean, 0, true}, {v2, Binary, 12, true}, {v2, Null, 13, true}, {v2, Unsupported, 14, true}, {v2, Date, 0, false},
		{v3, Uint8, 0, false}, {v3, Binary, 8, true}, {v3, Timestamp, 12, true}, {v3, Null, 13, true}, {v3, Unsupported, 14, true},
	} {
		if got, ok := c.abi.Case(c.kind); got != c.want || ok != c.ok {
			t.Errorf("Case(%s) = %d %v, want %d %v", c.kind.Name(), got, ok, c.want, c.ok)
		}
	}
	if k, ok := v3.Kind(9); k != Date || !ok {
		t.Errorf("3.0 case 9 = %s %v, want date", k.Name(), ok)
	}
	if _, ok := v2.Kind(15); ok {
		t.Error("rdbms-types has a case 15")
	}
	date := Value{Kind: Date, Civil: Civil{Year: 2024, Month: 1, Day: 2}}
	if got := v2.Lower(date); got.Kind != Unsupported {
		t.Errorf("rdbms-types lowers a date to %+v, want unsupported", got)
	}
	if got := v3.Lower(date); !reflect.DeepEqual(got, date) {
		t.Errorf("3.0 lowers a date to %+v", got)
	}
	if v2.TypeCase(Binary) != 12 || v2.TypeCase(Date) != 13 || v2.TypeCase(Unsupported) != 13 || v3.TypeCase(Timestamp) != 12 || v3.TypeCase(Uint8) != 13 {
		t.Error("TypeCase: want the db-data-type index, other after the ABI's kinds")
	}
	if v2.LowerType(Datetime) != Unsupported || v3.LowerType(Datetime) != Datetime || v2.LowerType(Null) != Unsupported {
		t.Error("LowerType: want other for types the interface lacks")
	}
}

func TestErrors(t *testing.T) {
	e := Errorf(QueryFailed, "bad %s", "query")
	if e.Error() != "query-failed: bad query" {
		t.Errorf("Error() = %q", e.Error())
	}
	if got := AsError(fmt.Errorf("running: %w", e)); got != e {
		t.Errorf("AsError of a wrapped Error = %v", got)
	}
	if got := AsError(errors.New("boom")); got.Kind != Other || got.Message != "boom" {
		t.Errorf("AsError = %+v, want other", got)
	}
	if got := AsConnectionFailed(errors.New("refused")); got.Kind != ConnectionFailed {
		t.Errorf("AsConnectionFailed = %+v", got)
	}
}

// fakeDriver records what Access asks of it.
type fakeDriver struct{ connected []string }

func (d *fakeDriver) Scheme() string { return "postgres" }
func (d *fakeDriver) Endpoints(address string) ([]Endpoint, error) {
	if address == "bad" {
		return nil, Errorf(ConnectionFailed, "bad address")
	}
	return []Endpoint{{Host: "a", Port: 1}, {Host: address, Port: 2}}, nil
}
func (d *fakeDriver) Connect(ctx context.Context, address string) (Conn, error) {
	if _, ok := ctx.Deadline(); !ok {
		return nil, errors.New("no connect deadline")
	}
	d.connected = append(d.connected, address)
	return nil, nil
}

type allowHosts map[string]bool

func (a allowHosts) AllowedEndpoint(scheme, host string, port int) bool {
	return scheme == "postgres" && a[fmt.Sprintf("%s:%d", host, port)]
}

func TestAccessChecksEveryEndpoint(t *testing.T) {
	ctx := context.Background()
	d := &fakeDriver{}
	a := NewAccess(d, allowHosts{"a:1": true, "b:2": true})
	if _, err := a.Open(ctx, "b"); err != nil {
		t.Errorf("allowed address: %v", err)
	}
	_, err := a.Open(ctx, "c")
	if e := AsError(err); e.Kind != ConnectionFailed || e.Message != "address postgres://c:2 is not permitted" {
		t.Errorf("denied fallback host: %v", err)
	}
	if _, err := a.Open(ctx, "bad"); AsError(err).Message != "bad address" {
		t.Errorf("bad address: %v", err)
	}
	if !reflect.DeepEqual(d.connected, []string{"b"}) {
		t.Errorf("connected to %v, want only b", d.connected)
	}
	if _, err := NewAccess(d, nil).Open(ctx, "b"); AsError(err).Kind != ConnectionFailed {
		t.Errorf("without an allow-list: %v", err)
	}
}

func TestPoolsEvictTheLeastRecentlyUsed(t *testing.T) {
	closed := make(chan string, MaxPools+1)
	p := NewPools(func(a string) (string, error) { return a, nil }, func(a string) { closed <- a })
	for i := range MaxPools {
		if _, err := p.Get(fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	p.Get("0") // 1 is now the least recently used
	p.Get("new")
	if got := <-closed; got != "1" {
		t.Errorf("evicted %s, want 1", got)
	}
	p.Close()
	if n := len(closed); n != MaxPools {
		t.Errorf("Close closed %d pools, want %d", n, MaxPools)
	}
}
