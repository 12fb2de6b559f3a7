"""localflow.engine"""
