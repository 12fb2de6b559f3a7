"""localflow.expr"""
