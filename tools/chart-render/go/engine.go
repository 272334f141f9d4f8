package main

// The template engine: Go text/template with sprig plus Helm's own functions (include, tpl,
// required, toYaml, fromYaml, toJson, fromJson, lookup), one template set shared by a chart and all
// its subcharts (so `define`s are global), and Helm's rendering rules (missingkey=zero,
// "<no value>" removed, partials starting with "_" not emitted).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type Release struct {
	Name      string
	Namespace string
	IsInstall bool
	IsUpgrade bool
	Revision  int
	Service   string
}

type KubeVersion struct {
	Version    string
	Major      string
	Minor      string
	GitVersion string
}

func (k KubeVersion) String() string { return k.Version }

type VersionSet []string

func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion map[string]string
}

// renderJob is one template file to render with the values of the chart it belongs to.
type renderJob struct {
	name   string // "opsmith/charts/etcd-operator/templates/deployment.yaml"
	values map[string]interface{}
	chart  *Chart
	files  Files
}

type Engine struct {
	tmpl    *template.Template
	jobs    []renderJob
	release Release
	caps    Capabilities
	depth   int
}

const maxIncludeDepth = 1000

func newEngine(release Release, caps Capabilities) *Engine {
	e := &Engine{release: release, caps: caps}
	e.tmpl = template.New("gotpl").Option("missingkey=zero").Funcs(e.funcMap())
	return e
}

func (e *Engine) funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["mustToYaml"] = mustToYAML
	f["fromYaml"] = fromYAML
	f["fromYamlArray"] = fromYAMLArray
	f["toJson"] = toJSON
	f["mustToJson"] = mustToJSON
	f["fromJson"] = fromJSON
	f["fromJsonArray"] = fromJSONArray
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	f["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	// lookup always finds nothing: rendering happens without a cluster, as `helm template` does.
	f["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		e.depth++
		defer func() { e.depth-- }()
		if e.depth > maxIncludeDepth {
			return "", fmt.Errorf("rendering template has a nested reference name: %s: unable to execute template", name)
		}
		var buf bytes.Buffer
		if err := e.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := e.tmpl.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %v", text, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", fmt.Errorf("error calling tpl: %v", err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	return f
}

// addChart parses every template of c (and its enabled subcharts) into the shared set and queues
// the non-partial ones for rendering.
func (e *Engine) addChart(c *Chart, prefix string, values map[string]interface{}) error {
	files := newFiles(c.Files)
	for _, rel := range sortedKeys(c.Templates) {
		name := path.Join(prefix, rel)
		if _, err := e.tmpl.New(name).Parse(c.Templates[rel]); err != nil {
			return fmt.Errorf("parse error in %q: %v", name, err)
		}
		base := path.Base(rel)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		e.jobs = append(e.jobs, renderJob{name: name, values: values, chart: c, files: files})
	}
	return nil
}

func (e *Engine) topData(job renderJob) map[string]interface{} {
	return map[string]interface{}{
		"Values":       job.values,
		"Release":      e.release,
		"Chart":        chartObject(job.chart),
		"Capabilities": e.caps,
		"Files":        job.files,
		"Template": map[string]interface{}{
			"Name":     job.name,
			"BasePath": path.Join(path.Dir(path.Dir(job.name)), "templates"),
		},
	}
}

// render executes every queued template; the result maps template names to rendered text.
func (e *Engine) render() (map[string]string, error) {
	out := map[string]string{}
	for _, job := range e.jobs {
		var buf bytes.Buffer
		if err := e.tmpl.ExecuteTemplate(&buf, job.name, e.topData(job)); err != nil {
			return nil, cleanExecError(err)
		}
		out[job.name] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return out, nil
}

// renderNotes renders NOTES.txt of the top chart, when there is one.
func (e *Engine) renderNotes(c *Chart, prefix string, values map[string]interface{}) (string, error) {
	name := path.Join(prefix, "templates/NOTES.txt")
	if e.tmpl.Lookup(name) == nil {
		return "", nil
	}
	var buf bytes.Buffer
	job := renderJob{name: name, values: values, chart: c, files: newFiles(c.Files)}
	if err := e.tmpl.ExecuteTemplate(&buf, name, e.topData(job)); err != nil {
		return "", cleanExecError(err)
	}
	return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
}

// cleanExecError keeps the template location and the message of errors raised by fail/required.
func cleanExecError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "error calling fail: "); i >= 0 {
		return fmt.Errorf("execution error at (%s): %s", location(msg), msg[i+len("error calling fail: "):])
	}
	if i := strings.Index(msg, "error calling required: "); i >= 0 {
		return fmt.Errorf("execution error at (%s): %s", location(msg), msg[i+len("error calling required: "):])
	}
	return err
}

func location(msg string) string {
	msg = strings.TrimPrefix(msg, "template: ")
	if i := strings.Index(msg, ": executing"); i >= 0 {
		return msg[:i]
	}
	return msg
}

// ---- YAML/JSON helpers, with Helm's conventions (2-space YAML, no trailing newline, errors -> "")

func marshalYAML(v interface{}) (string, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	_ = enc.Close()
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func toYAML(v interface{}) string {
	s, err := marshalYAML(v)
	if err != nil {
		return ""
	}
	return s
}

func mustToYAML(v interface{}) (string, error) { return marshalYAML(v) }

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	var v interface{}
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		m["Error"] = err.Error()
		return m
	}
	if mm, ok := normalize(v).(map[string]interface{}); ok {
		return mm
	}
	return m
}

func fromYAMLArray(s string) []interface{} {
	var v interface{}
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return []interface{}{err.Error()}
	}
	if l, ok := normalize(v).([]interface{}); ok {
		return l
	}
	return []interface{}{}
}

func toJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func mustToJSON(v interface{}) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []interface{} {
	var l []interface{}
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return []interface{}{err.Error()}
	}
	return l
}

// ---- .Files

type Files map[string][]byte

func newFiles(m map[string][]byte) Files { return Files(m) }

func (f Files) Get(name string) string { return string(f[name]) }

func (f Files) GetBytes(name string) []byte { return f[name] }

func (f Files) Glob(pattern string) Files {
	out := Files{}
	for name, data := range f {
		if ok, _ := path.Match(pattern, name); ok {
			out[name] = data
		} else if strings.Contains(pattern, "**") && globStar(pattern, name) {
			out[name] = data
		}
	}
	return out
}

// globStar supports the "dir/**" and "**/*.ext" patterns charts commonly use.
func globStar(pattern, name string) bool {
	parts := strings.SplitN(pattern, "**", 2)
	return strings.HasPrefix(name, parts[0]) && (parts[1] == "" || matchSuffix(strings.TrimPrefix(parts[1], "/"), name))
}

func matchSuffix(pattern, name string) bool {
	ok, _ := path.Match(pattern, path.Base(name))
	return ok
}

func (f Files) Lines(name string) []string {
	s := string(f[name])
	if s == "" {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func (f Files) names() []string {
	n := make([]string, 0, len(f))
	for k := range f {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func (f Files) AsConfig() string {
	m := map[string]string{}
	for _, n := range f.names() {
		m[path.Base(n)] = string(f[n])
	}
	return toYAML(m)
}

func (f Files) AsSecrets() string {
	m := map[string]string{}
	for _, n := range f.names() {
		m[path.Base(n)] = b64(f[n])
	}
	return toYAML(m)
}
