"""Conformance of the dev server to Amazon SWF, as botocore's model and other clients see it."""
