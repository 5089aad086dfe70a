module example.com/ctxroots

go 1.19
