"""Shim for scrapyd-deploy, which runs ``python setup.py bdist_egg``: all metadata (the
``scrapy`` entry point to ``sinacrawl.settings``, packages, package data) is in pyproject.toml.
Without this file scrapyd-deploy would write its own setup.py, naming the egg ``project``.
"""

from setuptools import setup

setup()
