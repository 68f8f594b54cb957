from blog.posts import normalised_tags

print(normalised_tags({"title": "Draft"}))
