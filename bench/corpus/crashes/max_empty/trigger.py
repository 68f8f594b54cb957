from weather.readings import peak_temperature

print(peak_temperature([]))
