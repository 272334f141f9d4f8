// chart-render renders Helm charts with Helm's semantics, for machines where Helm cannot be
// installed: the same template engine (Go text/template + sprig), values merging, schema
// validation, subcharts with globals, crds/ first and Helm's install order.
//
//	chart-render template CHART [--name N] [--namespace NS] [-f values.yaml]... [--set k=v]...
//	                            [--set-string k=v]... [--skip-crds] [--kube-version v1.32.0]
//	                            [--api-versions g/v]... [--notes]
//	chart-render lint CHART [same flags]
package main

import (
	"fmt"
	"os"
	"path"
	"strings"
)

type options struct {
	command     string
	chartDir    string
	name        string
	namespace   string
	valueFiles  []string
	sets        []string
	setStrings  []string
	skipCRDs    bool
	kubeVersion string
	apiVersions []string
	notes       bool
}

func main() {
	opts, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		fmt.Fprintln(os.Stderr, "usage: chart-render template|lint CHART [--name N] [--namespace NS] [-f FILE]... [--set K=V]... [--set-string K=V]... [--skip-crds] [--kube-version V] [--api-versions G/V]... [--notes]")
		os.Exit(2)
	}
	out, err := run(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}

func parseArgs(args []string) (options, error) {
	o := options{name: "release-name", namespace: "default", kubeVersion: "v1.32.0"}
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if strings.Contains(a, "=") && strings.HasPrefix(a, "--") {
				return a[strings.Index(a, "=")+1:], nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag %s needs a value", a)
			}
			i++
			return args[i], nil
		}
		flag := a
		if strings.HasPrefix(a, "--") && strings.Contains(a, "=") {
			flag = a[:strings.Index(a, "=")]
		}
		var err error
		var v string
		switch flag {
		case "--name":
			v, err = next()
			o.name = v
		case "--namespace", "-n":
			v, err = next()
			o.namespace = v
		case "-f", "--values":
			v, err = next()
			o.valueFiles = append(o.valueFiles, v)
		case "--set":
			v, err = next()
			o.sets = append(o.sets, v)
		case "--set-string":
			v, err = next()
			o.setStrings = append(o.setStrings, v)
		case "--skip-crds":
			o.skipCRDs = true
		case "--kube-version":
			v, err = next()
			o.kubeVersion = v
		case "--api-versions":
			v, err = next()
			o.apiVersions = append(o.apiVersions, v)
		case "--notes":
			o.notes = true
		default:
			if strings.HasPrefix(a, "-") {
				return o, fmt.Errorf("unknown flag %s", a)
			}
			positional = append(positional, a)
		}
		if err != nil {
			return o, err
		}
	}
	if len(positional) != 2 || (positional[0] != "template" && positional[0] != "lint") {
		return o, fmt.Errorf("expected a command (template or lint) and a chart directory")
	}
	o.command, o.chartDir = positional[0], positional[1]
	return o, nil
}

func kubeVersion(v string) (KubeVersion, error) {
	s := strings.TrimPrefix(v, "v")
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return KubeVersion{}, fmt.Errorf("--kube-version %q: expected vMAJOR.MINOR[.PATCH]", v)
	}
	return KubeVersion{Version: "v" + s, Major: parts[0], Minor: parts[1], GitVersion: "v" + s}, nil
}

// defaultAPIVersions are the built-in group versions of the sandbox's Kubernetes.
var defaultAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "policy/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1",
	"coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1", "apiextensions.k8s.io/v1",
	"authentication.k8s.io/v1", "authorization.k8s.io/v1", "autoscaling/v1",
}

