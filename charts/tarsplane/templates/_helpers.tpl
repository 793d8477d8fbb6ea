{{/*
Names, labels and the table of services.
*/}}

{{- define "tarsplane.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every object name the chart chooses (not the K8SFramework Service names). */}}
{{- define "tarsplane.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tarsplane.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object; pass (dict "root" $ "component" "stat") or just $. */}}
{{- define "tarsplane.labels" -}}
{{- $root := .root | default . -}}
helm.sh/chart: {{ include "tarsplane.chart" $root }}
{{ include "tarsplane.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: tarsplane
{{- with $root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "tarsplane.selectorLabels" -}}
{{- $root := .root | default . -}}
app.kubernetes.io/name: {{ include "tarsplane.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/* Name of a per-service object: <fullname>-<service>. */}}
{{- define "tarsplane.componentName" -}}
{{- printf "%s-%s" (include "tarsplane.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The services, in the order objects are rendered. For each: the Kubernetes Service name and ports
K8SFramework uses (framework facts §2, framework next §1.2; port names are the servant names
lower-cased, the registry's are queryobj/registryobj), the workload kind, whether it writes to
or queries the store (sink), whether it talks to the Kubernetes API (kube), the config section
it reads, whether its replicas prefer different nodes (spread: the watch-fed lookup services,
which every TARS server needs at startup), whether it is given the namespace in its TOML file
without using the API (namespace: adminreg completes bare pod names with it), and its key in
values.yaml when that is not its name (values: `config` there holds the TOML overrides). A port's
aliases are other names of its object, routed by the registry too. A service without ports
(kevent, as K8SFramework's tars-tarskevent) has no Service (service empty): its pods serve only
the admin port.
*/}}
{{- define "tarsplane.serviceTable" -}}
registry:
  service: tars-tarsregistry
  workload: Deployment
  sink: false
  kube: true
  spread: true
  ports:
    - {name: queryobj, port: 17890, object: tars.tarsregistry.QueryObj}
    - {name: registryobj, port: 17891, object: tars.tarsregistry.RegistryObj}
stat:
  service: tars-tarsstat
  workload: Deployment
  sink: true
  kube: false
  section: stat
  ports:
    - {name: statobj, port: 17000, object: tars.tarsstat.StatObj}
property:
  service: tars-tarsproperty
  workload: Deployment
  sink: true
  kube: false
  section: property
  ports:
    - {name: propertyobj, port: 14000, object: tars.tarsproperty.PropertyObj}
notify:
  service: tars-tarsnotify
  workload: Deployment
  sink: true
  kube: true
  section: notify
  ports:
    - {name: notifyobj, port: 13111, object: tars.tarsnotify.NotifyObj}
log:
  service: tars-tarslog
  workload: StatefulSet
  sink: false
  kube: false
  section: log
  ports:
    - {name: logobj, port: 12111, object: tars.tarslog.LogObj}
    - {name: topologyobj, port: 13030, object: tars.tarslog.TopologyObj}
querystat:
  service: tars-tarsquerystat
  workload: Deployment
  sink: true
  kube: false
  section: stat
  ports:
    - {name: queryobj, port: 16000, object: tars.tarsquerystat.QueryObj}
queryproperty:
  service: tars-tarsqueryproperty
  workload: Deployment
  sink: true
  kube: false
  section: property
  ports:
    - {name: queryobj, port: 15000, object: tars.tarsqueryproperty.QueryObj}
config:
  service: tars-tarsconfig
  workload: Deployment
  sink: false
  kube: true
  spread: true
  section: config
  values: configServer
  ports:
    - {name: configobj, port: 11111, object: tars.tarsconfig.ConfigObj}
adminreg:
  service: tars-tarsadminregistry
  workload: Deployment
  sink: false
  kube: false
  namespace: true
  section: adminreg
  ports:
    - {name: adminregobj, port: 19111, object: tars.tarsAdminRegistry.AdminRegObj, aliases: [tars.tarsadminregistry.AdminRegObj]}
kevent:
  service: ""
  workload: Deployment
  sink: true
  kube: true
  section: kevent
  ports: []
{{- end -}}

{{- define "tarsplane.serviceOrder" -}}
registry stat property notify log querystat queryproperty config adminreg kevent
{{- end -}}

{{/* The key of a service's values, (dict "root" $ "component" "config"): the table's `values`, else its name. */}}
{{- define "tarsplane.valuesKey" -}}
{{- (get (include "tarsplane.serviceTable" .root | fromYaml) .component).values | default .component -}}
{{- end -}}

{{/*
Whether a service uses the store: the log service when it builds call-chain traces (trace.enabled,
the default) or ships lines.
*/}}
{{- define "tarsplane.usesSink" -}}
{{- $meta := get (include "tarsplane.serviceTable" .root | fromYaml) .component -}}
{{- $logStore := or (dig "enabled" true .root.Values.config.trace) (dig "ship_to_sink" false .root.Values.config.log) -}}
{{- if or $meta.sink (and (eq .component "log") $logStore) -}}
true
{{- end -}}
{{- end -}}

{{- define "tarsplane.image" -}}
{{- $image := .Values.image -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository ($image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* Mode switches: an explicit boolean wins, otherwise the mode decides. */}}
{{- define "tarsplane.crdsInstall" -}}
{{- if kindIs "bool" .Values.crds.install -}}
{{- if .Values.crds.install }}true{{ end -}}
{{- else if eq .Values.mode "standalone" -}}
true
{{- end -}}
{{- end -}}

{{- define "tarsplane.reconcilerEnabled" -}}
{{- $explicit := dig "reconciler" "enabled" nil .Values.registry -}}
{{- if kindIs "bool" $explicit -}}
{{- if $explicit }}true{{ end -}}
{{- else if eq .Values.mode "standalone" -}}
true
{{- end -}}
{{- end -}}

{{- define "tarsplane.leaseName" -}}
{{- dig "reconciler" "lease_name" "tarsplane-registry-reconciler" .Values.config.registry -}}
{{- end -}}

{{/*
Whether kevent watches the `default` namespace for cluster-level events: `[kevent]
cluster_events` (default true) and a release namespace other than `default` (the binary's rule).
*/}}
{{- define "tarsplane.keventClusterEvents" -}}
{{- if and .Values.kevent.enabled (dig "cluster_events" true .Values.config.kevent) (ne .Release.Namespace "default") -}}
true
{{- end -}}
{{- end -}}

{{/* The name of kevent's Role and RoleBinding in `default`: the release namespace in it, so
releases in different namespaces do not claim the same object. */}}
{{- define "tarsplane.keventClusterRoleName" -}}
{{- printf "%s-%s" (include "tarsplane.componentName" (dict "root" . "component" "kevent")) .Release.Namespace -}}
{{- end -}}

{{/* Index names: K8SFramework's <namespace>_<kind>_ unless set. */}}
{{- define "tarsplane.index" -}}
{{- $set := get .root.Values.indices .kind -}}
{{- if $set }}{{ $set }}{{ else }}{{ printf "%s_%s_" .root.Release.Namespace .kind }}{{ end -}}
{{- end -}}

{{/* Elasticsearch credentials: the Secret name, or nothing when there are none. */}}
{{- define "tarsplane.esSecretName" -}}
{{- $es := .Values.elasticsearch -}}
{{- if $es.existingSecret -}}
{{- $es.existingSecret -}}
{{- else if or $es.password $es.apiKey -}}
{{- printf "%s-elasticsearch" (include "tarsplane.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* Combinations the binary refuses (sink.elasticsearch validation), refused at render time. */}}
{{- define "tarsplane.validate" -}}
{{- $es := .Values.elasticsearch -}}
{{- if and $es.existingSecret (or $es.password $es.apiKey) -}}
{{- fail "elasticsearch: set either existingSecret or password/apiKey, not both" -}}
{{- end -}}
{{- if and $es.username $es.apiKey -}}
{{- fail "elasticsearch: use either apiKey or username/password" -}}
{{- end -}}
{{- if and $es.username (not (or $es.password $es.existingSecret)) -}}
{{- fail "elasticsearch.username needs elasticsearch.password or elasticsearch.existingSecret" -}}
{{- end -}}
{{- if and $es.password (not $es.username) -}}
{{- fail "elasticsearch.password needs elasticsearch.username" -}}
{{- end -}}
{{- end -}}

{{/*
TOML writer. Values from Helm are JSON-typed (every number is a float64), so integers are
written as integers; strings go through toJson, whose escapes are all valid TOML.
*/}}
{{- define "tarsplane.toml.key" -}}
{{- if regexMatch "^[A-Za-z0-9_-]+$" . -}}{{ . }}{{- else -}}{{ toJson . }}{{- end -}}
{{- end -}}

{{- define "tarsplane.toml.value" -}}
{{- $v := . -}}
{{- if kindIs "string" $v -}}
{{ toJson $v }}
{{- else if kindIs "bool" $v -}}
{{ $v }}
{{- else if or (kindIs "float64" $v) (kindIs "int" $v) (kindIs "int64" $v) -}}
{{- if eq (float64 (int64 $v)) (float64 $v) }}{{ int64 $v }}{{ else }}{{ $v }}{{ end -}}
{{- else if kindIs "slice" $v -}}
[{{ range $i, $e := $v }}{{ if $i }}, {{ end }}{{ include "tarsplane.toml.value" $e }}{{ end }}]
{{- else if kindIs "map" $v -}}
{ {{- range $i, $k := keys $v | sortAlpha }}{{ if $i }},{{ end }} {{ include "tarsplane.toml.key" $k }} = {{ include "tarsplane.toml.value" (get $v $k) }}{{ end }} }
{{- else -}}
{{- fail (printf "cannot write %v (%s) as TOML" $v (kindOf $v)) -}}
{{- end -}}
{{- end -}}

{{/* (dict "path" "sink.elasticsearch" "table" $map): plain keys first, then sub-tables. */}}
{{- define "tarsplane.toml.table" -}}
{{- $t := .table -}}
{{- $path := .path -}}
{{- range $k := keys $t | sortAlpha }}
{{- $v := get $t $k }}
{{- if not (or (kindIs "map" $v) (kindIs "invalid" $v)) }}
{{ include "tarsplane.toml.key" $k }} = {{ include "tarsplane.toml.value" $v }}
{{- end }}
{{- end }}
{{- range $k := keys $t | sortAlpha }}
{{- $v := get $t $k }}
{{- if kindIs "map" $v }}
{{- $sub := include "tarsplane.toml.key" $k }}
{{- if $path }}{{ $sub = printf "%s.%s" $path $sub }}{{ end }}
{{- $scalars := 0 }}
{{- range $inner := values $v }}{{ if not (kindIs "map" $inner) }}{{ $scalars = add1 $scalars }}{{ end }}{{ end }}
{{- /* A table holding only sub-tables needs no header of its own. */}}
{{- if or $scalars (not $v) }}

[{{ $sub }}]
{{- end }}
{{- include "tarsplane.toml.table" (dict "path" $sub "table" $v) }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The configuration of one service, (dict "root" $ "component" "stat"), as a map: only the
sections that service reads, so that it validates without the others' secrets. Keys are those
of the config structs (tarsplane/src/config.rs and each crate's config.rs); values.config.* is
merged over them.
*/}}
{{- define "tarsplane.configMap" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
{{- $component := .component -}}
{{- $table := include "tarsplane.serviceTable" $root | fromYaml -}}
{{- $meta := get $table $component -}}
{{- $host := $values.listenAddress -}}
{{- $adminHost := ternary (printf "[%s]" $host) $host (contains ":" $host) -}}
{{- $cfg := dict "host" $host "log_format" $values.logFormat "admin" (dict "listen" (printf "%s:%d" $adminHost (int $values.admin.port))) -}}
{{- if or $meta.kube $meta.namespace -}}
{{- $_ := set $cfg "kubernetes_namespace" $root.Release.Namespace -}}
{{- end -}}
{{- if include "tarsplane.usesSink" . -}}
{{- $es := $values.elasticsearch -}}
{{- $esCfg := dict "nodes" $es.nodes "dead_letter_path" "/var/lib/tarsplane/sink/dead-letter.ndjson" -}}
{{- $_ := set $esCfg "spool" (dict "enabled" $es.spool.enabled "dir" "/var/lib/tarsplane/sink/spool" "max_bytes" $es.spool.maxBytes) -}}
{{- if $es.username }}{{ $_ := set $esCfg "username" $es.username }}{{ end -}}
{{- if $es.tls.caSecret }}{{ $_ := set $esCfg "ca_cert_path" (printf "/etc/tarsplane-ca/%s" $es.tls.caKey) }}{{ end -}}
{{- if $es.tls.insecureSkipVerify }}{{ $_ := set $esCfg "tls_insecure_skip_verify" true }}{{ end -}}
{{- $esCfg = mergeOverwrite $esCfg (deepCopy (dig "elasticsearch" (dict) $values.config.sink)) -}}
{{- $_ := set $cfg "sink" (dict "elasticsearch" $esCfg) -}}
{{- end -}}
{{- if eq $component "registry" -}}
{{- $registry := dict "source" "kubernetes" "reconciler" (dict "enabled" (eq (include "tarsplane.reconcilerEnabled" $root) "true")) -}}
{{- if $values.registry.routeFrameworkObjects -}}
{{- $routes := dict -}}
{{- range $name := splitList " " (include "tarsplane.serviceOrder" $root) -}}
{{- $other := get $table $name -}}
{{- if and (ne $name "registry") (get $values (include "tarsplane.valuesKey" (dict "root" $root "component" $name))).enabled -}}
{{- range $other.ports -}}
{{- $port := .port -}}
{{- range $object := prepend (.aliases | default list) .object -}}
{{- $_ := set $routes $object (list (dict "host" $other.service "port" $port)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $routes }}{{ $_ := set $registry "routes" $routes }}{{ end -}}
{{- end -}}
{{- $_ := set $cfg "registry" (mergeOverwrite $registry (deepCopy $values.config.registry)) -}}
{{- else if or (eq $meta.section "stat") (eq $meta.section "property") -}}
{{- $section := dict "index_prefix" (include "tarsplane.index" (dict "root" $root "kind" $meta.section)) "time_zone" $values.timeZone -}}
{{- $_ := set $cfg $meta.section (mergeOverwrite $section (deepCopy (get $values.config $meta.section))) -}}
{{- else if eq $component "notify" -}}
{{- $section := dict "index" (include "tarsplane.index" (dict "root" $root "kind" "notify")) "time_zone" $values.timeZone -}}
{{- $_ := set $cfg "notify" (mergeOverwrite $section (deepCopy $values.config.notify)) -}}
{{- else if eq $component "log" -}}
{{- $section := dict "log_path" $values.log.path "time_zone" $values.timeZone -}}
{{- $_ := set $cfg "log" (mergeOverwrite $section (deepCopy $values.config.log)) -}}
{{- if $values.config.trace }}{{ $_ := set $cfg "trace" (deepCopy $values.config.trace) }}{{ end -}}
{{- else if eq $component "config" -}}
{{- $_ := set $cfg "config" (mergeOverwrite (dict "source" "kubernetes") (deepCopy $values.config.config)) -}}
{{- else if eq $component "adminreg" -}}
{{- $section := dict "node_port" 19385 "web_url" "http://tars-tarsweb:3000" -}}
{{- $_ := set $cfg "adminreg" (mergeOverwrite $section (deepCopy $values.config.adminreg)) -}}
{{- else if eq $component "kevent" -}}
{{- /* cluster_events is written out: the chart's RBAC in `default` follows it. */}}
{{- $section := dict "index" (include "tarsplane.index" (dict "root" $root "kind" "kevent")) "cluster_events" true -}}
{{- $_ := set $cfg "kevent" (mergeOverwrite $section (deepCopy $values.config.kevent)) -}}
{{- end -}}
{{- toJson $cfg -}}
{{- end -}}

{{/* The TOML file of one service, (dict "root" $ "component" "stat"). */}}
{{- define "tarsplane.configToml" -}}
# tarsplane serve {{ .component }}: written by the Helm chart; see `tarsplane config default`.
{{- include "tarsplane.toml.table" (dict "path" "" "table" (include "tarsplane.configMap" . | fromJson)) }}
{{ end -}}

{{/* Secret-backed environment for services that use Elasticsearch. */}}
{{- define "tarsplane.esEnv" -}}
{{- $es := .Values.elasticsearch -}}
{{- $secret := include "tarsplane.esSecretName" . -}}
{{- if $secret -}}
{{- if $es.username -}}
- name: TARSPLANE_ES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ ternary $es.existingSecretKeys.password "password" (ne $es.existingSecret "") }}
{{- else -}}
- name: TARSPLANE_ES_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ ternary $es.existingSecretKeys.apiKey "api-key" (ne $es.existingSecret "") }}
{{- end }}
{{- end }}
{{- end -}}
