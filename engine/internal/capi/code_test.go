package capi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/containerd/log"
	"github.com/sirupsen/logrus"
)

// pickCase is a cache for pickCode: entries of some tiers, usable or not.
type pickCase struct {
	t   *testing.T
	dir string
	f   *fakeCodec
	// winchCalls counts the Winch engines asked for; winchErr fails them.
	winchCalls int
	winchErr   error
}

var pickWasm = []byte("abc")

func newPickCase(t *testing.T) *pickCase {
	return &pickCase{t: t, dir: t.TempDir(), f: &fakeCodec{}}
}

// put writes an entry of tier t holding code; corrupt leaves its checksum
// stale (the code changed after it was written).
func (p *pickCase) put(t Tier, code string, corrupt bool) {
	p.t.Helper()
	codeFile, sumFile := entryFiles(p.dir, sha256.Sum256(pickWasm), tierConfigID("cfg", t))
	if err := storeEntry(p.dir, codeFile, sumFile, readBootID(), []byte(code)); err != nil {
		p.t.Fatal(err)
	}
	if corrupt {
		if err := os.WriteFile(codeFile, []byte(code+"garbage"), 0o600); err != nil {
			p.t.Fatal(err)
		}
	}
}

// pick runs pickCode, cache-only unless compile.
func (p *pickCase) pick(compile bool) (string, Tier, error) {
	var logs bytes.Buffer
	logger := logrus.New()
	logger.SetOutput(&logs)
	ctx := log.WithLogger(context.Background(), logrus.NewEntry(logger))
	src := CodeSource{Cache: NewCache(p.dir), Sum: sha256.Sum256(pickWasm)}
	if compile {
		src.Wasm = func() ([]byte, error) { return pickWasm, nil }
	}
	winch := func() (codec[string], error) {
		p.winchCalls++
		wc := p.f.codec("cfg")
		wc.tier = Winch
		return wc, p.winchErr
	}
	c := p.f.codec("cfg")
	v, tier, err := pickCode(ctx, src, c, winch)
	if compile && p.winchCalls > 0 && tier != Winch && !strings.Contains(logs.String(), "compiling the thing instead of loading its Winch code") {
		p.t.Errorf("compiled instead of loading the Winch code without saying so: %s", &logs)
	}
	return v, tier, err
}

// TestPickCode: a start loads Cranelift's best code cached, Winch's only
// when the cache has no Cranelift entry (making the Winch engine only
// then), else compiles (or, cache-only, fails with ErrNotCached).
func TestPickCode(t *testing.T) {
	for _, compile := range []bool{false, true} {
		p := newPickCase(t)
		p.put(Optimized, "OPT", false)
		p.put(Fast, "FAST", false)
		p.put(Winch, "WINCH", false)
		if v, tier, err := p.pick(compile); err != nil || v != "OPT" || tier != Optimized || p.winchCalls != 0 {
			t.Errorf("all tiers cached: %q, %v, %v, Winch engines %d; want the optimised code, no Winch engine", v, tier, err, p.winchCalls)
		}

		p = newPickCase(t)
		p.put(Fast, "FAST", false)
		p.put(Winch, "WINCH", false)
		if v, tier, err := p.pick(compile); err != nil || v != "FAST" || tier != Fast || p.winchCalls != 0 {
			t.Errorf("fast and Winch code cached: %q, %v, %v, Winch engines %d; want Cranelift's fast code", v, tier, err, p.winchCalls)
		}

		p = newPickCase(t)
		p.put(Winch, "WINCH", false)
		if v, tier, err := p.pick(compile); err != nil || v != "WINCH" || tier != Winch || p.winchCalls != 1 || len(p.f.compiled) != 0 {
			t.Errorf("only Winch code cached: %q, %v, %v, Winch engines %d, compiled %q; want the Winch code", v, tier, err, p.winchCalls, p.f.compiled)
		}
	}
}

// TestPickCodeUnusable: unusable entries are never loaded; an unusable
// Cranelift entry keeps the Winch code from being chosen (as before a
// tier-up wrote it), an unusable Winch entry or a Winch engine that cannot
// be made costs a compilation, or, cache-only, the start.
func TestPickCodeUnusable(t *testing.T) {
	p := newPickCase(t)
	p.put(Optimized, "OPT", true)
	p.put(Winch, "WINCH", false)
	if _, _, err := p.pick(false); !errors.Is(err, ErrNotCached) || p.winchCalls != 0 {
		t.Errorf("corrupt optimised code beside Winch's, cache-only: %v, Winch engines %d; want ErrNotCached", err, p.winchCalls)
	}
	if v, tier, err := p.pick(true); err != nil || v != "ABC" || tier != Optimized || p.winchCalls != 0 {
		t.Errorf("corrupt optimised code beside Winch's: %q, %v, %v; want it compiled", v, tier, err)
	}

	p = newPickCase(t)
	p.put(Winch, "WINCH", true)
	if _, _, err := p.pick(false); !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "thing: Winch code: ") {
		t.Errorf("corrupt Winch code, cache-only: %v; want ErrNotCached naming the Winch code", err)
	}
	if v, tier, err := p.pick(true); err != nil || v != "ABC" || tier != Optimized || len(p.f.deserialized) != 0 {
		t.Errorf("corrupt Winch code: %q, %v, %v, deserialized %q; want it compiled, the garbage never loaded", v, tier, err, p.f.deserialized)
	}

	p = newPickCase(t)
	p.put(Winch, "WINCH", false)
	p.winchErr = errors.New("no engine")
	if _, _, err := p.pick(false); err == nil || errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "thing: the Winch engine for its cached Winch code: no engine") {
		t.Errorf("no Winch engine, cache-only: %v; want the engine's error", err)
	}
	if v, tier, err := p.pick(true); err != nil || v != "ABC" || tier != Optimized {
		t.Errorf("no Winch engine: %q, %v, %v; want the wasm compiled", v, tier, err)
	}

	p = newPickCase(t)
	if _, _, err := p.pick(false); !errors.Is(err, ErrNotCached) || p.winchCalls != 0 {
		t.Errorf("empty cache, cache-only: %v, Winch engines %d; want ErrNotCached and no engine", err, p.winchCalls)
	}
	if v, tier, err := p.pick(true); err != nil || v != "ABC" || tier != Optimized || p.winchCalls != 0 {
		t.Errorf("empty cache: %q, %v, %v; want the wasm compiled", v, tier, err)
	}
	if v, tier, err := p.pick(false); err != nil || v != "ABC" || tier != Optimized {
		t.Errorf("after the compilation, cache-only: %q, %v, %v; want its entry", v, tier, err)
	}
}
