#include "sluice.h"
#include <stdio.h>
int main(void) { printf("sluice %s\n", sl_version_str()); return 0; }
