# core module
