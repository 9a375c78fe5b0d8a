"""DataGenFlow: visual pipelines for LLM data generation."""

from datagenflow.engine.block import BaseBlock, Param

__all__ = ["BaseBlock", "Param", "__version__"]
__version__ = "0.1.0"
