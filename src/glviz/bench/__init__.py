"""Benchmarks behind `glviz bench`: medians of several runs, with the machine and GL renderer printed."""
