"""The annual quality report (质量状况白皮书): `flask analytics report --year 2026` writes HTML and PDF.

sections.py lists the chapters (one provider function each; the quality chapters are in quality.py, what
they share in context.py), svg.py makes the charts, build.py the files.
"""
