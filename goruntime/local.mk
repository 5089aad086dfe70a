# goruntime module
