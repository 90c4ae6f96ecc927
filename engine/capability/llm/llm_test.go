package llm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/runtimeconfig"
)

func TestEngineAnswersErrors(t *testing.T) {
	ctx := context.Background()
	e := NewEngine([]string{"llama2-chat"})
	if _, err := e.Infer(ctx, "llama2-chat", "hi"); !errors.Is(err, ErrRuntime) {
		t.Errorf("allowed model: %v, want a runtime error", err)
	}
	if _, err := e.GenerateEmbeddings(ctx, "llama2-chat", []string{"x"}); !errors.Is(err, ErrRuntime) {
		t.Errorf("allowed model embeddings: %v, want a runtime error", err)
	}
	for _, eng := range []*Engine{e, nil} {
		_, err := eng.Infer(ctx, "other", "hi")
		if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "add 'other' to the 'ai_models' key") {
			t.Errorf("model not listed: %v, want invalid input naming ai_models", err)
		}
	}
}

func TestRuntimeConfigSection(t *testing.T) {
	if err := runtimeconfig.Parse(&runtimeconfig.File{}, []byte("[llm_compute]\ntype = \"spin\""), RuntimeConfigSection()); err != nil {
		t.Error(err)
	}
	err := runtimeconfig.Parse(&runtimeconfig.File{}, []byte("[llm_compute]\ntype = \"remote_http\"\nurl = \"u\""), RuntimeConfigSection())
	if err == nil || !strings.Contains(err.Error(), `[llm_compute]: type "remote_http" is not supported: this runtime calls no remote LLM service`) {
		t.Errorf("remote_http: %v", err)
	}
	err = runtimeconfig.Parse(&runtimeconfig.File{}, []byte("[llm_compute]\ntype = \"gpu\""), RuntimeConfigSection())
	if err == nil || !strings.Contains(err.Error(), `[llm_compute]: unsupported type "gpu" (this runtime supports "spin")`) {
		t.Errorf("unknown type: %v", err)
	}
}
