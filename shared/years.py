"""The years a date may lie in, anywhere in the platform: date arithmetic (the day after, the
quarter after) near year 1 or 9999 overflows, and no programme reports that far away.

Pure, so that domain modules may import it (the import-linter contract: no pydantic in a
domain); `shared.inputs` applies the same bounds at the HTTP edge.
"""

MIN_YEAR = 1900
MAX_YEAR = 2199
