// Package variables is the variables host capability of Spin applications:
// application variables resolved from providers (the container environment:
// NAME, SPIN_VARIABLE_NAME, SPIN_CONFIG_NAME) or their defaults, "{{ name }}"
// templates, and each component's configuration (its config keys, whose
// values are templates over the variables), which guests read through
// spin-config (Spin 1.x) and fermyon:spin/variables or fermyon:spin/config
// (components).
//
// Names follow Spin's rules (CheckName); lookups fail with Spin's error
// kinds, ErrInvalidName and ErrUndefined.
package variables
