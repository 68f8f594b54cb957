from deploy.config import database_host

print(database_host({"cache": {"host": "redis"}}))
