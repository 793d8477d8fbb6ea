{{/*
Schema pieces of the k8s.tars.io/v1beta3 CRDs (framework facts §4). TServer carries the defaults;
TEndpoint has the same shapes without defaults (its values are copied from the TServer).
Call with (dict "defaults" true|false).
*/}}

{{- define "tarsplane.crd.metadata" -}}
{{- if .Values.crds.keep -}}
annotations:
  helm.sh/resource-policy: keep
{{- end }}
labels:
  {{- include "tarsplane.labels" . | nindent 2 }}
{{- end -}}

{{- define "tarsplane.crd.name" -}}
type: string
pattern: '^[A-Za-z][0-9A-Za-z]*$'
maxLength: 63
{{- end -}}

{{- define "tarsplane.crd.dnsSubdomain" -}}
type: string
pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'
maxLength: 253
{{- end -}}

{{- define "tarsplane.crd.ports" -}}
type: array
items:
  type: object
  required: [name, port]
  properties:
    name:
      type: string
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
      maxLength: 15
    port:
      type: integer
      minimum: 1
      maximum: 65535
    isTcp:
      type: boolean
      {{- if .defaults }}
      default: true
      {{- end }}
{{- end -}}

{{- define "tarsplane.crd.hostPorts" -}}
type: array
items:
  type: object
  required: [nameRef, port]
  properties:
    nameRef:
      type: string
    port:
      type: integer
      minimum: 1
      maximum: 65535
{{- end -}}

{{/* spec.app, server, subType, important, tars, normal, release: shared by TServer and TEndpoint. */}}
{{- define "tarsplane.crd.serverSpec" -}}
app:
  {{- include "tarsplane.crd.name" . | nindent 2 }}
server:
  {{- include "tarsplane.crd.name" . | nindent 2 }}
subType:
  type: string
  enum: [tars, normal]
important:
  type: integer
  minimum: 1
  maximum: 20
  {{- if .defaults }}
  default: 3
  {{- end }}
tars:
  type: object
  required: [template, servants]
  properties:
    template:
      {{- include "tarsplane.crd.dnsSubdomain" . | nindent 6 }}
    profile:
      type: string
    asyncThread:
      type: integer
      minimum: 0
      maximum: 50
      {{- if .defaults }}
      default: 3
      {{- end }}
    servants:
      type: array
      {{- if .defaults }}
      default: []
      {{- end }}
      items:
        type: object
        required: [name, port]
        properties:
          name:
            type: string
            pattern: '^[A-Za-z][0-9A-Za-z]{0,62}$'
          port:
            type: integer
            minimum: 1
            maximum: 65535
          thread:
            type: integer
            minimum: 1
            maximum: 99
            {{- if .defaults }}
            default: 3
            {{- end }}
          capacity:
            type: integer
            minimum: 1
            maximum: 3000000
            {{- if .defaults }}
            default: 10000
            {{- end }}
          connection:
            type: integer
            minimum: 1
            maximum: 3000000
            {{- if .defaults }}
            default: 10000
            {{- end }}
          timeout:
            type: integer
            minimum: -1
            maximum: 6000000
            {{- if .defaults }}
            default: 60000
            {{- end }}
          isTars:
            type: boolean
            {{- if .defaults }}
            default: true
            {{- end }}
          isTcp:
            type: boolean
            {{- if .defaults }}
            default: true
            {{- end }}
    ports:
      {{- include "tarsplane.crd.ports" . | nindent 6 }}
normal:
  type: object
  properties:
    ports:
      {{- include "tarsplane.crd.ports" . | nindent 6 }}
release:
  type: object
  required: [image]
  properties:
    id:
      type: string
    image:
      type: string
    secret:
      type: string
    time:
      type: string
      format: date-time
    nodeImage:
      type: string
    nodeSecret:
      type: string
{{- end -}}
