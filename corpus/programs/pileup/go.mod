module example.com/pileup

go 1.19
