from school.grades import grade

print(grade(10))
