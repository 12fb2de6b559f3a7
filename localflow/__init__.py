"""localflow: run Argo Workflow YAML on one machine with Docker."""

__version__ = "0.1.0"
