module example.com/leakzoo

go 1.19
