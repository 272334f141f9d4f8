{{/* Names, labels and the values the templates share. */}}

{{- define "etcd-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "etcd-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "etcd-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "etcd-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "etcd-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "etcd-operator.labels" -}}
helm.sh/chart: {{ include "etcd-operator.chart" . }}
{{ include "etcd-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: opsmith
{{- end -}}

{{- define "etcd-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "etcd-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* registry/repository:tag; global.imageRegistry wins over the image's own registry. */}}
{{- define "etcd-operator.imageRef" -}}
{{- $registry := default .image.registry .global.imageRegistry -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" $registry .image.repository .tag -}}
{{- else -}}
{{- printf "%s:%s" .image.repository .tag -}}
{{- end -}}
{{- end -}}

{{- define "etcd-operator.image" -}}
{{- include "etcd-operator.imageRef" (dict "image" .Values.image "global" (.Values.global | default dict) "tag" (default .Chart.AppVersion .Values.image.tag)) -}}
{{- end -}}

{{- define "etcd-operator.redisImage" -}}
{{- include "etcd-operator.imageRef" (dict "image" .Values.redis.image "global" (.Values.global | default dict) "tag" .Values.redis.image.tag) -}}
{{- end -}}

{{/* imagePullSecrets of every pod: the chart's own plus the global ones, without repeats. */}}
{{- define "etcd-operator.imagePullSecrets" -}}
{{- $global := .Values.global | default dict -}}
{{- $names := concat (.Values.imagePullSecrets | default list) ($global.imagePullSecrets | default list) | uniq -}}
{{- if $names -}}
imagePullSecrets:
{{- range $names }}
  - name: {{ if kindIs "map" . }}{{ .name }}{{ else }}{{ . }}{{ end }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* The watched namespaces as a JSON list: the chart's own, else the global ones; [] = all. */}}
{{- define "etcd-operator.watchNamespaces" -}}
{{- $global := .Values.global | default dict -}}
{{- $list := .Values.watchNamespaces | default ($global.watchNamespaces | default list) -}}
{{- $list | uniq | toJson -}}
{{- end -}}

{{- define "etcd-operator.leaseName" -}}
{{- default (include "etcd-operator.fullname" .) .Values.leaderElection.leaseName -}}
{{- end -}}

{{- define "etcd-operator.redisName" -}}
{{- printf "%s-redis" (include "etcd-operator.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The Redis URL for --redis-url; empty when it comes from a Secret (REDIS_URL). */}}
{{- define "etcd-operator.redisUrl" -}}
{{- if .Values.redis.enabled -}}
{{- printf "redis://%s.%s.svc:6379" (include "etcd-operator.redisName" .) .Release.Namespace -}}
{{- else if not .Values.redis.urlSecret.name -}}
{{- .Values.redis.url -}}
{{- end -}}
{{- end -}}

{{/* Render-time checks that values.schema.json cannot express. */}}
{{- define "etcd-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) -}}
{{- fail "replicaCount > 1 needs leaderElection.enabled: true (otherwise every replica reconciles)" -}}
{{- end -}}
{{- if and (not .Values.redis.enabled) (not .Values.redis.url) (not .Values.redis.urlSecret.name) -}}
{{- fail "redis: set redis.url or redis.urlSecret.name to an external Redis, or redis.enabled: true for the bundled one" -}}
{{- end -}}
{{- end -}}
