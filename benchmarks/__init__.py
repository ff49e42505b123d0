"""Side-by-side benchmarks that print JSON: `arbiter bench NAME --json`."""
