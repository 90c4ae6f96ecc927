package capi

import (
	"hash/fnv"
	"strings"
)

// StubResourceTypes is the first host resource type id DefineMissing uses:
// hosts must give their own resources ids below it.
const StubResourceTypes uint32 = 1 << 31

// DefineMissing defines in l whatever c imports that l does not provide, so
// that c instantiates: each function as a host function that traps with the
// error unsupported returns for "interface#function" (or the function's name,
// for a function imported on its own), each resource type as a host
// resource type (so the functions mentioning it link; no handle of it can
// ever exist, since only these functions could make one).
//
// An instance import that l provides exactly, or through a definition of a
// semver-compatible version Wasmtime would match (wasi:http/types@0.2.6
// for a guest's @0.2.0), is left alone, even when the guest wants items the
// definition lacks: redefining it would replace the host's implementation
// (Wasmtime then names what is missing). Instances stubbed by an earlier call
// are redefined with the items of both calls, since reopening an instance
// replaces it. Imports that are neither functions nor instances of functions
// and resources are left for Wasmtime to report. l must not be in use.
func (l *Linker) DefineMissing(c *Component, unsupported func(what string) error) error {
	root := l.Root()
	defer root.Close()
	for _, imp := range c.Imports() {
		if imp.Func {
			if _, ok := l.defined[imp.Name]; !ok {
				if err := root.AddFunc(imp.Name, trapFunc(unsupported, imp.Name)); err != nil {
					return err
				}
				l.stubs[imp.Name] = true
			}
			continue
		}
		if imp.Other > 0 || l.providedBy(imp.Name) {
			continue
		}
		have := l.defined[imp.Name]
		missing := false
		for _, f := range imp.Funcs {
			_, ok := have[f]
			missing = missing || !ok
		}
		for _, r := range imp.Resources {
			_, ok := have[r.Name]
			missing = missing || !ok
		}
		if have != nil && !missing {
			continue
		}
		if err := l.defineStub(root, imp, have, unsupported); err != nil {
			return err
		}
	}
	return nil
}

// providedBy reports whether name is defined, or semver-matched, by an
// instance not made by DefineMissing.
func (l *Linker) providedBy(name string) bool {
	if _, ok := l.defined[name]; ok {
		return !l.stubs[name]
	}
	key := SemverKey(name)
	if key == name {
		return false
	}
	for d := range l.defined {
		if !l.stubs[d] && SemverKey(d) == key {
			return true
		}
	}
	return false
}

// defineStub (re)defines the instance imp.Name with trapping functions and
// stub resources for imp's items and the items have already held.
func (l *Linker) defineStub(root *LinkerInstance, imp Import, have map[string]uint32, unsupported func(string) error) error {
	funcs := map[string]bool{}
	resources := map[string]uint32{}
	for item, ty := range have {
		if ty != 0 {
			resources[item] = ty
		} else {
			funcs[item] = true
		}
	}
	for _, f := range imp.Funcs {
		funcs[f] = true
	}
	for _, r := range imp.Resources {
		if _, ok := resources[r.Name]; !ok {
			resources[r.Name] = l.resourceType(r.Origin)
		}
	}
	li, err := root.Instance(imp.Name)
	if err != nil {
		return err
	}
	defer li.Close()
	l.stubs[imp.Name] = true
	for name, ty := range resources {
		if err := li.AddResource(name, ty, nil); err != nil {
			return err
		}
	}
	for name := range funcs {
		if err := li.AddFunc(name, trapFunc(unsupported, imp.Name+"#"+name)); err != nil {
			return err
		}
	}
	return nil
}

// resourceType returns the host type id for a stubbed resource whose type
// was first exported as origin ("interface#resource"): the host's own id
// when origin is a resource l defines (a stub interface may use the host's
// types), else one derived from the name, so that every interface that
// exports the same resource gets the same type.
func (l *Linker) resourceType(origin string) uint32 {
	iface, res, _ := strings.Cut(origin, "#")
	if ty := l.definedResource(iface, res); ty != 0 {
		return ty
	}
	h := fnv.New32a()
	h.Write([]byte(origin))
	return StubResourceTypes | h.Sum32()&^StubResourceTypes
}

// definedResource returns the type id of resource res of the instance that
// provides iface (exactly or semver-matched), or 0.
func (l *Linker) definedResource(iface, res string) uint32 {
	if items, ok := l.defined[iface]; ok {
		return items[res]
	}
	for d, items := range l.defined {
		if SemverKey(d) == SemverKey(iface) && SemverKey(iface) != iface {
			return items[res]
		}
	}
	return 0
}

func trapFunc(unsupported func(string) error, what string) HostFunc {
	return func(*Context, []Val) ([]Val, error) { return nil, unsupported(what) }
}
