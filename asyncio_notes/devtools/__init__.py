"""Contributors' commands: serve, scaffold a chapter, bench, vendor assets, run on each Python."""
