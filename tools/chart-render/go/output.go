package main

// Turning rendered templates into the manifest stream Helm would install: split documents, drop
// empty ones, order by kind as Helm's InstallOrder does, and lint checks.

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// installOrder is the order in which Helm installs kinds; unknown kinds go last.
var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
	"PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
	"ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList",
	"RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController",
	"ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
	"IngressClass", "Ingress", "APIService", "MutatingWebhookConfiguration",
	"ValidatingWebhookConfiguration",
}

type manifest struct {
	source string
	body   string
	kind   string
	name   string
	doc    map[string]interface{}
}

func kindRank(kind string) int {
	for i, k := range installOrder {
		if k == kind {
			return i
		}
	}
	return len(installOrder)
}

// splitManifests turns rendered files into documents; YAML errors name the template.
func splitManifests(rendered map[string]string) ([]manifest, error) {
	var out []manifest
	for _, name := range sortedKeys(rendered) {
		for _, body := range splitDocs(rendered[name]) {
			if isBlank(body) {
				continue
			}
			var doc map[string]interface{}
			if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
				return nil, fmt.Errorf("YAML parse error on %s: %v", name, err)
			}
			if doc == nil {
				continue
			}
			doc = normalize(doc).(map[string]interface{})
			m := manifest{source: name, body: strings.TrimSpace(body), doc: doc}
			m.kind, _ = doc["kind"].(string)
			if md, ok := doc["metadata"].(map[string]interface{}); ok {
				m.name, _ = md["name"].(string)
			}
			out = append(out, m)
		}
	}
	return out, nil
}

func sortManifests(ms []manifest) {
	sort.SliceStable(ms, func(i, j int) bool {
		ri, rj := kindRank(ms[i].kind), kindRank(ms[j].kind)
		if ri != rj {
			return ri < rj
		}
		if ri == len(installOrder) && ms[i].kind != ms[j].kind {
			return ms[i].kind < ms[j].kind
		}
		return ms[i].name < ms[j].name
	})
}

func splitDocs(s string) []string {
	var docs []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " \t") == "---" || strings.HasPrefix(line, "--- ") {
			docs = append(docs, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	return append(docs, strings.Join(cur, "\n"))
}

// isBlank: only whitespace and comments.
func isBlank(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

// lintManifest reports what `helm lint` and the API server would reject in a rendered document.
func lintManifest(m manifest) []string {
	var problems []string
	if v, _ := m.doc["apiVersion"].(string); v == "" {
		problems = append(problems, fmt.Sprintf("%s: object has no apiVersion", m.source))
	}
	if m.kind == "" {
		problems = append(problems, fmt.Sprintf("%s: object has no kind", m.source))
	}
	if m.name == "" {
		problems = append(problems, fmt.Sprintf("%s: %s has no metadata.name", m.source, orUnknown(m.kind)))
	}
	return problems
}

func orUnknown(s string) string {
	if s == "" {
		return "object"
	}
	return s
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
