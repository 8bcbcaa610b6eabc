// The functions are static inline in include/CKernels.h; a C target needs one source file.
#include "CKernels.h"
