package startaction

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"google.golang.org/protobuf/encoding/protowire"
)

// RuntimeOptions are spinoci's runtime options: the `options` table of the
// runtime's entry in containerd's CRI config (a RuntimeClass handler), or
// the TOML file `ctr run --runtime-config-path` names.
type RuntimeOptions struct {
	// Group puts the runtime's containers that carry no group annotation
	// into the shim server group of that name, as if they carried
	// GroupAnnotation with it: with a handler of its own, a RuntimeClass
	// makes its pods share one server per node without annotating them.
	Group string `toml:"Group"`
}

// genericOptionsType is the type of the options containerd passes a runtime
// other than runc (runtimeoptions.v1.Options): the options table as TOML
// (config_body), or the path of a file that holds it (config_path).
const genericOptionsType = "runtimeoptions.v1.Options"

// Field numbers of the protobuf messages runtime options come in.
const (
	fieldAnyTypeURL      protowire.Number = 1 // google.protobuf.Any
	fieldAnyValue        protowire.Number = 2
	fieldExtensionValue  protowire.Number = 1 // BootstrapParams' Extension
	fieldOptionsPath     protowire.Number = 2 // runtimeoptions.v1.Options
	fieldOptionsBody     protowire.Number = 3
	fieldParamsExtension protowire.Number = 8 // BootstrapParams
)

// runtimeOptions reads spinoci's runtime options from what containerd wrote
// on the start action's stdin: BootstrapParams (fromDaemon), whose
// extensions carry them from containerd 2.3 on, or else the options alone
// (a protobuf Any), as containerd 1.7 to 2.2 write them. No options, or
// options of another type, are the zero RuntimeOptions.
func runtimeOptions(input []byte, fromDaemon bool) (RuntimeOptions, error) {
	anys := [][]byte{input}
	if fromDaemon {
		anys = nil
		for _, ext := range fieldValues(input, fieldParamsExtension) {
			anys = append(anys, fieldValues(ext, fieldExtensionValue)...)
		}
	}
	for _, a := range anys {
		typeURL := string(lastFieldValue(a, fieldAnyTypeURL))
		if !strings.HasSuffix(typeURL, genericOptionsType) {
			continue
		}
		value := lastFieldValue(a, fieldAnyValue)
		body := lastFieldValue(value, fieldOptionsBody)
		if path := string(lastFieldValue(value, fieldOptionsPath)); path != "" {
			var err error
			if body, err = os.ReadFile(path); err != nil {
				return RuntimeOptions{}, fmt.Errorf("reading the runtime options: %w", err)
			}
		}
		return parseRuntimeOptions(body)
	}
	return RuntimeOptions{}, nil
}

// parseRuntimeOptions parses the options table's TOML; keys spinoci does
// not know are an error, so that a misspelt option is not ignored.
func parseRuntimeOptions(body []byte) (RuntimeOptions, error) {
	var o RuntimeOptions
	dec := toml.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			var keys []string
			for _, e := range strict.Errors {
				keys = append(keys, strings.Join(e.Key(), "."))
			}
			return RuntimeOptions{}, fmt.Errorf("runtime options: unknown option %s (spinoci's options: Group)", strings.Join(keys, ", "))
		}
		return RuntimeOptions{}, fmt.Errorf("runtime options: %w", err)
	}
	return o, nil
}

// fieldValues returns the values of every length-delimited field num in
// the protobuf message b; a malformed message ends the list.
func fieldValues(b []byte, num protowire.Number) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return out
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return out
			}
			out = append(out, v)
			b = b[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return out
		}
		b = b[l:]
	}
	return out
}

// lastFieldValue is the value of field num in b (the last one, as protobuf
// merges a repeated scalar), nil when b has none.
func lastFieldValue(b []byte, num protowire.Number) []byte {
	values := fieldValues(b, num)
	if len(values) == 0 {
		return nil
	}
	return values[len(values)-1]
}
