dist_man_MANS += doc/gocoroner.1
