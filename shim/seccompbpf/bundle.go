package seccompbpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/net/bpf"

	"github.com/spinoci/spinoci/shim/atomicfile"
)

// FilterFile, in a bundle, holds the compiled filter of the container's
// seccomp profile: its instructions, 8 bytes each (op, jt, jf, k), in the
// machine's byte order.
const FilterFile = "spinoci-seccomp.bpf"

// instructionSize is the size of one instruction in FilterFile.
const instructionSize = 8

// MaxFilterLen is the kernel's limit on a filter's length (BPF_MAXINSNS).
const MaxFilterLen = 4096

// WriteProgram writes prog, the compiled filter of the container whose
// bundle is bundle, to its FilterFile, atomically.
func WriteProgram(bundle string, prog []bpf.RawInstruction) error {
	data := make([]byte, 0, len(prog)*instructionSize)
	for _, ins := range prog {
		data = binary.NativeEndian.AppendUint16(data, ins.Op)
		data = append(data, ins.Jt, ins.Jf)
		data = binary.NativeEndian.AppendUint32(data, ins.K)
	}
	if err := atomicfile.Write(filepath.Join(bundle, FilterFile), data, 0o600); err != nil {
		return fmt.Errorf("writing the seccomp filter into the bundle: %w", err)
	}
	return nil
}

// ReadFilter reads the program WriteProgram left in bundle.
func ReadFilter(bundle string) ([]bpf.RawInstruction, error) {
	data, err := os.ReadFile(filepath.Join(bundle, FilterFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("the spec has a seccomp profile but the bundle no compiled filter, which the shim's start action writes: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the seccomp filter: %w", err)
	}
	if len(data) == 0 || len(data)%instructionSize != 0 || len(data)/instructionSize > MaxFilterLen {
		return nil, fmt.Errorf("the seccomp filter %s holds %d bytes: not a program of 1 to %d instructions", FilterFile, len(data), MaxFilterLen)
	}
	prog := make([]bpf.RawInstruction, 0, len(data)/instructionSize)
	for b := data; len(b) > 0; b = b[instructionSize:] {
		prog = append(prog, bpf.RawInstruction{
			Op: binary.NativeEndian.Uint16(b),
			Jt: b[2],
			Jf: b[3],
			K:  binary.NativeEndian.Uint32(b[4:]),
		})
	}
	return prog, nil
}
