"""Demo data: reference territories, the Ardennes observatory's friches, cadastre samples."""
