package shim

// Version is the spinoci release this shim belongs to.
const Version = "0.1.0"
