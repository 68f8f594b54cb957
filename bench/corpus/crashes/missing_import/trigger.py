from reports.export import export

print(export([1, 2], True))
