package coremodule

// handleTable is an instance's table of open host resources (key-value
// stores, SQLite connections): handles count up from 0 and are not reused
// while the instance lives.
type handleTable[T any] struct {
	open map[uint32]T
	next uint32
}

// add opens a handle to v, or fails with full when capacity handles are
// open.
func (h *handleTable[T]) add(v T, capacity int, full error) (uint32, error) {
	if len(h.open) >= capacity {
		return 0, full
	}
	if h.open == nil {
		h.open = map[uint32]T{}
	}
	for {
		id := h.next
		h.next++
		if _, used := h.open[id]; !used {
			h.open[id] = v
			return id, nil
		}
	}
}

// writeVariantResult writes expected<T, error> into a return area of size
// bytes: the error variant's tag at 4 and, when the case carries a
// message (withMsg), the message at 8; or ok, with fill (which may be nil)
// writing the payload.
func (c *hostCall) writeVariantResult(ret int32, size int, tag uint8, withMsg bool, msg string, fail bool, fill func(area retArea) error) error {
	area := make(retArea, size)
	if fail {
		area.u8(0, 1)
		area.u8(4, tag)
		if withMsg {
			ptr, err := c.putBytes([]byte(msg))
			if err != nil {
				return err
			}
			area.u32(8, ptr)
			area.u32(12, uint32(len(msg)))
		}
		return c.writeRet(ret, area)
	}
	if fill != nil {
		if err := fill(area); err != nil {
			return err
		}
	}
	return c.writeRet(ret, area)
}
