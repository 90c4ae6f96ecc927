package llm

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spinoci/spinoci/engine/runtimeconfig"
)

// Spin's LLM error kinds (see Error).
var (
	ErrModelNotSupported = errors.New("model not supported")
	ErrRuntime           = errors.New("runtime error")
	ErrInvalidInput      = errors.New("invalid input")
)

// Error is a failed call: Kind is one of the kinds above; Detail is the
// message the guest sees. errors.Is(err, Kind) holds.
type Error struct {
	Kind   error
	Detail string
}

func (e *Error) Error() string { return e.Detail }
func (e *Error) Unwrap() error { return e.Kind }

// Engine is what one component may use: the models of its ai_models.
type Engine struct {
	models []string
}

// NewEngine returns the LLM capability of a component whose ai_models are
// models.
func NewEngine(models []string) *Engine { return &Engine{models: models} }

// check refuses models the component does not list, as Spin does.
func (e *Engine) check(model string) error {
	if e == nil || !slices.Contains(e.models, model) {
		return &Error{Kind: ErrInvalidInput, Detail: fmt.Sprintf(
			"The component does not have access to use '%s'. To give the component access, add '%s' to the 'ai_models' key for the component in your spin.toml manifest", model, model)}
	}
	return nil
}

func noEngine() error {
	return &Error{Kind: ErrRuntime, Detail: "Local LLM operations are not supported in this runtime: no model runs in containerd-shim-spinoci-v1"}
}

// Infer fails: with invalid-input for a model the component does not
// list, else with runtime-error.
func (e *Engine) Infer(_ context.Context, model, _ string) (string, error) {
	if err := e.check(model); err != nil {
		return "", err
	}
	return "", noEngine()
}

// GenerateEmbeddings fails like Infer.
func (e *Engine) GenerateEmbeddings(_ context.Context, model string, _ []string) ([][]float32, error) {
	if err := e.check(model); err != nil {
		return nil, err
	}
	return nil, noEngine()
}

// RuntimeConfigSection accepts [llm_compute] with type "spin" (no model
// is loaded until a guest asks, and then none is there) and refuses others.
func RuntimeConfigSection() runtimeconfig.Section {
	return runtimeconfig.Section{Name: "llm_compute", Parse: func(raw any, _ *runtimeconfig.File) error {
		if t, _ := runtimeconfig.Type(raw); t == "remote_http" {
			return errors.New(`type "remote_http" is not supported: this runtime calls no remote LLM service (remove [llm_compute]; guests then get the interface's error for a model that is not loaded)`)
		}
		if _, err := runtimeconfig.TypeOf(raw, "spin"); err != nil {
			return err
		}
		var c struct {
			Type string `toml:"type"`
		}
		return runtimeconfig.Decode(raw, &c)
	}}
}
