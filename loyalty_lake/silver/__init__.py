"""Silver: typed, validated, de-duplicated tables, plus rejects and warnings.

``parse`` turns text into typed values, ``checks`` holds the rule machinery,
``tables`` the checks of each table, ``split`` the one split into silver rows,
rejects and warnings, and ``models`` the pandera contract of each table.
"""
