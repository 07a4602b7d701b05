"""Reading source files into Arrow batches of text with exact row numbers."""
