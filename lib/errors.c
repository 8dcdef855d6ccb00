/* sw_strerror and sw_errname, generated from SW_ERRNO_MAP (sync.h), the one
 * list of error codes. */
#include "syncwatch/sync.h"

const char *sw_strerror(int err)
{
    switch (err) {
    case 0: return "success";
#define MSG(name, value, msg) case value: return msg;
        SW_ERRNO_MAP(MSG)
#undef MSG
    default: return "unknown error";
    }
}

const char *sw_errname(int err)
{
    switch (err) {
    case 0: return "0";
#define NAME(name, value, msg) case value: return #name;
        SW_ERRNO_MAP(NAME)
#undef NAME
    default: return "E?";
    }
}
