"""The annual quality report (质量状况白皮书): `flask analytics report --year 2026` writes HTML and PDF.

sections.py makes the chapters (one provider function each), svg.py the charts, build.py the files.
"""
