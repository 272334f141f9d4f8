package main

// Loading a chart directory the way Helm does: Chart.yaml, values.yaml, values.schema.json,
// templates/, crds/, the other files (for .Files) and vendored subcharts under charts/.

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

type Dependency struct {
	Name       string   `yaml:"name"`
	Version    string   `yaml:"version"`
	Repository string   `yaml:"repository"`
	Condition  string   `yaml:"condition"`
	Tags       []string `yaml:"tags"`
	Alias      string   `yaml:"alias"`
}

type Chart struct {
	Dir       string
	Meta      map[string]interface{} // Chart.yaml as written
	Name      string
	Version   string
	APIV      string
	Deps      []Dependency
	Values    map[string]interface{}
	Schema    []byte
	Templates map[string]string // path relative to chart dir ("templates/x.yaml") -> text
	CRDs      map[string]string
	Files     map[string][]byte
	Subcharts map[string]*Chart // by chart name
}

func loadChart(dir string) (*Chart, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, fmt.Errorf("%s: Chart.yaml is missing: %v", dir, err)
	}
	c := &Chart{Dir: dir, Templates: map[string]string{}, CRDs: map[string]string{}, Files: map[string][]byte{}, Subcharts: map[string]*Chart{}}
	if err := yaml.Unmarshal(raw, &c.Meta); err != nil {
		return nil, fmt.Errorf("%s/Chart.yaml: %v", dir, err)
	}
	if c.Meta == nil {
		c.Meta = map[string]interface{}{}
	}
	c.Name, _ = c.Meta["name"].(string)
	c.Version = fmt.Sprint(valueOr(c.Meta["version"], ""))
	c.APIV, _ = c.Meta["apiVersion"].(string)
	var depHolder struct {
		Dependencies []Dependency `yaml:"dependencies"`
	}
	if err := yaml.Unmarshal(raw, &depHolder); err != nil {
		return nil, fmt.Errorf("%s/Chart.yaml: dependencies: %v", dir, err)
	}
	c.Deps = depHolder.Dependencies

	c.Values = map[string]interface{}{}
	if vraw, err := os.ReadFile(filepath.Join(dir, "values.yaml")); err == nil {
		v, err := parseValues(vraw)
		if err != nil {
			return nil, fmt.Errorf("%s/values.yaml: %v", dir, err)
		}
		c.Values = v
	}
	if s, err := os.ReadFile(filepath.Join(dir, "values.schema.json")); err == nil {
		c.Schema = s
	}

	// A subchart may be a symlink to a sibling chart (Helm's loader follows it too): walk its target.
	walkRoot, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	err = filepath.Walk(walkRoot, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(walkRoot, path)
		rel = filepath.ToSlash(rel)
		if info.IsDir() {
			if rel == "charts" {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(rel, "templates/"):
			c.Templates[rel] = string(data)
		case strings.HasPrefix(rel, "crds/"):
			c.CRDs[rel] = string(data)
		case rel == "Chart.yaml" || rel == "values.yaml" || rel == "values.schema.json" || rel == ".helmignore":
		default:
			c.Files[rel] = data
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	entries, _ := os.ReadDir(filepath.Join(dir, "charts"))
	for _, e := range entries {
		if info, err := os.Stat(filepath.Join(dir, "charts", e.Name())); err != nil || !info.IsDir() {
			return nil, fmt.Errorf("%s/charts/%s: packaged (.tgz) subcharts are not supported; vendor the chart as a directory", dir, e.Name())
		}
		sub, err := loadChart(filepath.Join(dir, "charts", e.Name()))
		if err != nil {
			return nil, err
		}
		c.Subcharts[sub.Name] = sub
	}
	return c, nil
}

func valueOr(v interface{}, d interface{}) interface{} {
	if v == nil {
		return d
	}
	return v
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// chartObject is what templates see as .Chart: Chart.yaml with Helm's capitalised field names.
func chartObject(c *Chart) map[string]interface{} {
	rename := map[string]string{"apiVersion": "APIVersion", "appVersion": "AppVersion", "kubeVersion": "KubeVersion"}
	out := map[string]interface{}{}
	for k, v := range c.Meta {
		name, ok := rename[k]
		if !ok {
			name = strings.ToUpper(k[:1]) + k[1:]
		}
		out[name] = v
	}
	for _, f := range []string{"Name", "Version", "AppVersion", "Description", "Type", "Home", "Icon", "KubeVersion"} {
		if _, ok := out[f]; !ok {
			out[f] = ""
		}
	}
	return out
}
