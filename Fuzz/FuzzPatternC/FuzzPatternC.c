#include "FuzzPatternC.h"
#include "../../Sources/CLua/shim.h"

void fuzz_install_patterns(lua_State *L) { swl_install_patterns(L); }
