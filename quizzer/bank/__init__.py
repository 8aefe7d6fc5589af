"""The question bank: YAML -> typed, immutable models; validation; grading of concept
answers. Imports neither torch, textual nor typer."""
