"""The site build: find the examples, derive their outputs, timelines and notebooks, glue MkDocs."""
