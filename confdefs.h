/* confdefs.h */
#define PACKAGE_NAME "gocoroner"
#define PACKAGE_TARNAME "gocoroner"
#define PACKAGE_VERSION "0.1.0"
#define PACKAGE_STRING "gocoroner 0.1.0"
#define PACKAGE_BUGREPORT ""
#define PACKAGE_URL ""
#define PACKAGE "gocoroner"
#define VERSION "0.1.0"
