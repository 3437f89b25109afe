"""Build state kept beside the output: the store and where things live."""
