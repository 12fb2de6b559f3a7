"""localflow.runtime"""
