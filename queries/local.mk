# queries module
