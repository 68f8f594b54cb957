from reviews.stats import average_rating

print(average_rating([]))
