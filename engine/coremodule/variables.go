package coremodule

import (
	"errors"

	"github.com/spinoci/spinoci/engine/capability/variables"
)

// spin-config error variant tags that this host returns; provider (0) and
// invalid-schema (2) cannot happen, since every value is resolved when the
// app loads.
const (
	configErrInvalidKey = 1
	configErrOther      = 3
)

// hostGetConfig implements spin-config.get-config(key_ptr, key_len, ret):
// the component's resolved config value, or an error variant.
func hostGetConfig(call *hostCall, args []int32) error {
	key, err := call.readString(args[0], args[1])
	if err != nil {
		return err
	}
	ret := args[2]
	area := make(retArea, 16)
	value, err := call.state.comp.Config.Get(call.state.ctx, key)
	if err == nil {
		ptr, err := call.putBytes([]byte(value))
		if err != nil {
			return err
		}
		area.u32(4, ptr)
		area.u32(8, uint32(len(value)))
		return call.writeRet(ret, area)
	}
	tag, msg := configErrOther, err.Error()
	var verr *variables.Error
	if errors.As(err, &verr) {
		msg = verr.Detail
		if verr.Kind == variables.ErrInvalidName {
			tag = configErrInvalidKey
		}
	}
	ptr, err := call.putBytes([]byte(msg))
	if err != nil {
		return err
	}
	area.u8(0, 1)
	area.u8(4, uint8(tag))
	area.u32(8, ptr)
	area.u32(12, uint32(len(msg)))
	return call.writeRet(ret, area)
}
