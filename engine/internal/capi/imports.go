package capi

/*
#include "capi.h"
*/
import "C"

import (
	"strings"
	"unsafe"
)

// Item kinds (wasmtime_component_item_kind_t).
const (
	itemInstance = C.WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE
	itemFunc     = C.WASMTIME_COMPONENT_ITEM_COMPONENT_FUNC
	itemResource = C.WASMTIME_COMPONENT_ITEM_RESOURCE
	itemType     = C.WASMTIME_COMPONENT_ITEM_TYPE
)

// Import is one top-level import of a component: an instance (an interface
// such as "spin:key-value/key-value@3.0.0") with the functions and resource
// types it must export, or a single function (Func set).
type Import struct {
	Name string
	// Func reports an imported function rather than an instance.
	Func bool
	// Funcs are the instance's functions, e.g. "[method]store.get".
	Funcs []string
	// Resources are the instance's resource types.
	Resources []ImportedResource
	// Other counts the instance's exports that are neither functions nor
	// resources (nested instances, modules, …): a host cannot stub those.
	Other int
}

// ImportedResource is a resource type an imported instance exports.
type ImportedResource struct {
	Name string
	// Origin is "interface#resource" of the first import that exports the
	// same resource type: an interface that uses another's resource (WIT
	// `use`) exports it under its own name, and both must be linked to one
	// host type.
	Origin string
}

// Imports lists c's imports, in the component's order.
func (c *Component) Imports() []Import {
	ty := C.wasmtime_component_type(c.ptr)
	defer C.wasmtime_component_type_delete(ty)
	// seen keeps the resource types met so far (owned copies) to find
	// aliases; origins are their names.
	var seen []alignedC[C.wasmtime_component_item_t]
	var origins []string
	defer func() {
		for i := range seen {
			C.wasmtime_component_item_delete(&seen[i].v)
		}
	}()
	n := int(C.wasmtime_component_type_import_count(ty, c.engine))
	out := make([]Import, 0, n)
	for i := 0; i < n; i++ {
		var itemBox alignedC[C.wasmtime_component_item_t]
		item := &itemBox.v
		var name *C.char
		var nameLen C.size_t
		if !C.wasmtime_component_type_import_nth(ty, c.engine, C.size_t(i), &name, &nameLen, item) {
			continue
		}
		imp := Import{Name: C.GoStringN(name, C.int(nameLen))}
		switch item.kind {
		case itemFunc:
			imp.Func = true
		case itemInstance:
			it := *(**C.wasmtime_component_instance_type_t)(unsafe.Pointer(&item.of))
			m := int(C.wasmtime_component_instance_type_export_count(it, c.engine))
			for j := 0; j < m; j++ {
				var exBox alignedC[C.wasmtime_component_item_t]
				ex := &exBox.v
				if !C.wasmtime_component_instance_type_export_nth(it, c.engine, C.size_t(j), &name, &nameLen, ex) {
					continue
				}
				exName := C.GoStringN(name, C.int(nameLen))
				switch ex.kind {
				case itemFunc:
					imp.Funcs = append(imp.Funcs, exName)
					C.wasmtime_component_item_delete(ex)
				case itemResource:
					origin := imp.Name + "#" + exName
					rt := *(**C.wasmtime_component_resource_type_t)(unsafe.Pointer(&ex.of))
					found := false
					for k := range seen {
						if C.wasmtime_component_resource_type_equal(rt, *(**C.wasmtime_component_resource_type_t)(unsafe.Pointer(&seen[k].v.of))) {
							origin, found = origins[k], true
							break
						}
					}
					if found {
						C.wasmtime_component_item_delete(ex)
					} else {
						seen, origins = append(seen, exBox), append(origins, origin)
					}
					imp.Resources = append(imp.Resources, ImportedResource{Name: exName, Origin: origin})
				case itemType: // a non-resource type: nothing to define
					C.wasmtime_component_item_delete(ex)
				default:
					imp.Other++
					C.wasmtime_component_item_delete(ex)
				}
			}
		default:
			imp.Other++
		}
		C.wasmtime_component_item_delete(item)
		out = append(out, imp)
	}
	return out
}

// SemverKey returns the name under which Wasmtime's linker lets an import
// match a definition of a compatible version: "pkg/iface@1" for 1.x.y,
// "pkg/iface@0.2" for 0.2.x; names without a version, with a prerelease or
// 0.0.x versions match exactly, and are returned unchanged.
func SemverKey(name string) string {
	base, v, ok := strings.Cut(name, "@")
	if !ok || strings.ContainsAny(v, "-+") {
		return name
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return name
	}
	switch {
	case parts[0] != "0":
		return base + "@" + parts[0]
	case parts[1] != "0":
		return base + "@0." + parts[1]
	}
	return name
}
