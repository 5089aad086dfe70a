module ctxgen

go 1.26
