// Only the declaration in include/CFuzzerDriver.h is needed; SwiftPM wants a source file in a C target.
#include "CFuzzerDriver.h"
