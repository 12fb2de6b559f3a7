"""localflow.spec"""
