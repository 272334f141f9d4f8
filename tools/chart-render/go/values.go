package main

// Values: parsing, Helm's coalescing (user values over chart defaults, null deletes), --set
// parsing (a subset of Helm's strvals), subchart scoping and globals.

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

func parseValues(raw []byte) (map[string]interface{}, error) {
	var v interface{}
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	if v == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := normalize(v).(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("values must be a map, got %T", v)
	}
	return m, nil
}

// normalize turns yaml.v3's map[interface{}]interface{} (non-string keys) into string-keyed maps.
func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case map[interface{}]interface{}:
		m := map[string]interface{}{}
		for k, e := range t {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []interface{}:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	}
	return v
}

func deepCopy(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []interface{}:
		l := make([]interface{}, len(t))
		for i, e := range t {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// mergeValues overlays src onto dst (both owned by the caller): maps merge recursively, anything else
// replaces, and a null in src deletes the key (Helm's way of removing a default).
func mergeValues(dst, src map[string]interface{}) map[string]interface{} {
	return overlay(dst, src, false)
}

// overlayUser stacks user-supplied values (-f, --set) keeping nulls, so that a null given by the
// user still removes the chart's default when the stack is finally merged onto the defaults.
func overlayUser(dst, src map[string]interface{}) map[string]interface{} {
	return overlay(dst, src, true)
}

func overlay(dst, src map[string]interface{}, keepNulls bool) map[string]interface{} {
	for k, sv := range src {
		if sv == nil {
			if keepNulls {
				dst[k] = nil
			} else {
				delete(dst, k)
			}
			continue
		}
		if sm, ok := sv.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = overlay(dm, sm, keepNulls)
				continue
			}
		}
		dst[k] = deepCopy(sv)
	}
	return dst
}

// parseSet applies one --set (or --set-string) expression: "a.b=1,c[0]=x,d={x,y}".
func parseSet(dst map[string]interface{}, expr string, asString bool) error {
	for _, assignment := range splitAssignments(expr) {
		if assignment == "" {
			continue
		}
		eq := indexUnescaped(assignment, '=')
		if eq < 0 {
			return fmt.Errorf("--set %q: key %q has no value (expected key=value)", expr, assignment)
		}
		key, rawEscaped := assignment[:eq], assignment[eq+1:]
		raw := unescape(rawEscaped)
		var val interface{} = raw
		if !asString {
			val = typedValue(raw)
		}
		// Helm's list literal: key={a,b} sets a list (items typed like single values).
		if len(rawEscaped) >= 2 && rawEscaped[0] == '{' && rawEscaped[len(rawEscaped)-1] == '}' {
			items := []interface{}{}
			if inner := rawEscaped[1 : len(rawEscaped)-1]; inner != "" {
				for _, item := range splitUnescaped(inner, ',') {
					if asString {
						items = append(items, unescape(item))
					} else {
						items = append(items, typedValue(unescape(item)))
					}
				}
			}
			val = items
		}
		if err := setPath(dst, splitUnescaped(key, '.'), val); err != nil {
			return fmt.Errorf("--set %q: %v", expr, err)
		}
	}
	return nil
}

func typedValue(s string) interface{} {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil && (s == "0" || !strings.HasPrefix(s, "0")) {
		return i
	}
	return s
}

func setPath(m map[string]interface{}, path []string, val interface{}) error {
	head := unescape(path[0])
	name, index, hasIndex, err := splitIndex(head)
	if err != nil {
		return err
	}
	last := len(path) == 1
	if !hasIndex {
		if last {
			m[name] = val // a nil stays as a marker that removes the chart default
			return nil
		}
		child, ok := m[name].(map[string]interface{})
		if !ok {
			child = map[string]interface{}{}
			m[name] = child
		}
		return setPath(child, path[1:], val)
	}
	list, _ := m[name].([]interface{})
	for len(list) <= index {
		list = append(list, nil)
	}
	if last {
		list[index] = val
	} else {
		child, ok := list[index].(map[string]interface{})
		if !ok {
			child = map[string]interface{}{}
		}
		if err := setPath(child, path[1:], val); err != nil {
			return err
		}
		list[index] = child
	}
	m[name] = list
	return nil
}

func splitIndex(s string) (string, int, bool, error) {
	open := strings.IndexByte(s, '[')
	if open < 0 {
		return s, 0, false, nil
	}
	if !strings.HasSuffix(s, "]") {
		return "", 0, false, fmt.Errorf("malformed list index in %q", s)
	}
	i, err := strconv.Atoi(s[open+1 : len(s)-1])
	if err != nil || i < 0 {
		return "", 0, false, fmt.Errorf("malformed list index in %q", s)
	}
	if i > 65536 {
		return "", 0, false, fmt.Errorf("list index %d in %q is too large", i, s)
	}
	return s[:open], i, true, nil
}

// splitAssignments splits a --set expression at commas that are neither escaped nor inside {...}.
func splitAssignments(s string) []string {
	var out []string
	start, depth := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func splitUnescaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func indexUnescaped(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == c {
			return i
		}
	}
	return -1
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// scopedValues computes a subchart's .Values: its own defaults, overlaid by the parent's values
// under the subchart's name (or alias), with the parent's globals merged into "global".
func scopedValues(sub *Chart, parentScoped map[string]interface{}, key string) map[string]interface{} {
	vals := deepCopy(sub.Values).(map[string]interface{})
	if pv, ok := parentScoped[key].(map[string]interface{}); ok {
		vals = mergeValues(vals, deepCopy(pv).(map[string]interface{}))
	}
	globals := map[string]interface{}{}
	if g, ok := sub.Values["global"].(map[string]interface{}); ok {
		globals = mergeValues(globals, deepCopy(g).(map[string]interface{}))
	}
	if g, ok := parentScoped["global"].(map[string]interface{}); ok {
		globals = mergeValues(globals, deepCopy(g).(map[string]interface{}))
	}
	vals["global"] = globals
	return vals
}

// lookupPath reads "a.b.c" from values; ok is false when any step is missing.
func lookupPath(vals map[string]interface{}, path string) (interface{}, bool) {
	var cur interface{} = vals
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]interface{})
		if !ok {
			return nil, false
		}
		cur, ok = m[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}
