# dwarf module
