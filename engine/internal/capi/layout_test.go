package capi

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The layout tests compare this package's C declarations (capi.h) and the
// Go code's assumptions (layoutFacts) with the headers wasmtime-go ships in
// the module cache, for the version go.mod pins: bumping wasmtime-go fails
// here when a prototype, layout or constant we rely on changed.

const wasmtimeGoModule = "github.com/bytecodealliance/wasmtime-go/v39"

// pinnedWasmtimeGo returns the directory and version of the wasmtime-go
// module this package is built with.
func pinnedWasmtimeGo(t *testing.T) (dir, version string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}\t{{.Version}}", wasmtimeGoModule).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", wasmtimeGoModule, err)
	}
	dir, version, _ = strings.Cut(strings.TrimSpace(string(out)), "\t")
	if dir == "" {
		t.Fatalf("go list -m %s: no module directory (%q)", wasmtimeGoModule, out)
	}
	return dir, version
}

// cc returns the C compiler cgo uses and the flags that compile against the
// pinned headers, with capi.h's types taken from them.
func cc(t *testing.T) (string, []string) {
	t.Helper()
	dir, _ := pinnedWasmtimeGo(t)
	include := filepath.Join(dir, "build", "include")
	if _, err := os.Stat(filepath.Join(include, "wasmtime.h")); err != nil {
		t.Fatalf("wasmtime-go's headers: %v", err)
	}
	out, err := exec.Command("go", "env", "CC").Output()
	if err != nil {
		t.Fatalf("go env CC: %v", err)
	}
	compiler := strings.TrimSpace(string(out))
	if compiler == "" {
		compiler = "cc"
	}
	pkg, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return compiler, []string{"-std=gnu11", "-Wall", "-Werror", "-DSPINOCI_CAPI_CHECK", "-I" + pkg, "-I" + include}
}

// compileC compiles the C source src against the pinned headers; with run,
// it links and runs the program and returns its output.
func compileC(t *testing.T, src string, run bool) (string, error) {
	t.Helper()
	compiler, flags := cc(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "check.c")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if !run {
		out, err := exec.Command(compiler, append(flags, "-fsyntax-only", file)...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("%s: %w\n%s", compiler, err, out)
		}
		return "", nil
	}
	bin := filepath.Join(dir, "check")
	if out, err := exec.Command(compiler, append(flags, "-o", bin, file)...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s: %w\n%s", compiler, err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		return "", fmt.Errorf("run the layout program: %w", err)
	}
	return string(out), nil
}

// pinnedValues evaluates each fact's expression against the pinned headers.
func pinnedValues(t *testing.T, facts []layoutFact) []uint64 {
	t.Helper()
	var src strings.Builder
	src.WriteString("#include \"capi.h\"\n#include <stdio.h>\nint main(void) {\n")
	for _, f := range facts {
		fmt.Fprintf(&src, "  printf(\"%%llu\\n\", (unsigned long long)(%s));\n", f.expr)
	}
	src.WriteString("  return 0;\n}\n")
	out, err := compileC(t, src.String(), true)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(out)
	if len(lines) != len(facts) {
		t.Fatalf("layout program printed %d values for %d facts", len(lines), len(facts))
	}
	values := make([]uint64, len(lines))
	for i, l := range lines {
		v, err := strconv.ParseUint(l, 10, 64)
		if err != nil {
			t.Fatalf("layout program output %q: %v", l, err)
		}
		values[i] = v
	}
	return values
}

// compareFacts returns one message per fact whose value differs from the
// pinned headers'.
func compareFacts(facts []layoutFact, pinned []uint64) []string {
	var diffs []string
	for i, f := range facts {
		if f.ours != pinned[i] {
			diffs = append(diffs, fmt.Sprintf("%s: ours %d, wasmtime-go's headers %d", f.expr, f.ours, pinned[i]))
		}
	}
	return diffs
}

func TestLayoutMatchesPinnedHeaders(t *testing.T) {
	facts := layoutFacts()
	for _, d := range compareFacts(facts, pinnedValues(t, facts)) {
		t.Error(d)
	}
	t.Logf("%d facts checked", len(facts))
}

// TestLayoutMismatchFails: a fact that differs from the headers is
// reported, and only that one.
func TestLayoutMismatchFails(t *testing.T) {
	facts := append(layoutFacts(),
		layoutFact{expr: "sizeof(wasmtime_component_val_t)", ours: valSize + 8},
		layoutFact{expr: "WASMTIME_COMPONENT_RESOURCE", ours: kindFlags},
		layoutFact{expr: "__builtin_types_compatible_p(__typeof__(((wasmtime_component_valunion_t *)0)->f32), double)", ours: 1},
	)
	diffs := compareFacts(facts, pinnedValues(t, facts))
	if len(diffs) != 3 {
		t.Fatalf("got %d differences, want the 3 wrong facts: %q", len(diffs), diffs)
	}
	for i, want := range []string{"sizeof(wasmtime_component_val_t)", "WASMTIME_COMPONENT_RESOURCE", "f32), double)"} {
		if !strings.Contains(diffs[i], want) {
			t.Errorf("difference %q does not name %s", diffs[i], want)
		}
	}
}

