/* Version constants of the public API. */
#include "sluice.h"

SL_EXPORT int sl_version(void) { return SLUICE_VERSION; }
SL_EXPORT const char *sl_version_str(void) { return SLUICE_VERSION_STR; }