func run(o options) (string, error) {
	chart, err := loadChart(o.chartDir)
	if err != nil {
		return "", err
	}
	var lintProblems []string
	if o.command == "lint" {
		lintProblems = append(lintProblems, lintChartMeta(chart)...)
	}

	user := map[string]interface{}{}
	for _, f := range o.valueFiles {
		raw, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("values file %s: %v", f, err)
		}
		v, err := parseValues(raw)
		if err != nil {
			return "", fmt.Errorf("values file %s: %v", f, err)
		}
		user = overlayUser(user, v)
	}
	for _, s := range o.sets {
		if err := parseSet(user, s, false); err != nil {
			return "", err
		}
	}
	for _, s := range o.setStrings {
		if err := parseSet(user, s, true); err != nil {
			return "", err
		}
	}
	kv, err := kubeVersion(o.kubeVersion)
	if err != nil {
		return "", err
	}
	caps := Capabilities{
		KubeVersion: kv,
		APIVersions: VersionSet(append(append([]string{}, defaultAPIVersions...), o.apiVersions...)),
		HelmVersion: map[string]string{"Version": "v3.16.0", "GitCommit": "", "GoVersion": "go1.19"},
	}
	release := Release{Name: o.name, Namespace: o.namespace, IsInstall: true, Revision: 1, Service: "Helm"}
	engine := newEngine(release, caps)

	topValues := mergeValues(deepCopy(chart.Values).(map[string]interface{}), user)
	if _, ok := topValues["global"]; !ok {
		topValues["global"] = map[string]interface{}{}
	}
	var crds []manifest
	var schemaErrs []string
	if err := addTree(engine, chart, chart.Name, topValues, &crds, &schemaErrs); err != nil {
		return "", err
	}
	if len(schemaErrs) > 0 {
		return "", fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", strings.Join(schemaErrs, "\n"))
	}
	rendered, err := engine.render()
	if err != nil {
		return "", err
	}
	ms, err := splitManifests(rendered)
	if err != nil {
		return "", err
	}
	sortManifests(ms)

	if o.command == "lint" {
		for _, m := range append(crds, ms...) {
			lintProblems = append(lintProblems, lintManifest(m)...)
		}
		if len(lintProblems) > 0 {
			return "", fmt.Errorf("lint found %d problem(s):\n- %s", len(lintProblems), strings.Join(lintProblems, "\n- "))
		}
		return fmt.Sprintf("==> Linting %s\n1 chart(s) linted, 0 chart(s) failed\n", o.chartDir), nil
	}

	var b strings.Builder
	if !o.skipCRDs {
		for _, m := range crds {
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.source, m.body)
		}
	}
	for _, m := range ms {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.source, m.body)
	}
	if o.notes {
		notes, err := engine.renderNotes(chart, chart.Name, topValues)
		if err != nil {
			return "", err
		}
		if notes != "" {
			fmt.Fprintf(&b, "\nNOTES:\n%s\n", notes)
		}
	}
	return b.String(), nil
}

// addTree validates a chart's values against its schema, queues its templates and CRDs, and
// recurses into the subcharts its dependencies enable.
func addTree(e *Engine, c *Chart, prefix string, values map[string]interface{}, crds *[]manifest, schemaErrs *[]string) error {
	if errs := validateSchema(c, values); len(errs) > 0 {
		*schemaErrs = append(*schemaErrs, fmt.Sprintf("%s:\n- %s", c.Name, strings.Join(errs, "\n- ")))
	}
	if err := e.addChart(c, prefix, values); err != nil {
		return err
	}
	for _, rel := range sortedKeys(c.CRDs) {
		name := path.Join(prefix, rel)
		ms, err := splitManifests(map[string]string{name: c.CRDs[rel]})
		if err != nil {
			return err
		}
		*crds = append(*crds, ms...)
	}
	for _, dep := range c.Deps {
		sub, ok := c.Subcharts[dep.Name]
		if !ok {
			return fmt.Errorf("%s: dependency %q is not vendored under %s/charts/ (run helm dependency build, or copy the chart there)", c.Name, dep.Name, c.Dir)
		}
		key := dep.Name
		if dep.Alias != "" {
			key = dep.Alias
		}
		if enabled, err := dependencyEnabled(dep, values); err != nil {
			return fmt.Errorf("%s: %v", c.Name, err)
		} else if !enabled {
			continue
		}
		subValues := scopedValues(sub, values, key)
		if err := addTree(e, sub, path.Join(prefix, "charts", key), subValues, crds, schemaErrs); err != nil {
			return err
		}
	}
	return nil
}

// dependencyEnabled evaluates a dependency's condition ("a.enabled,b.enabled": the first path
// that exists decides) and its tags (tags.<tag>: any true enables); default enabled.
func dependencyEnabled(dep Dependency, values map[string]interface{}) (bool, error) {
	if dep.Condition != "" {
		for _, p := range strings.Split(dep.Condition, ",") {
			v, ok := lookupPath(values, strings.TrimSpace(p))
			if !ok {
				continue
			}
			b, isBool := v.(bool)
			if !isBool {
				return false, fmt.Errorf("condition path %q for dependency %q must be a boolean, got %v", p, dep.Name, v)
			}
			return b, nil
		}
	}
	if len(dep.Tags) > 0 {
		tags, _ := values["tags"].(map[string]interface{})
		for _, t := range dep.Tags {
			if b, ok := tags[t].(bool); ok && b {
				return true, nil
			}
		}
		for _, t := range dep.Tags {
			if _, ok := tags[t]; ok {
				return false, nil
			}
		}
	}
	return true, nil
}

func lintChartMeta(c *Chart) []string {
	var p []string
	if c.APIV != "v2" {
		p = append(p, fmt.Sprintf("Chart.yaml: apiVersion is %q, expected \"v2\"", c.APIV))
	}
	if c.Name == "" {
		p = append(p, "Chart.yaml: name is required")
	}
	if c.Version == "" {
		p = append(p, "Chart.yaml: version is required")
	}
	if _, ok := c.Meta["appVersion"]; !ok {
		p = append(p, "Chart.yaml: appVersion is recommended and required by this project")
	}
	if _, ok := c.Meta["description"]; !ok {
		p = append(p, "Chart.yaml: description is required by this project")
	}
	for _, sub := range c.Subcharts {
		p = append(p, lintChartMeta(sub)...)
	}
	return p
}
