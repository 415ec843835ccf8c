"""The wharfd protocol tests, one module per family of behaviour.

`harness` and `raw` hold the shared helpers and the `@test` registry; each
other module registers its tests when imported. suite.py is the entry point.
"""
