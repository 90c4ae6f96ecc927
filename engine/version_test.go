package engine

import (
	"os"
	"strings"
	"testing"
)

func TestWasmtimeVersionMatchesGoMod(t *testing.T) {
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := "github.com/bytecodealliance/wasmtime-go/v39 v" + WasmtimeVersion
	if !strings.Contains(string(gomod), want) {
		t.Errorf("go.mod does not require %q: update WasmtimeVersion with wasmtime-go", want)
	}
}
