{{/* Name of the release's objects: the release name, or release-chart when they differ. */}}
{{- define "usher.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels that select the serving pods (stable across upgrades). */}}
{{- define "usher.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end -}}

{{/* Labels of every object. */}}
{{- define "usher.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "usher.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The pod's grace period: the preStop sleep, then the server's own drain bound, then a margin. */}}
{{- define "usher.terminationGracePeriodSeconds" -}}
{{ add .Values.server.preStopSleepSeconds .Values.server.shutdownTimeoutSeconds .Values.server.terminationMarginSeconds }}
{{- end -}}

{{/* The queue-depth query: the metric summed over a pod's models and versions. */}}
{{- define "usher.queueQuery" -}}
sum({{ .Values.queueMetric.name }}{namespace="{{ .Release.Namespace }}",service="{{ include "usher.fullname" . }}"})
{{- end -}}

{{/* The settings the chart writes to usher.yaml: its own keys, with .Values.settings merged over. */}}
{{- define "usher.settings" -}}
{{- $own := dict
  "server" (dict
    "http_port" .Values.server.httpPort
    "grpc_port" .Values.server.grpcPort
    "shutdown_timeout_seconds" .Values.server.shutdownTimeoutSeconds
    "log_format" .Values.server.logFormat)
  "repository" (dict
    "path" .Values.models.mountPath
    "poll_seconds" .Values.models.pollSeconds)
  "admin" (dict) -}}
{{- /* A state file of the pod's own, or (clusterMode) the shared PostgreSQL of --state: never both, which the server refuses. */ -}}
{{- if not .Values.clusterMode.enabled -}}
{{- $_ := set $own.admin "data_dir" .Values.state.mountPath -}}
{{- end -}}
{{- if .Values.adminTokenSecret -}}
{{- $_ := set $own.admin "token_file" "/etc/usher/admin/token" -}}
{{- end -}}
{{- toYaml (mergeOverwrite $own (deepCopy .Values.settings)) -}}
{{- end -}}

{{/* Fails the render when both autoscalers are on. */}}
{{- define "usher.checkAutoscalers" -}}
{{- if and .Values.hpa.enabled .Values.keda.enabled -}}
{{- fail "hpa.enabled and keda.enabled are both true: KEDA makes its own HorizontalPodAutoscaler for the Deployment; enable one of them" -}}
{{- end -}}
{{- if and .Values.gateway.enabled (not .Values.clusterMode.enabled) -}}
{{- fail "gateway.enabled needs clusterMode.enabled: the gateway finds the replicas in the PostgreSQL registry" -}}
{{- end -}}
{{- end -}}
