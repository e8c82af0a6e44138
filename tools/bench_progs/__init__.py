"""Sources of the benchmark's real programs (tools/programs.py): package data, compiled at bench time."""
