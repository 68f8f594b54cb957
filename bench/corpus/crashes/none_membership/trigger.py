from catalog.products import has_tag

print(has_tag({"name": "kettle"}, "sale"))
