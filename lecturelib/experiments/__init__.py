"""Named experiments, one module per chapter; their sizes come from the preset."""
