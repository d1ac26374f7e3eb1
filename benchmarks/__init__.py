"""kwdocs benchmarks: ``python -m benchmarks`` measures the figures of the speed issue."""
