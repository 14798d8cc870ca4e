"""One module per kind of rewrite. Each exposes a pure function from the node an edit names to
its replacement, plus the imports it needs; ``rewrite.py`` finds the nodes and applies them in
one pass over the tree, so that positions from the plan always refer to the original source."""
