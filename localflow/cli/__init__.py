"""localflow.cli"""
