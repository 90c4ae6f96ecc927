// Package llm is the LLM host capability of Spin applications (Spin 1.x's
// llm imports, fermyon:spin/llm@2.0.0). No model runs in this runtime: a
// component may only name the models listed in its ai_models (else Spin's
// invalid-input error), and every allowed call answers runtime-error, as
// Spin does without an inferencing engine. The runtime config's
// [llm_compute] section is accepted with type "spin" only.
package llm
