"""The Python ceiling: the least a Django view served by granian can cost.

No database, no middleware, no templates: one view returns the bytes of a
saved Masthead article page (BENCH_CEILING_HTML). The harness serves it with
the same granian configuration as Masthead, so a Masthead figure divided by
this one is the share of the Python budget the application itself spends.
"""
