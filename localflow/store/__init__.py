"""localflow.store"""
