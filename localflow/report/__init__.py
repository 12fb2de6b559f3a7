"""localflow.report"""
