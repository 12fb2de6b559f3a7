"""localflow.artifacts"""
