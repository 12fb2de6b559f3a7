"""Workflow documents that tests in several folders run: one text each, so the real-engine test and the
fake-runtime test of the same behaviour read the same workflow."""

# A resource template makes a ConfigMap; a later step reads it through configMapKeyRef.
CONFIG_MAP_STEPS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: cm-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: make, template: make}
    - - {name: read, template: read}
  - name: make
    resource:
      action: apply
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        data: {colour: blue}
  - name: read
    container:
      image: alpine:3.7
      command: [sh, -c, 'echo colour=$COLOUR']
      env:
      - name: COLOUR
        valueFrom: {configMapKeyRef: {name: settings, key: colour}}
"""

# `metadata.label` (a typo of `labels`): refused unless --strict=false.
TYPO = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: typo-
  label: {team: a}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine:3.7, command: [echo, lenient]}
"""

# One container step: what a test of the command line (not of the engine) submits.
ONE_STEP = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: t-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [echo, hi]}
"""
