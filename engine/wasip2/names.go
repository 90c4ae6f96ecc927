package wasip2

// interfaceTable lists, per interface this host defines, its resource types
// and functions (component-model names), one interface a line:
// "interface|resource,…|function …". Functions the host does not implement
// are linked as traps naming the function, so a guest importing them still
// instantiates. Generated from the WASI 0.2.3 and fermyon:spin@2.0.0 WIT
// (the WASI versions raised to the 0.2.x this host defines).
const interfaceTable = `
