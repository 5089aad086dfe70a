# store module
