package startaction

import (
	"fmt"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// Log levels of containerd's BootstrapParams (its LogLevel enum).
const (
	logLevelInfo  int32 = 0
	logLevelDebug int32 = -4
)

// params are the fields of containerd's BootstrapParams the start action
// uses (message containerd.runtime.bootstrap.v1.BootstrapParams).
type params struct {
	instanceID   string
	namespace    string
	logLevel     int32
	ttrpcAddress string
	grpcAddress  string
	socketDir    string
}

// Field numbers of BootstrapParams.
const (
	fieldInstanceID   protowire.Number = 1
	fieldNamespace    protowire.Number = 2
	fieldLogLevel     protowire.Number = 3
	fieldTTRPCAddress protowire.Number = 5
	fieldGRPCAddress  protowire.Number = 6
	fieldSocketDir    protowire.Number = 9
)

// decodeParams decodes BootstrapParams from its protobuf encoding; fields
// it does not use are skipped.
func decodeParams(b []byte) (params, error) {
	var p params
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return p, fmt.Errorf("bootstrap parameters: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var field *string
		switch num {
		case fieldInstanceID:
			field = &p.instanceID
		case fieldNamespace:
			field = &p.namespace
		case fieldTTRPCAddress:
			field = &p.ttrpcAddress
		case fieldGRPCAddress:
			field = &p.grpcAddress
		case fieldSocketDir:
			field = &p.socketDir
		}
		switch {
		case field != nil && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return p, fmt.Errorf("bootstrap parameters, field %d: %w", num, protowire.ParseError(n))
			}
			*field = string(v)
			b = b[n:]
		case num == fieldLogLevel && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return p, fmt.Errorf("bootstrap parameters, field %d: %w", num, protowire.ParseError(n))
			}
			p.logLevel = int32(v) // an enum: negative values are 64-bit two's complement
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return p, fmt.Errorf("bootstrap parameters, field %d: %w", num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return p, nil
}

// bootstrapParams uses the daemon's protobuf parameters when they are there
// and match the flags (fromDaemon), and builds equivalent ones from the
// flags otherwise (legacy stdin, if any, only carries runtime options).
func bootstrapParams(input []byte, namespace, id, address string, debug bool) (_ params, fromDaemon bool) {
	if len(input) > 0 {
		if p, err := decodeParams(input); err == nil && p.instanceID == id && p.namespace == namespace {
			if debug && p.logLevel > logLevelDebug {
				p.logLevel = logLevelDebug
			}
			return p, true
		}
	}
	legacy := params{
		instanceID:   id,
		namespace:    namespace,
		grpcAddress:  address,
		ttrpcAddress: os.Getenv("TTRPC_ADDRESS"),
		logLevel:     logLevelInfo,
	}
	if debug {
		legacy.logLevel = logLevelDebug
	}
	return legacy, false
}
