{{/* The release's full name, as `helm create` makes it: at most 63 characters (a DNS label). */}}
{{- define "irsa-verify.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "irsa-verify.fullname" -}}
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

{{- define "irsa-verify.selectorLabels" -}}
app.kubernetes.io/name: {{ include "irsa-verify.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "irsa-verify.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "irsa-verify.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The ServiceAccount the pod runs as: the chart's own, or an existing one by name. */}}
{{- define "irsa-verify.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "irsa-verify.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name: the existing ServiceAccount to run as (serviceAccount.create is false)" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "irsa-verify.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* A policy document given as JSON text, or as a map (rendered as JSON). */}}
{{- define "irsa-verify.json" -}}
{{- if kindIs "string" . -}}
{{- trimSuffix "\n" . -}}
{{- else -}}
{{- toPrettyJson . -}}
{{- end -}}
{{- end -}}

{{/* watch.interval in seconds (the schema allows a number and s, m or h). */}}
{{- define "irsa-verify.intervalSeconds" -}}
{{- $interval := .Values.watch.interval -}}
{{- $n := regexFind "^[0-9]+" $interval | atoi -}}
{{- $unit := trimPrefix (toString $n) $interval -}}
{{- $factor := get (dict "s" 1 "m" 60 "h" 3600) $unit -}}
{{- mul $n $factor -}}
{{- end -}}

{{/*
The agent's arguments: what to check (spec, policies, trust policy, all mounted
from the ConfigMap at /etc/irsa-verify), then the mode's, then extraArgs.
*/}}
{{- define "irsa-verify.checkArgs" -}}
{{- if and (not .Values.spec) (not .Values.policies) -}}
{{- fail "set spec (what the role must and must not do) or policies (the role's policy files, to derive the checks from): see values.yaml" -}}
{{- end -}}
{{- if .Values.policies }}
- --from-policy
- /etc/irsa-verify/policies
{{- end }}
{{- if .Values.spec }}
- --spec
- /etc/irsa-verify/spec.yaml
{{- end }}
{{- if .Values.trustPolicy }}
- --trust-policy
- /etc/irsa-verify/trust.json
{{- end }}
{{- range $i, $hop := .Values.chain }}
- --chain
{{- if $hop.policies }}
- {{ printf "%s=/etc/irsa-verify/chain/%d" $hop.roleArn (add1 $i) | quote }}
{{- else }}
- {{ $hop.roleArn | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The pod spec every mode shares: the Pod Security "restricted" settings of
manifests/job/job.yaml, kept identical. Called with (dict "ctx" $ "args" LIST "restartPolicy" R).
*/}}
{{- define "irsa-verify.podSpec" -}}
{{- $ := .ctx -}}
serviceAccountName: {{ include "irsa-verify.serviceAccountName" $ }}
# The agent never calls the Kubernetes API, so the API token stays unmounted.
# IRSA and Pod Identity do not need it: their webhooks add their own projected
# token volumes (aws-iam-token, eks-pod-identity-token), which this setting
# does not govern.
automountServiceAccountToken: false
restartPolicy: {{ .restartPolicy }}
{{- with $.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  # Makes the projected token readable by the non-root user.
  fsGroup: 65532
  seccompProfile:
    type: RuntimeDefault
{{- with $.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: irsa-verify
    image: {{ include "irsa-verify.image" $ | quote }}
    imagePullPolicy: {{ $.Values.image.pullPolicy }}
    args:
      {{- include "irsa-verify.checkArgs" $ | trim | nindent 6 }}
      {{- range .args }}
      - {{ . | quote }}
      {{- end }}
      {{- range $.Values.extraArgs }}
      - {{ . | quote }}
      {{- end }}
    env:
      - name: IRSA_VERIFY_TIMEOUT
        value: {{ $.Values.timeoutSeconds | quote }}
      # The JUnit testsuite's name: where it ran, as the smoke test names it.
      - name: IRSA_VERIFY_SUITE_NAME
        value: {{ printf "%s/%s" $.Release.Namespace (include "irsa-verify.serviceAccountName" $) | quote }}
      {{- with $.Values.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- with .ports }}
    ports:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .probes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    # The agent writes a one-line verdict here: kubectl get/describe pod shows it.
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError
    securityContext:
      runAsNonRoot: true
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop:
          - ALL
    resources:
      {{- toYaml $.Values.resources | nindent 6 }}
    volumeMounts:
      - name: config
        mountPath: /etc/irsa-verify
        readOnly: true
volumes:
  - name: config
    configMap:
      name: {{ include "irsa-verify.fullname" $ }}
      # The keys this release has. ConfigMap keys cannot hold a "/", so each
      # policy file is projected into policies/ under its own name, and a
      # chain hop's into chain/N/.
      items:
        {{- if $.Values.spec }}
        - key: spec.yaml
          path: spec.yaml
        {{- end }}
        {{- range $file, $_ := $.Values.policies }}
        - key: {{ printf "policy.%s" $file }}
          path: {{ printf "policies/%s" $file }}
        {{- end }}
        {{- if $.Values.trustPolicy }}
        - key: trust.json
          path: trust.json
        {{- end }}
        {{- range $i, $hop := $.Values.chain }}
        {{- range $file, $_ := $hop.policies }}
        - key: {{ printf "chain.%d.%s" (add1 $i) $file }}
          path: {{ printf "chain/%d/%s" (add1 $i) $file }}
        {{- end }}
        {{- end }}
        {{- if and (eq $.Values.mode "watch") $.Values.watch.baseline }}
        - key: baseline.json
          path: baseline.json
        {{- end }}
{{- end -}}
