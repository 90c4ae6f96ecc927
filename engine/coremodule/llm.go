package coremodule

import (
	"errors"

	"github.com/spinoci/spinoci/engine/capability/llm"
)

// llm error variant tags (Spin 1.x llm.wit).
const (
	llmErrModelNotSupported = 0
	llmErrRuntime           = 1
	llmErrInvalidInput      = 2
)

// llmImport returns the implementation of llm.<name>: the model is read
// and checked, and the call answers the capability's error (no model runs
// here), never a trap.
func llmImport(name string) hostFunc {
	var ret int // index of the return pointer
	switch name {
	case "infer":
		ret = 11
	case "generate-embeddings":
		ret = 4
	default:
		return nil
	}
	return func(c *hostCall, a []int32) error {
		model, err := c.readString(a[0], a[1])
		if err != nil {
			return err
		}
		if name == "infer" {
			_, err = c.state.comp.LLM.Infer(c.state.ctx, model, "")
		} else {
			_, err = c.state.comp.LLM.GenerateEmbeddings(c.state.ctx, model, nil)
		}
		area := make(retArea, 16)
		area.u8(0, 1)
		var le *llm.Error
		tag := uint8(llmErrRuntime)
		if errors.As(err, &le) {
			switch {
			case errors.Is(err, llm.ErrModelNotSupported):
				tag = llmErrModelNotSupported
			case errors.Is(err, llm.ErrInvalidInput):
				tag = llmErrInvalidInput
			}
		}
		area.u8(4, tag)
		if tag != llmErrModelNotSupported {
			ptr, perr := c.putBytes([]byte(err.Error()))
			if perr != nil {
				return perr
			}
			area.u32(8, ptr)
			area.u32(12, uint32(len(err.Error())))
		}
		return c.writeRet(int32(a[ret]), area)
	}
}
