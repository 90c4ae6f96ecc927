package manifest

import (
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// positions maps key paths to the line they are written on. Paths are
// dotted, with array elements (arrays of tables and inline arrays) as
// numeric segments: "component.0.source", "trigger.http.1.route".
type positions map[string]int

// indexPositions parses data (already known to be valid TOML) and records
// the line of every table header, key and array element.
func indexPositions(data []byte) positions {
	pos := positions{}
	var p unstable.Parser
	p.Reset(data)
	arrays := map[string]int{} // array-of-tables path -> elements so far
	// resolve turns header or key parts into a path, entering the last
	// element of each array of tables on the way.
	resolve := func(prefix []string, parts []string) []string {
		out := append([]string{}, prefix...)
		for _, part := range parts {
			out = append(out, part)
			if n, ok := arrays[strings.Join(out, ".")]; ok && n > 0 {
				out = append(out, strconv.Itoa(n-1))
			}
		}
		return out
	}
	line := func(n *unstable.Node) int {
		if n == nil || n.Raw.Length == 0 {
			return 0
		}
		return p.Shape(n.Raw).Start.Line
	}
	var table []string
	var keyValue func(prefix []string, kv *unstable.Node)
	var value func(path []string, v *unstable.Node, fallback int)
	value = func(path []string, v *unstable.Node, fallback int) {
		switch v.Kind {
		case unstable.InlineTable:
			it := v.Children()
			for it.Next() {
				keyValue(path, it.Node())
			}
		case unstable.Array:
			it := v.Children()
			for i := 0; it.Next(); i++ {
				el := it.Node()
				elPath := append(append([]string{}, path...), strconv.Itoa(i))
				l := line(el)
				if l == 0 {
					l = fallback
				}
				pos[strings.Join(elPath, ".")] = l
				value(elPath, el, l)
			}
		}
	}
	keyValue = func(prefix []string, kv *unstable.Node) {
		parts, first := keyParts(kv.Key())
		path := append(append([]string{}, prefix...), parts...)
		l := line(first)
		pos[strings.Join(path, ".")] = l
		value(path, kv.Value(), l)
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts, first := keyParts(e.Key())
			if e.Kind == unstable.Table {
				table = resolve(nil, parts)
			} else {
				table = resolve(nil, parts[:len(parts)-1])
				table = append(table, parts[len(parts)-1])
				key := strings.Join(table, ".")
				table = append(table, strconv.Itoa(arrays[key]))
				arrays[key]++
			}
			pos[strings.Join(table, ".")] = line(first)
		case unstable.KeyValue:
			keyValue(table, e)
		}
	}
	return pos
}

// keyParts returns the parts of a dotted key and its first node.
func keyParts(it unstable.Iterator) (parts []string, first *unstable.Node) {
	for it.Next() {
		if first == nil {
			first = it.Node()
		}
		parts = append(parts, string(it.Node().Data))
	}
	return parts, first
}

// line returns the line of path, or of its nearest ancestor that has one.
func (p positions) line(path string) int {
	for path != "" {
		if l, ok := p[path]; ok {
			return l
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}