// TestDeclarationsMatchPinnedHeaders compiles capi.h and this package's C
// files with the pinned headers' types: a prototype that disagrees with
// theirs, or C code using a field or constant they lack, fails to compile.
func TestDeclarationsMatchPinnedHeaders(t *testing.T) {
	for _, file := range []string{"capi.h", "component.c", "core.c"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := compileC(t, string(src), false); err != nil {
			t.Errorf("%s does not agree with wasmtime-go's headers: %v", file, err)
		}
	}
}

// TestWrongDeclarationFails: a prototype that differs from the headers'
// does not compile.
func TestWrongDeclarationFails(t *testing.T) {
	src := "#include \"capi.h\"\nextern void wasmtime_component_linker_allow_shadowing(wasmtime_component_linker_t *, int);\n"
	if _, err := compileC(t, src, false); err == nil {
		t.Fatal("a prototype that differs from wasmtime-go's headers compiled")
	}
}

// wasmtimeGoDecls returns the declarations of wasmtime-go's package in dir,
// keyed "type Name" or "func (Recv) Name", as Go source without spaces.
func wasmtimeGoDecls(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	decls := map[string]string{}
	text := func(n ast.Node) string {
		src, err := os.ReadFile(fset.File(n.Pos()).Name())
		if err != nil {
			t.Fatal(err)
		}
		s := string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
		return strings.Join(strings.Fields(s), "")
	}
	// typeText is a type's source without spaces; a struct's without its
	// comments, its fields separated by ";".
	typeText := func(e ast.Expr) string {
		st, ok := e.(*ast.StructType)
		if !ok {
			return text(e)
		}
		var fields []string
		for _, f := range st.Fields.List {
			var names []string
			for _, n := range f.Names {
				names = append(names, n.Name)
			}
			fields = append(fields, strings.Join(names, ",")+text(f.Type))
		}
		return "struct{" + strings.Join(fields, ";") + "}"
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok {
						decls["type "+ts.Name.Name] = typeText(ts.Type)
					}
				}
			case *ast.FuncDecl:
				if d.Recv != nil && len(d.Recv.List) == 1 {
					sig := "func" + text(d.Type.Params)
					if d.Type.Results != nil {
						sig += text(d.Type.Results)
					}
					decls["func ("+text(d.Recv.List[0].Type)+") "+d.Name.Name] = sig
				}
			}
		}
	}
	return decls
}

// compareCasts returns one message per cast whose declaration differs.
func compareCasts(decls map[string]string, casts []struct{ decl, want string }) []string {
	var diffs []string
	for _, c := range casts {
		if got := decls[c.decl]; got != strings.Join(strings.Fields(c.want), "") {
			diffs = append(diffs, fmt.Sprintf("wasmtime-go's %s is %q, want %q", c.decl, got, c.want))
		}
	}
	return diffs
}

func TestWasmtimeGoStructsWeCast(t *testing.T) {
	dir, _ := pinnedWasmtimeGo(t)
	decls := wasmtimeGoDecls(t, dir)
	// wasmtime-go's structs that this package casts to C (their only
	// field; Store's both, which NewSharedStore builds) and the functions
	// whose C results it converts.
	casts := []struct{ decl, want string }{
		{"type Instance", "struct{val C.wasmtime_instance_t}"},
		{"type Func", "struct{val C.wasmtime_func_t}"},
		{"type Memory", "struct{val C.wasmtime_memory_t}"},
		{"type Config", "struct{_ptr *C.wasm_config_t}"},
		{"type Engine", "struct{_ptr *C.wasm_engine_t}"},
		{"type Module", "struct{_ptr *C.wasmtime_module_t}"},
		{"type WasiConfig", "struct{_ptr *C.wasi_config_t}"},
		{"type Store", "struct{_ptr *C.wasmtime_store_t; Engine *Engine}"},
		{"func (*Store) Context", "func() *C.wasmtime_context_t"},
		{"func (*Caller) Context", "func() *C.wasmtime_context_t"},
	}
	for _, d := range compareCasts(decls, casts) {
		t.Error(d)
	}
	// Store's and Linker's first fields are what storePtr and linkerPtr
	// read.
	if got := decls["type Store"]; !strings.HasPrefix(got, "struct{_ptr*C.wasmtime_store_t") {
		t.Errorf("wasmtime-go's Store is %q, want its first field to be _ptr *C.wasmtime_store_t", got)
	}
	if got := decls["type Linker"]; !strings.HasPrefix(got, "struct{_ptr*C.wasmtime_linker_t") {
		t.Errorf("wasmtime-go's Linker is %q, want its first field to be _ptr *C.wasmtime_linker_t", got)
	}
	wrong := []struct{ decl, want string }{{"type Func", "struct{val C.wasmtime_func_t; extra int}"}}
	if diffs := compareCasts(decls, wrong); len(diffs) != 1 {
		t.Errorf("a wrong expectation of wasmtime-go's Func gave %q", diffs)
	}
}

// TestWasmtimeGoVersion: the version in the config ids (and so in every
// compile-cache key) is the one go.mod pins.
func TestWasmtimeGoVersion(t *testing.T) {
	_, version := pinnedWasmtimeGo(t)
	if version != WasmtimeGoVersion {
		t.Errorf("go.mod pins wasmtime-go %s, capi declares %s: check capi.h against the new headers and update WasmtimeGoVersion", version, WasmtimeGoVersion)
	}
	for _, id := range []string{ModuleConfigID, ComponentConfigID} {
		if !strings.Contains(id, "/"+version+";") {
			t.Errorf("config id %q does not name wasmtime-go %s", id, version)
		}
	}
}
