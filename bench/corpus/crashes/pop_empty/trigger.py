from queueing.jobs import next_job_name

print(next_job_name([]))
