"""glviz: see, in 3D, every number a GPT computes to produce one token."""

__version__ = "0.1.0"
