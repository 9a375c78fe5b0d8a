"""Built-in blocks, one module each; found through the `datagenflow.blocks` entry points."""
