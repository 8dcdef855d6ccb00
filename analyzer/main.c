/* syncwatch-report: options and dispatch (placeholder until the CLI lands). */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "syncwatch-report: not built yet\n");
    return 2;
}
