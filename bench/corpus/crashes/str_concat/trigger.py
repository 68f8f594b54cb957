from jobs.progress import progress

print(progress(3, 4, True))
